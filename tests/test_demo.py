"""The demo is the reference meeting: each fact of the report is where a user would look."""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Model
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from icalendar import Calendar

from agreements import models as m
from agreements.sample_desk import Desk
from tests.test_status_history import stored_agrees_with_the_changes

User = get_user_model()


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module: the sample desk is some thousand rows written
    through the actions, seconds of work. Loaded in a transaction rolled back after the
    module's last test; each test runs inside it, in a savepoint of its own that pytest-django
    (``db``) rolls back after it, so each sees the demo as loaded."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as conftest's, for the logins
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=hashers),
        transaction.atomic(),
    ):
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(loaded, db):
    assert "staff" in loaded and "password “demo”" in loaded
    return m.Meeting.objects.get(title="U.S.–Mexico security meeting")


def sign_in(client, username: str) -> bool:
    """Through the sign-in page, as a person does (and its throttling sees)."""
    response = client.post("/accounts/login/", {"username": username, "password": "demo"})
    return response.status_code == 302


def page(client, username: str, url: str) -> str:
    assert sign_in(client, username)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def admin_page(client, obj: Model) -> str:
    meta = obj._meta
    return page(
        client, "admin", reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    )


def test_the_meeting_when_where_and_outcome(client, demo):
    assert demo.start_date == datetime.date(2025, 9, 3)
    assert (demo.city, demo.venue) == ("Mexico City", "National Palace")
    assert demo.outcome_type == m.OutcomeType.REAFFIRMATION
    assert {p.code for p in demo.parties.all()} == {"US", "MX"}
    html = admin_page(client, demo)
    for fact in (
        "National Palace",
        "Mexico City",
        "memorandum of understanding",
        "no treaty was signed",
        "respect each nation",
    ):
        assert fact in html, fact


def test_the_parties_are_found_by_the_names_people_type(client, demo):
    """Their aliases come with the demo, and a picker finds each party by them (#26)."""
    assert sign_in(client, "staff")
    for typed, code in [("USA", "US"), ("EE. UU.", "US"), ("Estados Unidos", "US"), ("Méx", "MX")]:
        response = client.get(
            "/meetings/new/",
            {"_pick": "participants-0-party", "find": typed},
            HTTP_HX_REQUEST="true",
        )
        party = m.Party.objects.get(code=code)
        assert f'<option value="{party.pk}"' in response.content.decode(), typed
        # The meeting's own parties: ticked boxes, found the same way.
        response = client.get(
            "/meetings/new/", {"_pick": "parties", "find": typed}, HTTP_HX_REQUEST="true"
        )
        assert f'name="parties" value="{party.pk}"' in response.content.decode(), typed


def test_the_three_officials_with_the_offices_they_held(client, demo):
    offices = {p.person.name: (p.office, p.role, p.party.code) for p in demo.participants.all()}
    assert offices == {
        "Marco Rubio": ("U.S. Secretary of State", "head_of_delegation", "US"),
        "Claudia Sheinbaum": ("President of Mexico", "host", "MX"),
        "Ramón de la Fuente": ("Secretary of Foreign Affairs of Mexico", "delegate", "MX"),
    }
    html = admin_page(client, demo)
    for office in (
        "U.S. Secretary of State",
        "President of Mexico",
        "Secretary of Foreign Affairs",
    ):
        assert office in html


def test_the_five_commitments_with_each_partys_role(client, demo):
    commitments = {c.title: c for c in demo.commitments.all()}
    assert list(commitments) == [
        "Halt fentanyl and other illicit drug flows",
        "Stop firearms moving south",
        "Curb fuel theft",
        "Control migration",
        "Act only from each country's own side of the border",
    ]
    themes = [c.theme_id for c in commitments.values()]
    assert themes == ["drugs", "arms", "fuel_theft", "migration", "sovereignty"]
    arms = commitments["Stop firearms moving south"]
    assert {r.party.code: r.role for r in arms.party_roles.all()} == {
        "US": "committed",
        "MX": "counterpart",
    }
    assert "precursor" in commitments["Halt fentanyl and other illicit drug flows"].text
    sovereignty = commitments["Act only from each country's own side of the border"]
    assert "sovereignty" in sovereignty.text
    assert sovereignty.jurisdiction_note
    assert all(c.status == m.ImplementationStatus.NOT_STARTED for c in commitments.values())
    html = page(client, "staff", "/")  # the dashboard counts them, beside the sample desk's
    beside = m.Commitment.objects.filter(team=sample_team()).counting().count()
    assert f"over {5 + beside} commitments that count" in html


def test_the_implementation_group_without_published_members(client, demo):
    body = demo.bodies.get()
    assert body.name == "High-level implementation group"
    assert body.lifecycle == m.Lifecycle.ANNOUNCED
    assert body.commitments.count() == 5
    assert not body.members.exists()
    html = page(client, "reviewer", reverse("agreements:body_detail", args=[body.pk]))
    assert "High-level implementation group" in html
    assert "No members published" in html
    assert "Meets regularly" in html
    assert "The precise membership, schedule and legal authorities" in html


def test_both_quotations_with_attribution(client, demo):
    rubio = demo.statements.get(speaker__name="Marco Rubio")
    assert rubio.text.startswith("This is a high-level group that will meet and coordinate")
    assert "… are being implemented" in rubio.text
    assert (rubio.speaker_office, rubio.party.code) == ("U.S. Secretary of State", "US")
    fuente = demo.statements.get(speaker__name="Ramón de la Fuente")
    assert "models of cooperation can be built that work, that give results" in fuente.text
    assert fuente.said_on == datetime.date(2025, 9, 3)
    assert "that give results" in admin_page(client, fuente)


def test_the_three_open_questions_are_unconfirmed_claims(client, demo):
    claims = m.Claim.objects.all()
    assert claims.count() == 3
    assert {c.verification for c in claims} == {m.Verification.UNCONFIRMED}
    html = page(client, "staff", reverse("agreements:claim_list"))
    for words in (
        "received warnings before the engagement",
        "membership, schedule and legal authorities",
        "memorandum of understanding would differ",
    ):
        assert words in html


def test_the_context_events(client, demo):
    events = {e.title: e for e in demo.context_events.all()}
    strike = events["U.S. strike on a vessel in the Caribbean"]
    assert (strike.fatalities, strike.relation, strike.actor.code) == (11, "background", "US")
    assert "Tren de Aragua" in strike.description
    assert "55 cartel suspects" in " ".join(events)
    assert "National Guard deployed to Mexico's northern border" in events
    ecuador = events["Rubio visits Ecuador"]
    assert (ecuador.occurred_on, ecuador.relation) == (datetime.date(2025, 9, 4), "follow_up")
    assert "killed 11 people" in admin_page(client, strike)


def test_the_report_is_the_source_of_every_record(demo):
    source = m.Source.objects.get()
    assert source.title == "U.S., Mexico to Deepen Border Security Cooperation"
    assert demo.sources.get() == source
    for queryset in (
        demo.commitments.all(),
        demo.bodies.all(),
        demo.statements.all(),
        m.Claim.objects.all(),
        demo.context_events.all(),
    ):
        assert all(record.sources.get() == source for record in queryset)


def test_demo_logins_and_their_roles(client, demo):
    team = demo.team
    assert User.objects.get(username="admin").is_superuser
    assert m.TeamMembership.objects.get(user__username="staff", team=team).role == "editor"
    assert m.TeamMembership.objects.get(user__username="reviewer", team=team).role == "reviewer"
    assert not m.TeamMembership.objects.filter(user__username="outsider", team=team).exists()
    for username in ("admin", "staff", "reviewer", "outsider"):
        assert sign_in(client, username), username
    assert demo.title in page(client, "staff", "/")
    assert demo.title not in page(client, "outsider", "/")


def counts() -> dict[str, int]:
    models = [
        model
        for model in m.__dict__.values()
        if isinstance(model, type) and issubclass(model, Model) and not model._meta.abstract
    ]
    return {model.__name__: model.objects.count() for model in models} | {
        "User": User.objects.count()
    }


def test_loading_again_duplicates_nothing_and_keeps_changes(demo):
    commitment = demo.commitments.first()
    commitment.lead_agency = "Secretaría de Seguridad"
    commitment.save(update_fields=["lead_agency"])
    before = counts()  # history included: a second run must not write any
    call_command("load_demo", stdout=io.StringIO())
    assert counts() == before
    commitment.refresh_from_db()
    assert commitment.lead_agency == "Secretaría de Seguridad"


# --- The sample desk: synthetic meetings over five years, beside the reference meeting ---------


def sample_team() -> m.Team:
    return m.Team.objects.get(name="Sample desk: synthetic data")


def in_sample(model: type[Model]):
    return model.objects.in_teams([sample_team().pk])


def years_of(dates) -> set[int]:
    return {day.year for day in dates}


def test_the_reference_meeting_gets_no_invented_progress(demo):
    """The seed stays as its report says: nothing happened after it that the report tells."""
    commitments = demo.commitments.all()
    assert {c.status for c in commitments} == {m.ImplementationStatus.NOT_STARTED}
    for model in (m.ProgressUpdate, m.StatusChange, m.Assessment, m.Milestone):
        assert not model.objects.filter(commitment__in=commitments).exists(), model.__name__
    assert not m.Milestone.objects.filter(body__meeting=demo).exists()
    assert list(m.Meeting.objects.filter(team=demo.team)) == [demo]


def test_the_sample_desk_is_a_dozen_synthetic_meetings_over_five_years(client, demo):
    today = timezone.localdate()
    meetings = m.Meeting.objects.filter(team=sample_team()).order_by("start_date")
    assert meetings.count() == 12
    first, latest = meetings.first().start_date, meetings.last().start_date
    assert (
        today - datetime.timedelta(days=5 * 366) < first < today - datetime.timedelta(days=4 * 365)
    )
    assert latest > today - datetime.timedelta(days=365)
    assert m.Commitment.objects.filter(team=sample_team()).count() >= 40
    # Named as synthetic, between synthetic states: no real party's briefing counts them.
    assert all(meeting.title.startswith("Synthetic meeting") for meeting in meetings)
    parties = m.Party.objects.filter(meetings__in=meetings).distinct()
    assert parties and all(p.name.startswith("Synthetic state") for p in parties)
    html = page(client, "staff", reverse("agreements:party_briefing", args=[parties[0].pk]))
    assert "Synthetic meeting" in html
    html = page(
        client, "staff", reverse("agreements:party_briefing", args=[demo.parties.first().pk])
    )
    assert "Synthetic meeting" not in html


def test_its_progress_is_dated_over_the_years_and_recorded_as_loaded(demo):
    """Each fact carries the day it happened, spread over the years; all were recorded by
    the load, through the actions (the current status is that of the latest change)."""
    today = timezone.localdate()
    updates = in_sample(m.ProgressUpdate)
    assert len(years_of(updates.values_list("happened_on", flat=True))) >= 5
    assert {u.created_at.date() for u in updates} == {today}
    changes = in_sample(m.StatusChange)
    assert len(years_of(changes.values_list("effective_on", flat=True))) >= 4
    for change in changes.exclude(update=None).select_related("update"):
        assert change.effective_on == change.update.happened_on
    then = m.Commitment.objects.filter(team=sample_team()).as_of(today)
    for commitment in then:
        status = (commitment.status, commitment.is_stalled, commitment.cancellation)
        assert status == (
            commitment.status_then,
            commitment.stalled_then,
            commitment.cancellation_then,
        )
    assert {c.status for c in then} == set(m.ImplementationStatus.values)
    assert then.filter(is_stalled=True).exists()
    stored_agrees_with_the_changes()  # the past days and the curves the demo shows
    override = changes.get(update=None)  # an admin's cancellation
    assert override.is_override and override.changed_by.username == "admin"
    assessments = in_sample(m.Assessment)
    assert len(years_of(assessments.values_list("as_of", flat=True))) >= 4
    assert {a.assessed_by.username for a in assessments} == {"reviewer"}
    milestones = in_sample(m.Milestone)
    done = milestones.filter(status=m.MilestoneStatus.DONE)
    assert len(years_of(done.values_list("completed_on", flat=True))) >= 4
    moved = m.MilestoneReschedule.objects.filter(milestone__in=milestones)
    assert len(years_of(moved.values_list("moved_on", flat=True))) >= 3
    assert all(r.to_date > r.from_date and r.reason for r in moved)


def test_updates_were_reviewed_some_returned_and_a_few_wait(client, demo):
    updates = in_sample(m.ProgressUpdate)
    states = {s: updates.filter(review_state=s).count() for s in m.ReviewState.values}
    assert states["approved"] > states["returned"] > 0
    assert states["submitted"] + states["resubmitted"] >= 3 and states["resubmitted"]
    assert not updates.filter(review_state="returned", revision=None).exists()  # all revised
    decisions = m.ReviewEvent.objects.filter(update__in=updates).exclude(action="submit")
    assert {e.by.username for e in decisions} == {"reviewer"}
    assert {u.author.username for u in updates} == {"staff"}
    # What waits is in the demo reviewer's queue, and on their dashboard.
    waiting = updates.filter(review_state__in=["submitted", "resubmitted"]).select_related(
        "commitment"
    )
    html = page(client, "reviewer", reverse("agreements:review_queue"))
    for update in waiting:
        assert escape(update.narrative) in html
    assert waiting[0].commitment.title in page(client, "reviewer", "/")


def test_milestones_are_overdue_and_coming_and_the_calendar_feed_holds_them(client, demo):
    today = timezone.localdate()
    milestones = in_sample(m.Milestone)
    overdue = milestones.overdue(today)
    assert overdue.exists()
    assert overdue.first().title in page(client, "staff", "/")
    coming = milestones.filter(status=m.MilestoneStatus.PLANNED, due_date__gte=today)
    assert coming.exists()
    reviewer = User.objects.get(username="reviewer")
    feed = client.get(reverse("agreements:calendar_feed", args=[m.CalendarFeed.of(reviewer).token]))
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    days = {event.decoded("dtstart") for event in events}
    assert {milestone.due_date for milestone in coming} <= days
    assert any(day < today for day in days)  # the past year's too


def test_the_outsider_sees_nothing_of_the_sample_desk(client, demo):
    meeting = m.Meeting.objects.filter(team=sample_team()).first()
    commitment = meeting.commitments.first()
    assert not m.TeamMembership.objects.filter(team=sample_team(), user__username="outsider")
    assert sign_in(client, "outsider")
    for url in (meeting.get_absolute_url(), commitment.get_absolute_url()):
        assert client.get(url).status_code == 404
    assert "Synthetic" not in client.get("/").content.decode()
    outsider = User.objects.get(username="outsider")
    feed = client.get(reverse("agreements:calendar_feed", args=[m.CalendarFeed.of(outsider).token]))
    assert not Calendar.from_ical(feed.content).walk("VEVENT")  # Europe has no milestones


def test_the_demo_logins_see_the_sample_desk_labelled_as_such(client, demo):
    roles = dict(
        m.TeamMembership.objects.filter(team=sample_team()).values_list("user__username", "role")
    )
    assert roles == {"staff": "editor", "reviewer": "reviewer", "admin": "editor"}
    meeting = m.Meeting.objects.filter(team=sample_team()).first()
    commitment = meeting.commitments.first()
    body = meeting.bodies.get()
    for username in ("staff", "reviewer", "admin"):
        client.logout()
        assert "Sample desk: synthetic data" in page(client, username, meeting.get_absolute_url())
    # A record's page names its meeting, whose title says it is synthetic, or the team.
    assert "Synthetic meeting" in page(client, "staff", commitment.get_absolute_url())
    assert "Sample desk: synthetic data" in page(client, "staff", body.get_absolute_url())


def test_the_sample_desk_is_the_same_each_time_it_is_built(demo):
    """Drawn from a fixed seed, dated back from today: built again (here into another team,
    its first meetings, to save time), it is the same desk."""

    def shape(team: m.Team) -> list:
        return [
            (
                meeting.title,
                meeting.start_date,
                [
                    (c.title, c.status, c.is_stalled, c.cancellation, c.target_date)
                    for c in meeting.commitments.order_by("position")
                ],
                sorted(
                    m.ProgressUpdate.objects.filter(commitment__meeting=meeting).values_list(
                        "happened_on", "review_state", "narrative"
                    )
                ),
            )
            for meeting in m.Meeting.objects.filter(team=team).order_by("start_date")
        ]

    again = m.Team.objects.create(slug="again", name="Again")
    users = {
        u.username: u for u in User.objects.filter(username__in=["staff", "reviewer", "admin"])
    }
    Desk(again, users, note=lambda record, created: record).build(meetings=3)
    assert shape(again) == shape(sample_team())[:3]
