"""Personas and small helpers. Plain ``objects.create``; no JSON fixtures."""

from __future__ import annotations

import contextlib
import datetime
import itertools
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from agreements.actions import submit_update
from agreements.models import (
    Assessment,
    BodyMembership,
    Claim,
    Commitment,
    CommitmentParty,
    CommitmentTally,
    ComplianceDayTally,
    ComplianceMonthTally,
    ComplianceQuarterTally,
    ComplianceScore,
    ComplianceSpan,
    ComplianceTally,
    ComplianceYearTally,
    ContextEvent,
    ImplementationBody,
    IndexMonthTally,
    Meeting,
    MeetingLink,
    Milestone,
    MilestoneReschedule,
    OutcomeType,
    Participant,
    Party,
    PartyRole,
    Person,
    ProgressUpdate,
    ReviewEvent,
    Source,
    SourceFile,
    Statement,
    StatusChange,
    StatusDayTally,
    StatusMonthTally,
    StatusSpan,
    StatusYearTally,
    Team,
    TeamMembership,
    TeamRole,
    Theme,
)
from tests.reused_database import (  # noqa: F401 (pytest-django's fixtures, overridden)
    django_db_modify_db_settings,
    django_db_setup,
    reused_database,
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
    defaults = {"title": f"Commitment {n}", "text": f"Text of commitment {n}", "theme": "drugs"}
    extra = defaults | extra
    if isinstance(extra["theme"], str):  # a theme's code, as the tests name them
        extra["theme_id"] = extra.pop("theme")
    commitment = Commitment.objects.create(meeting=meeting, **extra)
    StatusSpan.objects.rewrite([commitment.pk])  # its stored history, as the actions write it
    for party in parties:
        CommitmentParty.objects.create(commitment=commitment, party=party, role=PartyRole.JOINT)
    return commitment


def make_body(meeting: Meeting, **extra) -> ImplementationBody:
    n = next(_counter)
    return ImplementationBody.objects.create(meeting=meeting, **({"name": f"Body {n}"} | extra))


def keep_text_file(source: Source, by, *, text: str = "Joint statement", name: str = "note.txt"):
    """A plain-text file kept with ``source`` through the action, as the pages keep one."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from agreements.actions import keep_file

    upload = SimpleUploadedFile(name, text.encode(), content_type="text/plain")
    return keep_file(source=source, upload=upload, retrieved_on=datetime.date(2025, 9, 4), by=by)


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


@pytest.fixture
def body(meeting, commitment) -> ImplementationBody:
    """The seed's body: a group overseeing the meeting's commitment, its members unnamed."""
    body = make_body(
        meeting,
        name="High-level implementation group",
        mandate="Monitor and coordinate agreed activities",
        cadence="Meets regularly",
    )
    body.commitments.add(commitment)
    return body


def body_url(body) -> str:
    return reverse("agreements:body_detail", args=[body.pk])


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing with the production hasher costs ~0.3 s a user; the tests do not need that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def evidence_store(settings, tmp_path):
    """Kept files go to the test's own folder, never to var/ (the demo's store)."""
    settings.STORAGES = settings.STORAGES | {
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "evidence", "allow_overwrite": False},
        }
    }
    return tmp_path / "evidence"


@pytest.fixture(autouse=True)
def plain_static_names(settings):
    """Pages name static files plainly here (css/tracker.css), not by hash as production does:
    the hashed names come from collectstatic's manifest, which a bare `pytest` has not made, and
    live_server serves static files from the source folders, where no hashed name exists (the
    browser tests would lose their CSS and htmx). tests/test_gunicorn.py serves the hashed,
    compressed files as production does."""
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "tracker.storages.PlainAddressesKept"}
    }


@pytest.fixture(autouse=True)
def themes(request):
    """The themes the migrations seed, back after a browser test's flush emptied the tables."""
    if "_django_db_helper" in request.fixturenames or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("_django_db_helper")
        Theme.seed()


@pytest.fixture(autouse=True)
def default_language_after():
    """A page asked for in Spanish leaves Spanish active in the thread (LocaleMiddleware sets
    it, nothing unsets it): the next test starts in the default language again."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def password_only_sign_in(settings):
    """The personas sign in with a password; tests/test_two_factor.py turns the second step's
    requirement back on and proves it."""
    settings.TWO_FACTOR_REQUIRED = False


@pytest.fixture
def world(meeting, commitment, team, us, editor):
    """One of every record a page acts on, in the team of the personas."""
    author = make_user("author", team=team)
    source = make_source(team)
    meeting.sources.add(source)
    body = make_body(meeting)
    body.commitments.add(commitment)
    return {
        "meeting": meeting,
        "commitment": commitment,
        "body": body,
        "membership": BodyMembership.objects.create(body=body, party=us),
        "milestone": Milestone.objects.create(
            commitment=commitment, title="First", due_date=meeting.start_date
        ),
        # The meeting's own and the body's own milestones (ticked and moved on their pages).
        "meeting_milestone": Milestone.objects.create(
            meeting=meeting, title="Agreement in force", due_date=meeting.start_date
        ),
        "body_milestone": Milestone.objects.create(
            body=body, title="First session", due_date=meeting.start_date
        ),
        "claim": Claim.objects.create(text="Unclear", meeting=meeting),
        "source": source,
        "file": keep_text_file(source, editor),
        "update": submit_update(commitment=commitment, author=author, narrative="Seizures"),
        "draft": submit_update(commitment=commitment, author=editor, narrative="Draft", draft=True),
        "us": us,
        "earlier": (earlier := make_meeting(team, start_date=datetime.date(2021, 10, 8))),
        "link": MeetingLink.objects.create(meeting=meeting, relation="follows_up", other=earlier),
        "event": ContextEvent.objects.create(
            meeting=meeting, title="Strike", relation="background", timing_note="the day before"
        ),
    }


HTMX = {"HTTP_HX_REQUEST": "true"}


class QueryCount:
    """Counts the queries a page makes (the ``queries`` fixture).

    A request is a URL, or a tuple ``(url, data)`` or ``(url, data, headers)``.
    """

    def of(self, client, request) -> int:
        """The queries one GET makes; it must answer 200."""
        url, data, headers = (request, None, {}) if isinstance(request, str) else (*request, {})[:3]
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, data, **headers)
        assert response.status_code == 200, url
        return len(captured)

    def stay_flat(self, client, fill, *requests) -> None:
        """Each request makes as many queries with 5 rows as with 50: ``fill(n)`` adds n."""
        fill(5)
        few = [self.of(client, request) for request in requests]
        fill(45)
        assert [self.of(client, request) for request in requests] == few


@contextlib.contextmanager
def compiled_sql():
    """The SQL the ORM compiles inside the block, a list filled as it goes: what a query made
    once a process (``made_once.rows_of_made_once``) compiles no more."""
    compiled: list[str] = []
    as_sql = SQLCompiler.as_sql

    def counted(self, *args, **kwargs):
        sql, params = as_sql(self, *args, **kwargs)
        compiled.append(sql)
        return sql, params

    with mock.patch.object(SQLCompiler, "as_sql", counted):
        yield compiled


@pytest.fixture
def queries() -> QueryCount:
    return QueryCount()


def meeting_data(
    team, us, mexico, rows: list[dict], participants: list[dict] = (), **meeting
) -> dict:
    """The meeting form's POST body: a meeting of ``team`` between ``us`` and ``mexico``
    with one commitment row per dict of ``rows`` and one participant row per dict of
    ``participants`` (their fields without the row prefix)."""
    data = {
        "team": team.pk,
        "title": "Border security talks",
        "start_date": "2025-09-03",
        "end_date": "",
        "city": "Mexico City",
        "venue": "National Palace",
        "parties": [us.pk, mexico.pk],
        "outcome_type": "reaffirmation",
        "outcome_note": "MOU discussed",
        "commitments-TOTAL_FORMS": str(len(rows)),
        "commitments-INITIAL_FORMS": "0",
        "participants-TOTAL_FORMS": str(len(participants)),
        "participants-INITIAL_FORMS": "0",
    } | meeting
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"commitments-{i}-{key}"] = value
    for i, row in enumerate(participants):
        for key, value in row.items():
            data[f"participants-{i}-{key}"] = value
    return data


def submit_dated_update(commitment, author, status, day: datetime.date):
    """A progress update proposing ``status``, dated ``day`` (its day of progress), submitted
    through the action."""
    return submit_update(
        commitment=commitment,
        author=author,
        narrative=f"Progress of {day}",
        proposed_status=status,
        happened_on=day,
    )


def tomorrow() -> datetime.date:
    """Asked when a test runs, not when its module is imported: a run that passes midnight
    would otherwise date "the future" today."""
    return timezone.localdate() + datetime.timedelta(days=1)


def make_status_change(commitment, **extra) -> StatusChange:
    """A status-history row as the action writes it (here written directly)."""
    defaults = {
        "from_status": 0,
        "to_status": 1,
        "from_stalled": False,
        "to_stalled": False,
        "reason": "Started",
        "changed_via": "test",
    }
    change = StatusChange.objects.create(commitment=commitment, **(defaults | extra))
    StatusSpan.objects.rewrite([commitment.pk])
    return change


def compliance_history(commitment):
    """The commitment's stored compliance, as the actions write it (its assessments made here
    directly)."""
    ComplianceSpan.objects.rewrite([commitment.pk])
    return ComplianceSpan.objects.filter(commitment=commitment)


@pytest.fixture
def records(meeting, commitment, us, team, editor):
    """One record of every team-scoped model, all in `team`."""
    body = make_body(meeting)
    body.commitments.add(commitment)
    person = Person.objects.create(team=team, name="Marco Rubio", party=us)
    # Submitted through the workflow, which stores the state beside the event (on PostgreSQL
    # a committed event without its state is refused, and some of these tests commit).
    update = submit_update(commitment=commitment, author=editor, narrative="Seizures up")
    source = make_source(team)
    return {
        Source: source,
        SourceFile: keep_text_file(source, editor),
        Meeting: meeting,
        Participant: Participant.objects.create(
            meeting=meeting, person=person, party=us, office="Secretary of State", role="host"
        ),
        Commitment: commitment,
        CommitmentTally: CommitmentTally.objects.filter(team=team).first(),
        CommitmentParty: commitment.party_roles.first(),
        StatusChange: make_status_change(commitment),
        ImplementationBody: body,
        BodyMembership: BodyMembership.objects.create(body=body, party=us),
        Milestone: Milestone.objects.create(
            body=body, title="First", due_date=datetime.date(2025, 9, 3)
        ),
        ProgressUpdate: update,
        ReviewEvent: update.review_events.get(),
        Assessment: Assessment.objects.create(
            commitment=commitment,
            party=us,
            score=ComplianceScore.PARTIAL,
            justification="Work in progress",
            as_of=datetime.date(2025, 9, 3),
            assessed_by=editor,
        ),
        ComplianceTally: ComplianceTally.objects.filter(team=team).first(),
        StatusSpan: StatusSpan.objects.filter(team=team).first(),
        ComplianceSpan: compliance_history(commitment).first(),
        ComplianceDayTally: ComplianceDayTally.objects.filter(team=team).first(),
        ComplianceMonthTally: ComplianceMonthTally.objects.filter(team=team).first(),
        ComplianceYearTally: ComplianceYearTally.objects.filter(team=team).first(),
        ComplianceQuarterTally: ComplianceQuarterTally.objects.filter(team=team).first(),
        StatusDayTally: StatusDayTally.objects.filter(team=team).first(),
        StatusMonthTally: StatusMonthTally.objects.filter(team=team).first(),
        StatusYearTally: StatusYearTally.objects.filter(team=team).first(),
        IndexMonthTally: IndexMonthTally.objects.filter(team=team).first(),
        Statement: Statement.objects.create(
            meeting=meeting, speaker=person, text="Words", said_on=datetime.date(2025, 9, 3)
        ),
        Claim: Claim.objects.create(text="Unclear", commitment=commitment),
        ContextEvent: ContextEvent.objects.create(
            meeting=meeting, title="Visit", relation="follow_up"
        ),
        Person: person,
        MeetingLink: MeetingLink.objects.create(
            meeting=meeting,
            relation="follows_up",
            other=make_meeting(team, title="Earlier", start_date=datetime.date(2021, 10, 8)),
        ),
        MilestoneReschedule: MilestoneReschedule.objects.create(
            milestone=Milestone.objects.create(
                commitment=commitment, title="Review", due_date=datetime.date(2025, 12, 3)
            ),
            from_date=datetime.date(2025, 12, 1),
            to_date=datetime.date(2025, 12, 3),
            reason="Extended",
            by=editor,
        ),
    }
