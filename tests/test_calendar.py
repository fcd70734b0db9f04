"""The calendar feeds (issue #11, point 3): each user's milestones as iCalendar, behind a secret
address the user can reset, holding only what that user may see, events updated in place. Every
feed read here is parsed twice (issue #24, point 5): by ``icalendar``, which writes it, and by
``vobject``, an independent parser that also checks each component's required properties."""

from __future__ import annotations

import datetime

import pytest
import vobject
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from icalendar import Calendar

from agreements import actions
from agreements.models import CalendarFeed, Milestone
from agreements.system_texts import shown
from tests.conftest import make_body, make_commitment, make_meeting

PAGE = "/calendar/"


def soon(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def feed_of(client, user) -> str:
    """The user's feed address, as the calendar page shows it (made first if need be)."""
    client.force_login(user)
    if not CalendarFeed.objects.filter(user=user).exists():
        assert client.post(PAGE).status_code == 302
    return client.get(PAGE).context["address"].removeprefix("http://testserver")


def events(path: str) -> dict[str, dict]:
    """The feed at ``path``, fetched as a calendar app would (no session), parsed by the
    iCalendar library: each event by UID."""
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    calendar = Calendar.from_ical(response.content)
    assert_read_alike(response.content.decode("utf-8"), calendar)
    return {
        str(e["UID"]): {
            "summary": str(e["SUMMARY"]),
            "start": e.decoded("DTSTART"),
            "end": e.decoded("DTEND"),
            "sequence": int(e["SEQUENCE"]),
            "status": str(e["STATUS"]),
            "url": str(e["URL"]),
            "description": str(e["DESCRIPTION"]),
        }
        for e in calendar.walk("VEVENT")
    }


def assert_read_alike(text: str, calendar: Calendar) -> None:
    """A second parser, written apart from the one that made the feed, reads it as valid
    (RFC 5545's required properties, each value parsed) and finds the same events."""
    other = vobject.readOne(text, validate=True)
    assert other.validate(raiseException=True)
    assert (other.version.value, other.prodid.value) == ("2.0", str(calendar["PRODID"]))
    theirs = {
        e.uid.value: (e.dtstart.value, e.dtend.value, e.summary.value, int(e.sequence.value))
        for e in other.contents.get("vevent", [])
    }
    ours = {
        str(e["UID"]): (
            e.decoded("DTSTART"),
            e.decoded("DTEND"),
            str(e["SUMMARY"]),
            int(e["SEQUENCE"]),
        )
        for e in calendar.walk("VEVENT")
    }
    assert theirs == ours


def test_a_feed_holds_the_users_milestones_and_body_meetings(client, editor, meeting, commitment):
    step = Milestone.objects.create(commitment=commitment, title="Report", due_date=soon(10))
    body = make_body(meeting, name="Working group")
    sitting = Milestone.objects.create(body=body, title="First meeting", due_date=soon(20))
    found = events(feed_of(client, editor))
    assert set(found) == {
        f"milestone-{step.pk}@agreement-tracker",
        f"milestone-{sitting.pk}@agreement-tracker",
    }
    report = found[f"milestone-{step.pk}@agreement-tracker"]
    assert report["summary"] == f"Report · {commitment.title}"
    assert (report["start"], report["end"]) == (soon(10), soon(11))  # an all-day event
    assert report["url"] == f"http://testserver/commitments/commitment-{commitment.pk}/"
    assert report["status"] == "CONFIRMED"
    assert "Body meeting" in found[f"milestone-{sitting.pk}@agreement-tracker"]["description"]


def test_an_event_changes_in_place_when_its_milestone_moves(client, editor, commitment):
    step = Milestone.objects.create(commitment=commitment, title="Report", due_date=soon(10))
    path = feed_of(client, editor)
    uid = f"milestone-{step.pk}@agreement-tracker"
    before = events(path)[uid]
    actions.reschedule_milestone(
        milestone=step, to_date=soon(100), reason="Extended", expected=step.version, by=editor
    )
    after = events(path)[uid]  # the same UID: the calendar updates, never duplicates
    assert after["start"] == soon(100)
    assert after["sequence"] > before["sequence"]
    assert "First due" in after["description"]


def test_a_done_milestone_says_so_and_the_day_it_was_done(client, editor, commitment):
    """Issue #21, point 5: the event stays on its deadline; its title is ticked, and its
    description says when it was done."""
    step = Milestone.objects.create(commitment=commitment, title="Report", due_date=soon(-10))
    actions.toggle_milestone(milestone=step, expected=step.version, by=editor, on=soon(-20))
    event = events(feed_of(client, editor))[f"milestone-{step.pk}@agreement-tracker"]
    assert event["summary"] == f"✓ Report · {commitment.title}"
    assert event["start"] == soon(-10)
    assert f"Done on {date_format(soon(-20))}." in event["description"]


def test_a_moved_deadline_says_from_which_date_when_and_why(client, editor, commitment):
    step = Milestone.objects.create(commitment=commitment, title="Report", due_date=soon(10))
    actions.reschedule_milestone(
        milestone=step,
        expected=step.version,
        to_date=soon(40),
        reason="Suspension extended",
        by=editor,
        moved_on=soon(-5),
    )
    step.refresh_from_db()
    actions.reschedule_milestone(
        milestone=step, expected=step.version, to_date=soon(70), reason="Again", by=editor
    )
    event = events(feed_of(client, editor))[f"milestone-{step.pk}@agreement-tracker"]
    assert event["start"] == soon(70)
    assert not event["summary"].startswith("✓")
    moves = [line for line in event["description"].splitlines() if line.startswith("Moved")]
    assert moves == [
        f"Moved from {date_format(soon(10))} to {date_format(soon(40))} on "
        f"{date_format(soon(-5))}: Suspension extended",
        f"Moved from {date_format(soon(40))} to {date_format(soon(70))} on "
        f"{date_format(soon(0))}: Again",
    ]


def test_a_feed_holds_nothing_of_another_team(client, editor, outsider, other_team, commitment):
    Milestone.objects.create(commitment=commitment, title="Ours", due_date=soon(5))
    theirs = make_commitment(make_meeting(other_team))
    Milestone.objects.create(commitment=theirs, title="Theirs", due_date=soon(5))
    assert [e["summary"] for e in events(feed_of(client, outsider)).values()] == [
        f"Theirs · {theirs.title}"
    ]
    assert [e["summary"] for e in events(feed_of(client, editor)).values()] == [
        f"Ours · {commitment.title}"
    ]


def test_resetting_the_address_stops_the_old_one(client, editor, commitment):
    old = feed_of(client, editor)
    response = client.post(PAGE)
    assert response.status_code == 302
    new = feed_of(client, editor)
    assert new != old
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200
    feed = CalendarFeed.objects.get(user=editor)
    assert feed.history.count() == 2  # made, then reset: kept, without the token
    assert not hasattr(feed.history.first(), "token")


def test_a_deactivated_users_address_answers_404(client, editor, commitment):
    path = feed_of(client, editor)
    editor.is_active = False
    editor.save()
    assert Client().get(path).status_code == 404


@pytest.mark.parametrize("token", ["x", "a" * 43, "../admin", "%00"])
def test_an_unknown_address_answers_404(db, token):
    assert Client().get(f"/calendar/{token}.ics").status_code == 404


@pytest.mark.perf
def test_the_feed_is_bounded_and_its_queries_do_not_grow(client, editor, meeting, queries):
    path = feed_of(client, editor)
    Milestone.objects.create(
        commitment=make_commitment(meeting), title="Long past", due_date=soon(-400)
    )

    def add(n: int) -> None:
        for i in range(n):
            step = Milestone.objects.create(
                commitment=make_commitment(meeting), title=f"m{i}", due_date=soon(i)
            )
            actions.reschedule_milestone(  # its moves are read with the others'
                milestone=step, expected=1, to_date=soon(i + 1), reason="x", by=editor
            )

    queries.stay_flat(Client(), add, path)
    assert "Long past" not in Client().get(path).content.decode()  # more than a year ago


def test_an_admin_retires_an_address_without_seeing_it(admin_client, client, editor, commitment):
    path = feed_of(client, editor)
    feed = CalendarFeed.objects.get(user=editor)
    change = admin_client.get(f"/admin/agreements/calendarfeed/{feed.pk}/change/").content
    assert feed.token.encode() not in change
    response = admin_client.post(
        "/admin/agreements/calendarfeed/",
        {"action": "reset", "_selected_action": [feed.pk]},
    )
    assert response.status_code == 302
    assert Client().get(path).status_code == 404
    assert shown(feed.history.latest().history_change_reason) == "Retired by an admin"


def test_the_second_parser_refuses_what_a_calendar_app_would(client, editor, commitment):
    """The check is real: the same feed without an event's UID, or with a date that is none,
    is refused by ``vobject``."""
    Milestone.objects.create(commitment=commitment, title="Report", due_date=soon(10))
    text = Client().get(feed_of(client, editor)).content.decode("utf-8")
    vobject.readOne(text, validate=True)  # as served: valid
    without_uid = "".join(
        line for line in text.splitlines(keepends=True) if not line.startswith("UID:")
    )
    with pytest.raises(vobject.base.ValidateError):
        vobject.readOne(without_uid, validate=True)
    day = soon(10).strftime("%Y%m%d")
    with pytest.raises(vobject.base.ParseError):
        vobject.readOne(text.replace(f"DTSTART;VALUE=DATE:{day}", "DTSTART;VALUE=DATE:2025-13-45"))
