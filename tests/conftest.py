"""Personas and small helpers. Plain ``objects.create``; no JSON fixtures."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.contrib.auth import get_user_model

from agreements.models import (
    Commitment,
    CommitmentParty,
    ImplementationBody,
    Meeting,
    OutcomeType,
    Party,
    PartyRole,
    Source,
    Team,
    TeamMembership,
    TeamRole,
    Theme,
)

User = get_user_model()
_counter = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_user(username: str, *, team: Team | None = None, role: str | None = None, **extra):
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    if team is not None:
        TeamMembership.objects.create(user=user, team=team, role=role or TeamRole.EDITOR)
    return user


def make_party(code: str = "", **extra) -> Party:
    n = next(_counter)
    code = code or f"P{n:02d}"[:3]
    return Party.objects.create(name=extra.pop("name", f"Party {code} {n}"), code=code, **extra)


def make_meeting(team: Team, **extra) -> Meeting:
    n = next(_counter)
    defaults = {
        "title": f"Meeting {n}",
        "start_date": datetime.date(2025, 9, 3),
        "outcome_type": OutcomeType.JOINT_STATEMENT,
    }
    return Meeting.objects.create(team=team, **(defaults | extra))


def make_commitment(meeting: Meeting, *, parties=(), **extra) -> Commitment:
    n = next(_counter)
    defaults = {"title": f"Commitment {n}", "text": f"Text of commitment {n}", "theme": Theme.DRUGS}
    commitment = Commitment.objects.create(meeting=meeting, **(defaults | extra))
    for party in parties:
        CommitmentParty.objects.create(commitment=commitment, party=party, role=PartyRole.JOINT)
    return commitment


def make_body(meeting: Meeting, **extra) -> ImplementationBody:
    n = next(_counter)
    return ImplementationBody.objects.create(meeting=meeting, **({"name": f"Body {n}"} | extra))


def make_source(team: Team, **extra) -> Source:
    n = next(_counter)
    defaults = {"title": f"Report {n}", "url": f"https://news.example/{n}", "publisher": "Wire"}
    return Source.objects.create(team=team, **(defaults | extra))


@pytest.fixture
def team(db) -> Team:
    return Team.objects.create(name="North America", slug="north-america")


@pytest.fixture
def other_team(db) -> Team:
    return Team.objects.create(name="Europe", slug="europe")


@pytest.fixture
def editor(team):
    return make_user("editor", team=team, role=TeamRole.EDITOR)


@pytest.fixture
def reviewer(team):
    return make_user("reviewer", team=team, role=TeamRole.REVIEWER)


@pytest.fixture
def outsider(other_team):
    return make_user("outsider", team=other_team, role=TeamRole.EDITOR)


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser(username="admin", password=PASSWORD)


@pytest.fixture
def us(db) -> Party:
    return Party.objects.create(name="United States", code="US")


@pytest.fixture
def mexico(db) -> Party:
    return Party.objects.create(name="Mexico", code="MX")


@pytest.fixture
def meeting(team, us, mexico) -> Meeting:
    meeting = make_meeting(team)
    meeting.parties.set([us, mexico])
    return meeting


@pytest.fixture
def commitment(meeting, us, mexico) -> Commitment:
    return make_commitment(meeting, parties=[us, mexico])


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing with the production hasher costs ~0.3 s a user; the tests do not need that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
