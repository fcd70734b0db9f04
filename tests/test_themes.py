"""Themes are records a records admin keeps (issue #10, point 6): added and archived in the
admin, offered on the meeting form, used by the commitment list's filter and the dashboard."""

from __future__ import annotations

import importlib

from django.apps import apps as django_apps

from agreements.models import Commitment, Party, Theme
from tests.conftest import make_commitment, meeting_data

NEW = "/meetings/new/"


def test_the_migration_seeds_the_ten_starting_themes(db):
    """The tests' own ``themes`` fixture seeds them too, so the migration's function is run
    here on an empty table: it alone must give the ten."""
    seeding = importlib.import_module("agreements.migrations.0003_seed_themes")
    Theme.objects.all().delete()
    seeding.seed(django_apps, None)
    assert list(Theme.objects.values_list("code", "name", "description")) == sorted(
        Theme.DEFAULTS, key=lambda theme: theme[1]
    )


def test_a_records_admin_adds_a_theme_that_editors_then_use(
    admin_client, client, editor, team, us, mexico
):
    response = admin_client.post(
        "/admin/agreements/theme/add/",
        {"code": "climate", "name": "Climate", "description": "Emissions and adaptation."},
    )
    assert response.status_code == 302
    climate = Theme.objects.get(code="climate")
    assert climate.history.get().history_user.is_superuser  # who added it is kept

    client.force_login(editor)
    form = client.get(NEW).content.decode()
    assert '<option value="climate">Climate</option>' in form
    rows = [{"title": "Cut methane", "text": "By 30%", "theme": "climate"}]
    assert client.post(NEW, meeting_data(team, us, mexico, rows)).status_code == 302
    assert Commitment.objects.get().theme == climate

    listed = client.get("/commitments/", {"theme": "climate"}).content.decode()
    assert "Cut methane" in listed
    assert "Climate" in client.get("/").content.decode()  # the dashboard's index by theme


def test_a_records_admin_adds_a_party_too(admin_client):
    """Shared reference data has no team, so the admin's one-team check lets it through."""
    aliases = {"aliases-TOTAL_FORMS": "1", "aliases-INITIAL_FORMS": "0", "aliases-0-name": "CAN"}
    response = admin_client.post(
        "/admin/agreements/party/add/", {"name": "Canada", "code": "CA", "kind": "state"} | aliases
    )
    assert response.status_code == 302
    assert list(Party.objects.get(code="CA").aliases.values_list("name", flat=True)) == ["CAN"]


def test_the_code_of_a_saved_theme_is_fixed(admin_client):
    page = admin_client.get("/admin/agreements/theme/drugs/change/").content.decode()
    assert 'name="code"' not in page
    assert 'name="name"' in page


def test_an_archived_theme_is_not_offered_for_a_new_commitment(client, editor, team, us, mexico):
    Theme.objects.filter(code="fuel_theft").update(archived=True)
    client.force_login(editor)
    assert 'value="fuel_theft"' not in client.get(NEW).content.decode()
    rows = [{"title": "Curb theft", "text": "Pipelines", "theme": "fuel_theft"}]
    response = client.post(NEW, meeting_data(team, us, mexico, rows))
    assert response.status_code == 422
    errors = response.context["rows"].forms[0].errors
    assert "Select a valid choice" in errors["theme"][0]
    assert response.context["rows"].forms[0]["title"].value() == "Curb theft"  # kept


def test_a_commitment_keeps_its_archived_theme_in_forms_lists_and_filters(
    client, editor, meeting, us, mexico
):
    make_commitment(meeting, title="Curb theft", theme="fuel_theft", parties=[us])
    Theme.objects.filter(code="fuel_theft").update(archived=True)
    client.force_login(editor)
    edit = client.get(f"/meetings/meeting-{meeting.pk}/edit/").content.decode()
    assert '<option value="fuel_theft" selected>Fuel theft (archived)</option>' in edit
    listed = client.get("/commitments/", {"theme": "fuel_theft"}).content.decode()
    assert "Curb theft" in listed
    assert "Fuel theft" in client.get("/").content.decode()


def test_a_theme_renamed_by_an_admin_is_renamed_everywhere(client, editor, meeting):
    make_commitment(meeting, title="Stop guns", theme="arms")
    Theme.objects.filter(code="arms").update(name="Arms and ammunition")
    client.force_login(editor)
    assert "Arms and ammunition" in client.get(meeting.get_absolute_url()).content.decode()
    assert "Arms and ammunition" in client.get("/commitments/").content.decode()
    assert "Arms and ammunition: " in client.get("/").content.decode()


def test_a_theme_is_never_deleted_in_the_admin(admin_client):
    assert admin_client.get("/admin/agreements/theme/drugs/delete/").status_code == 403


def test_the_starting_themes_read_in_the_readers_language_and_added_ones_as_named(
    client, editor, meeting
):
    from django.utils import translation

    from agreements.models import Theme
    from tests.conftest import make_commitment

    added = Theme.objects.create(code="water", name="Agua transfronteriza")
    with translation.override("es"):
        assert str(Theme.objects.get(code="drugs")) == "Drogas"
        assert added.label == "Agua transfronteriza"
    commitment = make_commitment(meeting, theme="arms")
    client.force_login(editor)
    page = client.get(commitment.get_absolute_url(), headers={"accept-language": "es"}).text
    assert "<dd>Tráfico de armas</dd>" in page
    csv = b"".join(client.get("/commitments/?format=csv").streaming_content).decode()
    assert "Arms trafficking" in csv  # the stored name: a spreadsheet imports back by it
