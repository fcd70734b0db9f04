"""The records admin: every model's pages render for an admin, changelists run a fixed number
of queries whatever their length, inline rows save, sources stay in their team, and
append-only records stay so. The rules of status changes and versions: test_admin_rules.py;
the tables, filters and bars written in Python as Django writes them: test_admin_drawn.py.
Forms are posted as a browser would send them (``tests.admin_forms``)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements import actions
from agreements import models as m
from agreements.views.paging import CappedPaginator
from tests.admin_forms import admin_url, page_form, post_page
from tests.admin_world import (  # noqa: F401 (the world fixture, by its name)
    AT_SCALE,
    MODELS,
    SEPT_3,
    build,
    build_many,
    world_fixture,
)
from tests.conftest import (
    make_body,
    make_commitment,
    make_meeting,
    make_source,
)

# The most queries an admin page (changelist, add or change) may take. The most observed is
# 10 (a changelist with a date hierarchy and several related filters); see the report.
PAGE_QUERY_BUDGET = 13


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
