"""The records admin: every model's pages render for an admin, changelists run a fixed number
of queries whatever their length, and the admin keeps the domain's rules."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements import models as m
from tests.conftest import make_body, make_commitment, make_meeting, make_source, make_user

SEPT_3 = datetime.date(2025, 9, 3)
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
        m.Person: lambda: m.Person.objects.create(name=f"Person {n}", party=party),
        m.Source: lambda: make_source(team),
        m.Meeting: lambda: make_meeting(team),
        m.Participant: lambda: m.Participant.objects.create(
            meeting=make_meeting(team), person=person, party=party, office="Minister", role="host"
        ),
        m.Commitment: lambda: make_commitment(meeting),
        m.CommitmentParty: lambda: m.CommitmentParty.objects.create(
            commitment=make_commitment(meeting), party=party, role="joint"
        ),
        m.StatusChange: lambda: m.StatusChange.objects.create(
            commitment=commitment,
            from_status=0,
            to_status=1,
            from_stalled=False,
            to_stalled=False,
            reason="Started",
            changed_by=user,
            changed_via="test",
        ),
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
        m.ReviewEvent: lambda: m.ReviewEvent.objects.create(
            update=m.ProgressUpdate.objects.create(
                commitment=commitment, author=user, narrative=f"Update {n}"
            ),
            action="submit",
            by=user,
        ),
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
    }
    return makers[model]()


MODELS = [model for model in admin.site._registry if model._meta.app_label == "agreements"]


@pytest.fixture
def world(team, meeting, commitment, us, admin_user):
    return {
        "team": team,
        "meeting": meeting,
        "commitment": commitment,
        "party": us,
        "person": m.Person.objects.create(name="Marco Rubio", party=us),
        "user": admin_user,
        "body": make_body(meeting),
    }


def test_every_model_is_in_the_admin():
    domain = {
        model
        for model in m.__dict__.values()
        if isinstance(model, type)
        and issubclass(model, m.models.Model)
        and not model._meta.abstract
        and model._meta.app_label == "agreements"
        # django-simple-history's tables: shown through each record's History button.
        and not model.__name__.startswith("Historical")
    }
    assert domain == set(MODELS)


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:agreements_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_admin_pages_render_within_a_query_budget(
    client, admin_user, world, model, django_assert_max_num_queries
):
    obj = build(model, world)
    client.force_login(admin_user)
    with django_assert_max_num_queries(20):
        assert client.get(admin_url(model, "changelist")).status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get(admin_url(model, "change", obj.pk)).status_code == 200
    add = client.get(admin_url(model, "add"))
    append_only_history = model in (m.StatusChange, m.ReviewEvent)
    assert add.status_code == (403 if append_only_history else 200)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_query_count_does_not_grow_with_its_rows(client, admin_user, world, model):
    client.force_login(admin_user)
    url = admin_url(model, "changelist")
    for _ in range(5):
        build(model, world)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(45):
        build(model, world)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(few) == len(many), model


def commitment_form_data(commitment, **changes) -> dict:
    data = {
        "meeting": commitment.meeting_id,
        "position": 0,
        "title": commitment.title,
        "text": commitment.text,
        "theme": commitment.theme,
        "status": commitment.status,
        "cancellation": "",
        "status_reason": "",
        "opened_version": commitment.version,
        "party_roles-TOTAL_FORMS": 0,
        "party_roles-INITIAL_FORMS": 0,
        "milestones-TOTAL_FORMS": 0,
        "milestones-INITIAL_FORMS": 0,
    }
    return data | changes


def test_status_change_in_the_admin_needs_a_reason(client, admin_user, commitment):
    client.force_login(admin_user)
    response = client.post(
        admin_url(m.Commitment, "change", commitment.pk), commitment_form_data(commitment, status=2)
    )
    assert response.status_code == 200
    assert "Say why the status changes: it is kept in the history." in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.status == 0
    assert not m.StatusChange.objects.exists()


def test_status_change_in_the_admin_is_recorded_with_who_and_why(client, admin_user, commitment):
    client.force_login(admin_user)
    response = client.post(
        admin_url(m.Commitment, "change", commitment.pk),
        commitment_form_data(commitment, status=2, status_reason="Joint task force operating"),
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == 2
    change = m.StatusChange.objects.get()
    assert (change.from_status, change.to_status) == (0, 2)
    assert (change.changed_by, change.changed_via) == (admin_user, "admin")
    assert change.reason == "Joint task force operating"


def test_editing_other_fields_writes_no_status_history(client, admin_user, commitment):
    client.force_login(admin_user)
    response = client.post(
        admin_url(m.Commitment, "change", commitment.pk),
        commitment_form_data(commitment, lead_agency="SRE"),
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.lead_agency == "SRE"
    assert not m.StatusChange.objects.exists()


def test_claim_beyond_unconfirmed_needs_a_source_in_the_admin(client, admin_user, meeting, team):
    client.force_login(admin_user)
    data = {"text": "The group met", "verification": "verified", "meeting": meeting.pk}
    response = client.post(admin_url(m.Claim, "add"), data)
    assert "A claim marked “Verified” needs at least one source." in response.content.decode()
    assert not m.Claim.objects.exists()
    source = make_source(team)
    response = client.post(admin_url(m.Claim, "add"), data | {"sources": [source.pk]})
    assert response.status_code == 302
    assert m.Claim.objects.get().sources.get() == source


def test_meeting_cannot_cite_another_teams_source(client, admin_user, meeting, other_team):
    foreign = make_source(other_team, title="Brussels memo")
    client.force_login(admin_user)
    response = client.post(
        admin_url(m.Meeting, "change", meeting.pk),
        {
            "team": meeting.team_id,
            "title": meeting.title,
            "start_date": "2025-09-03",
            "parties": [p.pk for p in meeting.parties.all()],
            "outcome_type": meeting.outcome_type,
            "sources": [foreign.pk],
            "opened_version": meeting.version,
            "participants-TOTAL_FORMS": 0,
            "participants-INITIAL_FORMS": 0,
            "commitments-TOTAL_FORMS": 0,
            "commitments-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "Cite only sources of this record" in response.content.decode()
    assert not meeting.sources.exists()


def test_milestone_due_before_its_meeting_is_refused_in_the_admin(client, admin_user, commitment):
    client.force_login(admin_user)
    response = client.post(
        admin_url(m.Milestone, "add"),
        {
            "commitment": commitment.pk,
            "title": "Early",
            "due_date": "2025-08-01",
            "status": "planned",
        },
    )
    assert "A milestone cannot fall due before the meeting that agreed it" in (
        response.content.decode()
    )
    assert not m.Milestone.objects.exists()


def test_append_only_records_cannot_be_changed_or_deleted(client, admin_user, world):
    client.force_login(admin_user)
    for model in (m.StatusChange, m.ProgressUpdate, m.ReviewEvent, m.Assessment):
        obj = build(model, world)
        page = client.get(admin_url(model, "change", obj.pk)).content.decode()
        assert 'name="_save"' not in page  # a read-only view
        assert client.get(admin_url(model, "delete", obj.pk)).status_code == 403
        assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
        assert model.objects.filter(pk=obj.pk).exists()


def test_policy_staff_have_no_admin(client, editor):
    client.force_login(editor)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response.headers["Location"]


def test_admin_refuses_to_save_over_a_newer_version(client, admin_user, commitment):
    client.force_login(admin_user)
    opened = commitment.version
    commitment.lead_agency = "Changed meanwhile by someone else"
    commitment.save_versioned(expected=opened, update_fields=["lead_agency"])
    response = client.post(
        admin_url(m.Commitment, "change", commitment.pk),
        commitment_form_data(commitment, lead_agency="Mine", opened_version=opened),
    )
    assert response.status_code == 200
    assert "Someone else changed this record since you opened it" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.lead_agency == "Changed meanwhile by someone else"


def test_admin_save_bumps_the_version(client, admin_user, commitment):
    client.force_login(admin_user)
    before = commitment.version
    client.post(
        admin_url(m.Commitment, "change", commitment.pk),
        commitment_form_data(commitment, lead_agency="SRE"),
    )
    commitment.refresh_from_db()
    assert commitment.version == before + 1
