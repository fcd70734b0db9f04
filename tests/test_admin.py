"""The records admin: every model's pages render for an admin, changelists run a fixed number
of queries whatever their length, inline rows save, sources stay in their team, and
append-only records stay so. The rules of status changes and versions: test_admin_rules.py.
Forms are posted as a browser would send them (``tests.admin_forms``)."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements import actions
from agreements import models as m
from agreements.admin.scale import AtScale, KeysFirstPaginator
from agreements.views.paging import CappedPaginator
from tests.admin_forms import admin_url, page_form, post_page
from tests.conftest import (
    keep_text_file,
    make_body,
    make_commitment,
    make_meeting,
    make_source,
    make_status_change,
    make_user,
)

SEPT_3 = datetime.date(2025, 9, 3)
# The most queries an admin page (changelist, add or change) may take. The most observed is
# 10 (a changelist with a date hierarchy and several related filters); see the report.
PAGE_QUERY_BUDGET = 13
_n = itertools.count(1)


def build(model, world: dict):
    """One new row of ``model``, attached to the world's meeting where it needs a parent."""
    n = next(_n)
    meeting, commitment, team = world["meeting"], world["commitment"], world["team"]
    party, person, user = world["party"], world["person"], world["user"]
    body = world["body"]
    makers = {
        m.Team: lambda: m.Team.objects.create(name=f"Desk {n}", slug=f"desk-{n}"),
        m.TeamMembership: lambda: m.TeamMembership.objects.create(
            user=make_user(f"member{n}"), team=team, role="editor"
        ),
        m.Party: lambda: m.Party.objects.create(name=f"Org {n}", code=f"O{n}", kind="organisation"),
        m.PartyAlias: lambda: m.PartyAlias.objects.create(party=party, name=f"Alias {n}"),
        m.CalendarFeed: lambda: m.CalendarFeed.of(make_user(f"subscriber{n}")),
        m.ApiToken: lambda: m.ApiToken.issue(user, f"Script {n}")[0],
        m.Preference: lambda: m.Preference.objects.create(
            user=make_user(f"reader{n}"), language="es"
        ),
        m.Follow: lambda: m.Follow.objects.create(
            user=make_user(f"follower{n}"), commitment=commitment
        ),
        m.DigestSent: lambda: m.DigestSent.objects.create(
            user=make_user(f"reminded{n}"), day=SEPT_3
        ),
        m.Theme: lambda: m.Theme.objects.create(code=f"theme_{n}", name=f"Theme {n}"),
        m.SecurityEvent: lambda: actions.record_event(
            m.SecurityEventKind.SIGN_IN_FAILED, username=f"guess{n}"
        ),
        m.SignInLock: lambda: m.SignInLock.objects.create(
            username=f"locked{n}",
            until=timezone.now() + datetime.timedelta(hours=1),
            failures=20,
            addresses=20,
        ),
        m.Person: lambda: m.Person.objects.create(team=team, name=f"Person {n}", party=party),
        m.Source: lambda: make_source(team),
        m.Meeting: lambda: make_meeting(team),
        m.Participant: lambda: m.Participant.objects.create(
            meeting=make_meeting(team), person=person, party=party, office="Minister", role="host"
        ),
        m.MeetingLink: lambda: m.MeetingLink.objects.create(
            meeting=make_meeting(team),
            relation="follows_up",
            other=make_meeting(team, start_date=datetime.date(2021, 10, 8)),
        ),
        m.MilestoneReschedule: lambda: m.MilestoneReschedule.objects.create(
            milestone=m.Milestone.objects.create(
                commitment=commitment, title=f"Step {n}", due_date=SEPT_3
            ),
            from_date=datetime.date(2025, 9, 1),
            to_date=SEPT_3,
            reason="Extended",
            by=user,
        ),
        m.Commitment: lambda: make_commitment(meeting),
        m.CommitmentParty: lambda: m.CommitmentParty.objects.create(
            commitment=make_commitment(meeting), party=party, role="joint"
        ),
        m.StatusChange: lambda: make_status_change(commitment, changed_by=user),
        m.ImplementationBody: lambda: make_body(meeting),
        m.BodyMembership: lambda: m.BodyMembership.objects.create(
            body=body, person=person, party=party
        ),
        m.Milestone: lambda: m.Milestone.objects.create(
            commitment=commitment, title=f"Step {n}", due_date=SEPT_3
        ),
        m.ProgressUpdate: lambda: m.ProgressUpdate.objects.create(
            commitment=commitment, author=user, narrative=f"Update {n}"
        ),
        # Through the action, which stores the state beside the event (on PostgreSQL the
        # database refuses, at commit or at a test's constraint check, an event without it).
        m.ReviewEvent: lambda: actions.submit_update(
            commitment=commitment, author=user, narrative=f"Update {n}"
        ).review_events.get(),
        m.Assessment: lambda: m.Assessment.objects.create(
            commitment=commitment,
            party=party,
            score="0",
            justification="Partial",
            as_of=SEPT_3,
            assessed_by=user,
        ),
        m.Statement: lambda: m.Statement.objects.create(
            meeting=meeting, speaker=person, party=party, text=f"Words {n}", said_on=SEPT_3
        ),
        m.Claim: lambda: m.Claim.objects.create(text=f"Claim {n}", meeting=meeting),
        m.ContextEvent: lambda: m.ContextEvent.objects.create(
            meeting=meeting, title=f"Event {n}", relation="background", actor=party
        ),
        m.SourceFile: lambda: keep_text_file(make_source(team), user, name=f"copy-{n}.txt"),
    }
    return makers[model]()


def build_many(model, world: dict, count: int) -> list:
    return [build(model, world) for _ in range(count)]


MODELS = [model for model in admin.site._registry if model._meta.app_label == "agreements"]
AT_SCALE = [model for model in MODELS if isinstance(admin.site._registry[model], AtScale)]


# ``admin_client`` is pytest-django's: a client logged in (force_login) as ``admin_user``,
# the superuser persona of conftest.py.


@pytest.fixture
def world(team, meeting, commitment, us, admin_user):
    return {
        "team": team,
        "meeting": meeting,
        "commitment": commitment,
        "party": us,
        "person": m.Person.objects.create(team=team, name="Marco Rubio", party=us),
        "user": admin_user,
        "body": make_body(meeting),
    }


# --- Every model, every page ------------------------------------------------------------------


def test_every_model_is_in_the_admin():
    domain = {
        model
        for model in apps.get_app_config("agreements").get_models()
        # django-simple-history's tables: shown through each record's History button; derived
        # state kept by the database (the dashboard's tally) is nobody's to edit.
        if not model.__name__.startswith("Historical") and not getattr(model, "derived", False)
    }
    assert domain == set(MODELS)


@pytest.mark.perf
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_admin_pages_render_within_a_query_budget(
    admin_client, world, model, django_assert_max_num_queries
):
    obj = build(model, world)
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    # Written only where they happen: with the change, review or move they record, or on the
    # meeting pages (links).
    written_elsewhere = (
        m.StatusChange,
        m.ReviewEvent,
        m.MilestoneReschedule,
        m.MeetingLink,
        m.CalendarFeed,
        m.ApiToken,
        m.Follow,  # on the commitment's page
        m.DigestSent,  # by the reminder tasks
        m.SecurityEvent,  # by sign-in and the actions it records
        m.SignInLock,  # by sign-in
        m.SourceFile,  # on the meeting's page, with its file
    )
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        add = admin_client.get(admin_url(model, "add"))
    assert add.status_code == (403 if model in written_elsewhere else 200)


@pytest.mark.perf
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_query_count_does_not_grow_with_its_rows(admin_client, world, model, queries):
    queries.stay_flat(
        admin_client, lambda n: build_many(model, world, n), admin_url(model, "changelist")
    )


@pytest.mark.perf
@pytest.mark.parametrize("model", AT_SCALE, ids=lambda model: model.__name__)
def test_a_deep_page_holds_the_rows_the_list_has_there_and_counts_nothing(
    admin_client, world, model, monkeypatch
):
    """Past the cap a page's keys are read first, and that read is the count: no COUNT walks
    the list up to the page (``admin/scale.py``, ``KeysFirstPaginator``). Tables of a row per
    team or per user (teams, preferences, sign-in locks) are paged as Django does."""
    build_many(model, world, 7)
    monkeypatch.setattr(CappedPaginator, "CAP", 3)
    monkeypatch.setattr(admin.site._registry[model], "list_per_page", 2)
    url = admin_url(model, "changelist")
    with CaptureQueriesContext(connection) as ran:
        response = admin_client.get(url, {"p": "3"})
    assert response.status_code == 200
    cl = response.context["cl"]
    assert list(cl.result_list) == list(cl.queryset[4:6])
    assert not [q["sql"] for q in ran.captured_queries if "COUNT(" in q["sql"].upper()]
    assert admin_client.get(url, {"p": "99"}).status_code == 302  # past the end: as Django's


@pytest.mark.parametrize("model", AT_SCALE, ids=lambda model: model.__name__)
def test_a_changelists_rows_and_filters_are_the_html_djangos_admin_writes(
    admin_client, world, model, monkeypatch
):
    """The rows are drawn a column at a time (``admin/rows.py``), the table and each filter
    written in Python (``admin/drawn.py``): the same HTML as Django's own ``result_list`` and
    ``admin_list_filter`` write with its templates, links keeping the list's filters and an
    empty cell's text, a chosen filter and two sorted columns shown, in English and Spanish."""
    build_many(model, world, 2)
    url = admin_url(model, "changelist")
    cl = admin_client.get(url).context["cl"]
    # The second choice of the first filter offering one (its first is "All").
    chosen = next(
        (
            choices[1]["query_string"]
            for spec in cl.filter_specs
            if len(choices := list(spec.choices(cl))) > 1
        ),
        "",
    )

    def parts(query: str, language: str) -> list[str]:
        html = admin_client.get(url + query, headers={"accept-language": language})
        html = html.content.decode()
        drawn = []
        for start, end in [
            ('<search id="changelist-filter"', "</search>"),
            ('<table id="result_list">', "</table>"),
        ]:
            at = html.find(start)
            drawn.append(html[at : html.index(end, at)] if at >= 0 else "")
        return drawn

    queries = ["", "?o=-1", "?o=2.-1", "?q=a", chosen]
    pages = [parts(query, language) for query in queries for language in ("en", "es")]
    assert pages[0][1].count("<tr") >= 3  # the heading and at least the two rows
    if model is m.Commitment:  # its filters and columns offer both
        assert 'class="sortpriority"' in pages[4][1]  # two columns sorted
        assert 'class="selected"' in pages[-1][0]  # a filter chosen
    monkeypatch.setattr(AtScale, "change_list_template", None)  # Django's own template
    assert pages == [parts(query, language) for query in queries for language in ("en", "es")]


@pytest.mark.parametrize("model", AT_SCALE, ids=lambda model: model.__name__)
def test_a_changelists_bars_are_the_html_djangos_admin_and_our_pages_template_write(
    admin_client, world, model, monkeypatch
):
    """The bars around a changelist's table are written in Python (``admin/drawn.py``): the
    actions, the search form with its count, the add link keeping the list's filters and
    the pages (the project's ``admin/pagination.html``: its links, "more than", "show all",
    a page past the numbered ones) are the HTML the templates write, in English and
    Spanish, on a list, a search, a popup's list, a page, a page shown whole and a page
    past the numbered ones."""
    build_many(model, world, 3)
    monkeypatch.setattr(admin.site._registry[model], "list_per_page", 1)
    monkeypatch.setattr(CappedPaginator, "CAP", 2)
    monkeypatch.setattr(KeysFirstPaginator, "WALKED", 2)
    url = admin_url(model, "changelist")

    def bars(query: str, language: str) -> list[str]:
        response = admin_client.get(url + query, headers={"accept-language": language})
        drawn = [sorted({t.name for t in response.templates} & BAR_TEMPLATES)]
        html = response.content.decode()
        for start, end in [
            ('<ul class="object-tools">', "</ul>"),
            ('<div id="toolbar">', "</form></div>"),
            ('<div class="actions">', "</div>"),
            ('<div class="changelist-footer">', "</div>"),
        ]:
            at = html.find(start)
            drawn.append(html[at : html.index(end, at) + len(end)] if at >= 0 else "")
        return drawn

    queries = ["", "?p=2", "?q=a", "?_popup=1&_to_field=id", "?all=", "?p=3"]
    pages = [bars(query, language) for query in queries for language in ("en", "es")]
    if model is m.Commitment:  # every part shown
        assert all(pages[0][1:]), pages[0]
        assert "More than" in pages[0][4] and 'href="?p=2"' in pages[0][4]
        assert "past the last numbered page" in pages[-2][4]
    assert not [page[0] for page in pages if page[0]]  # no template drawn: written in Python
    monkeypatch.setattr(AtScale, "change_list_template", None)  # Django's own template
    templates = [bars(query, language) for query in queries for language in ("en", "es")]
    assert templates[0][0]  # (what the check above would see, were they drawn)
    assert [page[1:] for page in pages] == [page[1:] for page in templates]


LISTED_ONLY = [
    model for model, kept in admin.site._registry.items() if getattr(kept, "list_only", ())
]


@pytest.mark.parametrize("model", LISTED_ONLY, ids=lambda model: model.__name__)
def test_a_changelists_rows_read_only_what_they_show_and_show_the_same(
    admin_client, world, model, monkeypatch
):
    """A list that reads its rows with only the columns they show (``list_only``) shows the
    same rows, in as many queries, as with every column read; its rows lack the others."""
    build_many(model, world, 3)
    url = admin_url(model, "changelist")

    def table(language: str) -> tuple[str, int, set]:
        with CaptureQueriesContext(connection) as ran:
            response = admin_client.get(url, headers={"accept-language": language})
        html = response.content.decode()
        at = html.index('<table id="result_list">')
        rows = list(response.context["cl"].result_list)
        return html[at : html.index("</table>", at)], len(ran), rows[0].get_deferred_fields()

    read = [table(language) for language in ("en", "es")]
    assert {"created_at", "version"} <= read[0][2]
    monkeypatch.setattr(admin.site._registry[model], "list_only", ())
    whole = [table(language) for language in ("en", "es")]
    assert not whole[0][2]
    assert [(html, count) for html, count, _ in read] == [(h, c) for h, c, _ in whole]


def test_a_changelists_callable_columns_are_the_html_djangos_admin_writes(
    admin_client, world, monkeypatch
):
    """A column that is a function of the record (``admin/rows.py``, ``Column._called``) is
    written as Django's admin writes it: a record it gives (written once a page), nothing,
    a date, a yes or no, its own empty text, a record that is not there."""
    from django.core.exceptions import ObjectDoesNotExist

    from agreements.admin.base import meeting_team

    def nothing(record):
        return None

    def day(record):
        return record.meeting.start_date

    @admin.display(boolean=True)
    def stalled(record):
        return record.is_stalled

    @admin.display(empty_value="(none)")
    def reason(record):
        return record.cancellation or None

    def missing(record):
        raise ObjectDoesNotExist

    build_many(m.Commitment, world, 3)
    columns = ["title", meeting_team, nothing, day, stalled, reason, missing, meeting_team]
    monkeypatch.setattr(admin.site._registry[m.Commitment], "list_display", columns)
    url = admin_url(m.Commitment, "changelist")

    def table(language: str) -> str:
        html = admin_client.get(url, headers={"accept-language": language}).content.decode()
        at = html.index('<table id="result_list">')
        return html[at : html.index("</table>", at)]

    drawn = [table(language) for language in ("en", "es")]
    assert drawn[0].count('class="field-meeting_team"') >= 6
    monkeypatch.setattr(AtScale, "change_list_template", None)  # Django's own template
    assert drawn == [table(language) for language in ("en", "es")]


def test_an_action_forms_fields_are_drawn_once_for_the_choices_and_language_they_show():
    """The action bar's fields (``drawn._action_fields``) are kept by the choices a page gives
    the form and the language: another choice, another language or a form given data (a
    choice made) is drawn as its widgets draw it."""
    from django.contrib.admin.helpers import ActionForm
    from django.utils import translation

    from agreements.admin import drawn

    def form(choices, data=None):
        made = ActionForm(data, auto_id=None)
        made.fields["action"].choices = choices
        return made

    archive = [("", "---------"), ("archive_selected", "Archive the selected records")]
    restore = [("", "---------"), ("restore_selected", "Restore the selected records")]
    for language in ("en", "es"):
        with translation.override(language):
            for choices in (archive, restore, archive):
                assert drawn._action_fields(form(choices)) == drawn._fields_drawn(form(choices))
            chosen = form(restore, {"action": "restore_selected", "select_across": "0"})
            assert drawn._action_fields(chosen) == drawn._fields_drawn(chosen)
            assert 'value="restore_selected" selected' in drawn._action_fields(chosen)
    with translation.override("es"):
        spanish = drawn._action_fields(form(archive))
    assert "Acción" in spanish and spanish != drawn._action_fields(form(archive))


BAR_TEMPLATES = {
    "admin/actions.html",
    "admin/search_form.html",
    "admin/change_list_object_tools.html",
    "admin/pagination.html",
}


@pytest.mark.parametrize("language", ["en-gb", "es"])
@pytest.mark.parametrize("zone", ["UTC", "America/Mexico_City"])
def test_a_changelists_dates_and_times_are_written_as_django_writes_them(language, zone):
    """The rows' dates (``admin/rows.py``, ``Dates``) read the names of months, days, a.m. and
    p.m. once a language: the same text as ``formats.localize`` after
    ``template_localtime``, in every month, at midnight, noon, morning and evening."""
    from django.utils import formats, translation

    from agreements.admin.dates import Dates

    days = [datetime.date(2025, month, 3 + month) for month in range(1, 13)]
    times = [
        datetime.datetime(2025, month, 3 + month, hour, minute, tzinfo=datetime.UTC)
        for month in range(1, 13)
        for hour, minute in [(0, 0), (6, 0), (9, 5), (12, 0), (18, 0), (23, 59)]
    ]
    with translation.override(language), timezone.override(zone):
        dates = Dates()
        assert [dates.shown(day) for day in days] == [formats.localize(day) for day in days]
        assert [dates.shown(at, local=True) for at in times] == [
            formats.localize(timezone.template_localtime(at)) for at in times
        ]
        assert [dates.shown(at) for at in times] == [formats.localize(at) for at in times]
        assert dates.shown(datetime.time(9, 5)) == formats.localize(datetime.time(9, 5))


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_search_and_facets_work(admin_client, world, model):
    build(model, world)
    response = admin_client.get(admin_url(model, "changelist"), {"q": "a", "_facets": "1"})
    assert response.status_code == 200


def test_team_filter_follows_every_path_to_a_team(admin_client, world, other_team):
    ours = [
        m.Claim.objects.create(text="About the meeting", meeting=world["meeting"]),
        m.Claim.objects.create(text="About the commitment", commitment=world["commitment"]),
        m.Claim.objects.create(text="About the body", body=world["body"]),
    ]
    theirs = m.Claim.objects.create(text="Elsewhere", meeting=make_meeting(other_team))
    response = admin_client.get(admin_url(m.Claim, "changelist"), {"team": world["team"].pk})
    shown = set(response.context["cl"].result_list)
    assert shown == set(ours)
    assert theirs not in shown


def test_the_team_filter_offers_every_team_as_it_is_now(admin_client, team, other_team):
    """Its SQL made once a process (``TeamFilter``), its rows read on every request: a new
    team is offered at once, in name order, as the queryset it replaces lists them."""
    from agreements.admin.base import TeamFilter

    def offered() -> list:
        cl = admin_client.get(admin_url(m.Claim, "changelist")).context["cl"]
        return next(s for s in cl.filter_specs if isinstance(s, TeamFilter)).lookup_choices

    def teams() -> list:
        return [(str(pk), name) for pk, name in m.Team.objects.values_list("pk", "name")]

    assert offered() == teams() == [(str(other_team.pk), "Europe"), (str(team.pk), "North America")]
    aardvark = m.Team.objects.create(name="Aardvark", slug="aardvark")
    assert offered() == teams()
    assert offered()[0] == (str(aardvark.pk), "Aardvark")


def test_policy_staff_have_no_admin(client, editor):
    client.force_login(editor)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response.headers["Location"]


# --- Saving pages with their inline rows ------------------------------------------------------


def test_records_with_inline_rows_save_unchanged(admin_client, world):
    """Every existing inline row carries the version it was opened at, or it would look out of
    date and the whole page would be refused."""
    meeting, commitment, body = world["meeting"], world["commitment"], world["body"]
    m.Participant.objects.create(
        meeting=meeting,
        person=world["person"],
        party=world["party"],
        office="SecState",
        role="host",
    )
    m.Milestone.objects.create(commitment=commitment, title="First meeting", due_date=SEPT_3)
    m.Milestone.objects.create(body=body, title="Second meeting", due_date=SEPT_3)
    m.BodyMembership.objects.create(body=body, party=world["party"])
    for model, obj in [
        (m.Meeting, meeting),
        (m.Commitment, commitment),
        (m.ImplementationBody, body),
    ]:
        response = post_page(admin_client, admin_url(model, "change", obj.pk))
        assert response.status_code == 302, response.context["errors"]


def test_editing_an_inline_row_bumps_its_version(admin_client, meeting, commitment):
    url = admin_url(m.Meeting, "change", meeting.pk)
    response = post_page(admin_client, url, **{"commitments-0-title": "Halt fentanyl flows"})
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.title, commitment.version) == ("Halt fentanyl flows", 2)


def test_status_is_read_only_in_the_meetings_commitment_rows(admin_client, meeting, commitment):
    url = admin_url(m.Meeting, "change", meeting.pk)
    assert "commitments-0-status" not in page_form(admin_client, url)
    post_page(admin_client, url, **{"commitments-0-status": "3"})
    commitment.refresh_from_db()
    assert commitment.status == 0


# --- Sources and claims -----------------------------------------------------------------------


def test_claim_beyond_unconfirmed_needs_a_source_in_the_admin(admin_client, meeting, team):
    url = admin_url(m.Claim, "add")
    fields = {"text": "The group met", "verification": "verified", "meeting": str(meeting.pk)}
    response = post_page(admin_client, url, **fields)
    assert response.context["adminform"].form.errors["sources"] == [
        "A claim marked “Verified” needs at least one source."
    ]
    assert not m.Claim.objects.exists()
    source = make_source(team)
    response = post_page(admin_client, url, **fields, sources=[str(source.pk)])
    assert response.status_code == 302
    claim = m.Claim.objects.get()
    assert (claim.verification, claim.sources.get()) == ("verified", source)
    # The state moved through the verification action, which the history names.
    assert claim.history.first().history_user.username == "admin"


def test_unconfirmed_claim_needs_no_source(admin_client, meeting):
    fields = {"text": "Membership not published", "meeting": str(meeting.pk)}
    assert post_page(admin_client, admin_url(m.Claim, "add"), **fields).status_code == 302


def test_meeting_cannot_cite_another_teams_source(admin_client, meeting, other_team):
    foreign = make_source(other_team, title="Brussels memo")
    response = post_page(
        admin_client, admin_url(m.Meeting, "change", meeting.pk), sources=[str(foreign.pk)]
    )
    assert response.status_code == 200
    (error,) = response.context["adminform"].form.errors["sources"]
    assert error.startswith("Cite only sources of this record's team (North America)")
    assert "Brussels memo" in error
    assert not meeting.sources.exists()


def test_claim_cannot_cite_another_teams_source_through_its_commitment(
    admin_client, commitment, other_team
):
    foreign = make_source(other_team, title="Brussels memo")
    fields = {"text": "Seizures rose", "commitment": str(commitment.pk), "sources": [foreign.pk]}
    response = post_page(admin_client, admin_url(m.Claim, "add"), **fields)
    assert "sources" in response.context["adminform"].form.errors
    assert not m.Claim.objects.exists()


def test_progress_update_cannot_cite_another_teams_source(admin_client, commitment, other_team):
    foreign = make_source(other_team)
    fields = {"commitment": str(commitment.pk), "narrative": "Seizures rose 20%"}
    response = post_page(
        admin_client, admin_url(m.ProgressUpdate, "add"), **fields, sources=[str(foreign.pk)]
    )
    assert "sources" in response.context["adminform"].form.errors
    assert not m.ProgressUpdate.objects.exists()


def test_a_cited_source_cannot_move_to_another_team(admin_client, meeting, team, other_team):
    source = make_source(team)
    meeting.sources.add(source)
    url = admin_url(m.Source, "change", source.pk)
    response = post_page(admin_client, url, team=str(other_team.pk))
    assert "cited by meetings" in response.context["adminform"].form.errors["team"][0]
    meeting.sources.clear()
    assert post_page(admin_client, url, team=str(other_team.pk)).status_code == 302


# --- Append-only records ----------------------------------------------------------------------


def test_status_history_is_read_only_in_the_admin(admin_client, world):
    change = build(m.StatusChange, world)
    page = admin_client.get(admin_url(m.StatusChange, "change", change.pk)).content.decode()
    assert 'name="_save"' not in page
    assert "Started" in page  # the reason, shown as text
    assert admin_client.get(admin_url(m.StatusChange, "add")).status_code == 403
    response = admin_client.post(admin_url(m.StatusChange, "change", change.pk), {"reason": "x"})
    assert response.status_code == 403
    change.refresh_from_db()
    assert change.reason == "Started"


@pytest.mark.parametrize(
    "model",
    [m.StatusChange, m.ProgressUpdate, m.ReviewEvent, m.Assessment],
    ids=lambda model: model.__name__,
)
def test_append_only_records_cannot_be_changed_or_deleted(admin_client, world, model):
    obj = build(model, world)
    page = admin_client.get(admin_url(model, "change", obj.pk)).content.decode()
    assert 'name="_save"' not in page  # a read-only view
    assert admin_client.get(admin_url(model, "delete", obj.pk)).status_code == 403
    assert admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    changelist = admin_client.get(admin_url(model, "changelist"))
    assert "delete_selected" not in changelist.content.decode()
    bulk = {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    admin_client.post(admin_url(model, "changelist"), bulk)
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize(
    "model",
    [m.Meeting, m.Commitment, m.ImplementationBody, m.Claim],
    ids=lambda model: model.__name__,
)
def test_archivable_records_are_archived_not_deleted(admin_client, world, model):
    obj = build(model, world)
    assert admin_client.get(admin_url(model, "delete", obj.pk)).status_code == 403
    changelist = admin_client.get(admin_url(model, "changelist")).content.decode()
    assert "delete_selected" not in changelist
    assert "archive_selected" in changelist


def test_progress_update_can_be_added_in_the_admin(admin_client, admin_user, commitment):
    url = admin_url(m.ProgressUpdate, "add")
    assert "author" not in page_form(admin_client, url)  # nobody writes in another's name
    fields = {"commitment": str(commitment.pk), "narrative": "Seizures rose 20%"}
    assert post_page(admin_client, url, **fields).status_code == 302
    update = m.ProgressUpdate.objects.get()
    assert (update.author, update.review_state) == (admin_user, m.ReviewState.DRAFT)


def test_assessment_added_in_the_admin_is_by_the_admin_signed_in(
    admin_client, admin_user, reviewer, commitment, us
):
    url = admin_url(m.Assessment, "add")
    assert "assessed_by" not in page_form(admin_client, url)
    fields = {
        "commitment": str(commitment.pk),
        "party": str(us.pk),
        "score": "+1",
        "justification": "Seizures reported",
        "as_of": "2025-10-01",
        "assessed_by": str(reviewer.pk),  # forged: ignored
    }
    assert post_page(admin_client, url, **fields).status_code == 302
    assert m.Assessment.objects.get().assessed_by == admin_user


def test_assessment_of_a_party_without_a_role_is_refused(admin_client, commitment):
    outsider = m.Party.objects.create(name="Canada", code="CA")
    fields = {
        "commitment": str(commitment.pk),
        "party": str(outsider.pk),
        "score": "0",
        "justification": "Partial",
        "as_of": "2025-10-01",
    }
    response = post_page(admin_client, admin_url(m.Assessment, "add"), **fields)
    assert response.context["adminform"].form.errors["party"] == [
        "This party has no role in the commitment."
    ]
    assert not m.Assessment.objects.exists()


def _registered_records():
    return [
        model
        for model in admin.site._registry
        if model._meta.app_label == "agreements" and model is not m.TeamMembership
    ]


@pytest.mark.parametrize("model", _registered_records(), ids=lambda model: model.__name__)
def test_no_record_is_deleted_in_the_admin_one_by_one_or_in_bulk(
    admin_client, records, us, team, editor, model
):
    """Evidence, history and citations point at them: retiring is archiving (security 4)."""
    people = {m.Party: us, m.Team: team, m.Person: records[m.Participant].person}
    shared = {m.Theme: records[m.Commitment].theme, m.CalendarFeed: m.CalendarFeed.of(editor)}
    shared[m.ApiToken] = m.ApiToken.issue(editor, "portal")[0]
    shared[m.Preference] = m.Preference.objects.create(user=editor, language="es")
    shared[m.Follow] = m.Follow.objects.create(user=editor, commitment=records[m.Commitment])
    shared[m.DigestSent] = m.DigestSent.objects.create(user=editor, day=SEPT_3)
    shared[m.PartyAlias] = m.PartyAlias.objects.create(party=us, name="USA")
    shared[m.SecurityEvent] = actions.record_event(m.SecurityEventKind.SIGNED_IN, user=editor)
    shared[m.SignInLock] = m.SignInLock.objects.create(
        username="editor", until=timezone.now(), failures=20, addresses=3
    )
    obj = (records | people | shared)[model]
    assert admin_client.get(admin_url(model, "delete", obj.pk)).status_code == 403
    assert admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    changelist = admin_client.get(admin_url(model, "changelist")).content.decode()
    assert "delete_selected" not in changelist
    bulk = {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    admin_client.post(admin_url(model, "changelist"), bulk)
    assert model.objects.filter(pk=obj.pk).exists()


def test_leaving_a_team_is_deleting_the_membership(admin_client, editor):
    membership = m.TeamMembership.objects.get(user=editor)
    response = admin_client.post(
        admin_url(m.TeamMembership, "delete", membership.pk), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not m.TeamMembership.objects.filter(pk=membership.pk).exists()
    assert membership.history.filter(history_type="-").exists()  # who removed it, and when


# --- One team per link (security 6) ------------------------------------------------------------


@pytest.fixture
def europe(other_team, us, mexico):
    meeting = make_meeting(other_team, title="Brussels talks")
    return {"meeting": meeting, "commitment": make_commitment(meeting, title="EU pledge")}


def test_a_body_oversees_only_commitments_of_its_own_team(admin_client, meeting, europe):
    body = make_body(meeting, name="High-level group")
    url = admin_url(m.ImplementationBody, "change", body.pk)
    response = post_page(admin_client, url, commitments=[str(europe["commitment"].pk)])
    errors = response.context["adminform"].form.errors
    assert "Link only records of this record's team" in errors["commitments"][0]
    assert not body.commitments.exists()


def test_a_commitment_is_superseded_only_by_one_of_its_team(admin_client, commitment, europe):
    url = admin_url(m.Commitment, "change", commitment.pk)
    response = post_page(
        admin_client,
        url,
        cancellation="superseded",
        superseded_by=str(europe["commitment"].pk),
        status_reason="Replaced",
    )
    assert "superseded_by" in response.context["adminform"].form.errors
    commitment.refresh_from_db()
    assert commitment.superseded_by is None


def test_a_milestone_hangs_from_records_of_one_team(admin_client, commitment, europe, meeting):
    body = make_body(europe["meeting"], name="EU group")
    fields = {"commitment": str(commitment.pk), "body": str(body.pk), "title": "Report"}
    response = post_page(
        admin_client, admin_url(m.Milestone, "add"), due_date="2026-01-01", **fields
    )
    assert response.status_code == 200  # refused: the form again
    assert not m.Milestone.objects.filter(title="Report").exists()
