"""The records admin's test world, shared by its tests (test_admin.py, test_admin_drawn.py):
one new row of any model with the records it needs (``build``), the models in the admin
(``MODELS``) and those at scale (``AT_SCALE``), and the records they hang from (the ``world``
fixture, imported by name: ``world_fixture``)."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.contrib import admin
from django.utils import timezone

from agreements import actions
from agreements import models as m
from agreements.admin.scale import AtScale
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


@pytest.fixture(name="world")
def world_fixture(team, meeting, commitment, us, admin_user):
    return {
        "team": team,
        "meeting": meeting,
        "commitment": commitment,
        "party": us,
        "person": m.Person.objects.create(team=team, name="Marco Rubio", party=us),
        "user": admin_user,
        "body": make_body(meeting),
    }
