"""Hostile or malformed input gets a 4xx answer with a message, never a server error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import HTMX

HUGE_ID = str(2**63)
SUPERSCRIPT_TWO = "\u00b2"  # str.isdigit() is True, int() refuses it


@pytest.mark.parametrize("total", ["abc", "-1", "99999999999", ""])
def test_adding_a_row_to_a_broken_meeting_form_is_not_a_server_error(client, editor, total):
    client.force_login(editor)
    response = client.post(
        reverse("agreements:meeting_create"),
        {"title": "Talks", "commitments-TOTAL_FORMS": total, "add_row": "1"},
    )
    assert response.status_code < 500


@pytest.mark.parametrize("huge", [HUGE_ID, str(-(2**63) - 1)])
def test_a_huge_id_in_a_multi_select_is_a_form_error(client, editor, team, huge):
    client.force_login(editor)
    response = client.post(
        reverse("agreements:meeting_create"),
        {
            "team": team.pk,
            "title": "Talks",
            "start_date": "2025-09-03",
            "outcome_type": "reaffirmation",
            "parties": [huge],
            "commitments-TOTAL_FORMS": "0",
            "commitments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("field", ["milestone", "membership", "claim", "update"])
def test_a_huge_or_malformed_record_id_is_a_404(client, editor, reviewer, world, field):
    pages = {
        "milestone": ("commitment_detail", {"pk": world["commitment"].pk}, "toggle_milestone"),
        "membership": ("body_detail", {"pk": world["body"].pk}, "set_confirmation"),
        "claim": ("claim_list", {}, "verify"),
        "update": ("review_queue", {}, "approve"),
    }
    name, kwargs, action = pages[field]
    client.force_login(reviewer if field == "update" else editor)
    for value in (HUGE_ID, "abc", "", "1.5"):
        response = client.post(
            reverse(f"agreements:{name}", kwargs=kwargs), {"action": action, field: value}
        )
        assert response.status_code == 404, (value, response.status_code)


@pytest.mark.parametrize("param", ["party", "team", "body"])
def test_a_huge_id_in_a_list_filter_is_ignored(client, editor, param):
    client.force_login(editor)
    assert client.get(reverse("agreements:commitment_list"), {param: HUGE_ID}).status_code == 200


@pytest.mark.parametrize("path", ["/commitments/?q=border", "/meetings/", "/bodies/", "/claims/"])
@pytest.mark.parametrize("page", ["99999999999999999999", str(2**63 - 1)])
def test_a_page_number_past_any_end_shows_the_last_page(client, editor, records, path, page):
    """A 20-digit page number once overflowed SQLite's LIMIT (a server error on the lists)."""
    client.force_login(editor)
    response = client.get(path, {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == response.context["page"].paginator.num_pages


def test_a_huge_id_in_the_admin_is_a_form_error(admin_client, meeting):
    url = reverse("admin:agreements_meeting_change", args=[meeting.pk])
    response = admin_client.post(url, {"parties": [HUGE_ID], "team": HUGE_ID})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_two_people_adding_the_same_source_address_at_once_get_a_form_error(
    client, editor, meeting, monkeypatch
):
    """The form checks the address first; a second person's save can land between that check
    and this one's insert. Played here by skipping the check: the database's unique
    constraint refuses, and the user reads why next to the field, with what they typed."""
    from agreements.forms.meeting_additions import SourceForm

    from .conftest import make_source

    make_source(meeting.team, title="Wire", url="https://news.example/wire")
    monkeypatch.setattr(SourceForm, "clean_url", lambda form: form.cleaned_data["url"])
    client.force_login(editor)
    response = client.post(
        meeting.get_absolute_url(),
        {
            "action": "add_source",
            "source-title": "Same wire, typed again",
            "source-url": "https://news.example/wire",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "already has a source with this address" in html
    assert "Same wire, typed again" in html
    assert meeting.sources.count() == 0


def test_a_text_beyond_50000_characters_is_refused_next_to_the_field(client, editor, team):
    from .conftest import make_party, meeting_data

    us, mexico = make_party("US"), make_party("MEX")
    client.force_login(editor)
    huge = "x" * 2_400_000
    response = client.post(
        reverse("agreements:meeting_create"), meeting_data(team, us, mexico, [], summary=huge)
    )
    assert response.status_code == 422
    assert "at most 50000 characters" in response.content.decode()


def test_an_archive_reason_with_a_nul_character_is_refused_not_a_server_error(
    client, editor, meeting
):
    """PostgreSQL keeps no NUL in a text: the history's reason once raised a server error."""
    client.force_login(editor)
    url = reverse("agreements:meeting_detail", args=[meeting.pk])
    response = client.post(url, {"action": "archive", "reason": "Duplicate\x00"})
    assert response.status_code == 409
    assert "Null characters are not allowed." in response.content.decode()
    meeting.refresh_from_db()
    assert not meeting.is_archived


@pytest.mark.parametrize(
    "path",
    [
        "/commitments/?party={}",
        "/commitments/?body={}",
        "/meetings/?team={}",
        "/milestones/?team={}",
    ],
)
def test_an_id_of_thousands_of_digits_is_not_a_choice(client, editor, path):
    client.force_login(editor)
    response = client.get(path.format("1" * 4301))
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_a_username_longer_than_any_accounts_is_a_failed_sign_in(client, db, path):
    response = client.post(path, {"username": "x" * 300, "password": "anything"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/autocomplete/?term=%00&app_label=agreements&model_name=meeting&field_name=team",
        "/admin/agreements/commitment/?theme__code__exact=%00",
        "/admin/agreements/claim/?verification__exact=%00",
        "/admin/agreements/theme/%00/change/",
        "/admin/agreements/theme/%00/history/",
    ],
)
def test_a_nul_character_to_the_admin_is_a_bad_request(admin_client, path):
    assert admin_client.get(path).status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/admin/agreements/meeting/abc/history/",
        "/admin/agreements/meeting/{pk}/history/abc/",
        "/admin/agreements/meeting/{pk}/history/99999999999999999999999/",
    ],
)
def test_a_history_address_the_admin_cannot_read_is_not_found(admin_client, meeting, path):
    assert admin_client.get(path.format(pk=meeting.pk)).status_code == 404


def test_an_initial_value_the_admin_cannot_read_is_left_out(admin_client, meeting):
    for path in (
        "/admin/agreements/meeting/add/?team=abc",
        "/admin/agreements/commitment/add/?meeting=abc",
    ):
        assert admin_client.get(path).status_code == 200
    page = admin_client.get(f"/admin/agreements/commitment/add/?meeting={meeting.pk}")
    assert page.context["adminform"].form.initial["meeting"] == str(meeting.pk)


def test_a_list_action_on_rows_that_cannot_be_there_changes_nothing(admin_client, meeting):
    response = admin_client.post(
        "/admin/agreements/meeting/",
        {"action": "archive_selected", "_selected_action": ["abc", meeting.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "nothing was changed" in response.content.decode()
    meeting.refresh_from_db()
    assert not meeting.is_archived


def test_a_preference_has_no_history_button_that_fails(admin_client, editor):
    from agreements.models import Preference

    preference = Preference.objects.create(user=editor, language="es")
    assert (
        admin_client.get(f"/admin/agreements/preference/{preference.pk}/change/").status_code == 200
    )
    assert (
        admin_client.get(f"/admin/agreements/preference/{preference.pk}/history/").status_code
        == 200
    )


@pytest.mark.parametrize(
    "url,query",
    [
        ("/commitments/", {"party": SUPERSCRIPT_TWO}),
        ("/bodies/", {"_pick": "body-meeting", "body-meeting": SUPERSCRIPT_TWO}),
        ("MEETING", {"edit_event": SUPERSCRIPT_TWO}),
    ],
)
def test_a_non_ascii_digit_elsewhere_is_not_a_500(client, editor, meeting, url, query):
    client.force_login(editor)
    url = meeting.get_absolute_url() if url == "MEETING" else url
    assert client.get(url, query, **HTMX).status_code < 500
