"""Milestones as an iCalendar feed (RFC 5545) for the user's own calendar app, its text in
the language active when it is written (the feed's user's: ``views.calendar``).

One all-day event per milestone (a meeting's deadline, a commitment's step, or a meeting of a
body), with a stable
UID and its version as the SEQUENCE, so a calendar updates the event in place when the milestone
is rescheduled, done or cancelled, instead of adding another.

The event stays on the day it is due (a deadline, not a busy slot). A done milestone's title
starts with a check mark, seen at a glance in any calendar's grid, and its description says the
day it was done: iCalendar's COMPLETED belongs to tasks (VTODO), which most calendar apps do not
show from a subscribed feed. A moved deadline's description says each move: from which date to
which, the day it was moved and why.
"""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from . import models as m

# From a year back, so recent history stays in view; bounded, so a feed stays small.
PAST = datetime.timedelta(days=365)
LIMIT = 2_000


def milestones_for(user, today: datetime.date):
    """What the feed of ``user`` holds: the milestones the pages would show them."""
    return (
        m.Milestone.objects.visible_to(user)
        .active()
        .for_list()
        .prefetch_related("reschedules")
        .filter(due_date__gte=today - PAST)
        .order_by("due_date", "pk")[:LIMIT]
    )


def calendar(milestones, request: HttpRequest) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Agreement tracker//Milestones//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("Agreement tracker: milestones"))
    for milestone in milestones:
        cal.add_component(_event(milestone, request))
    return cal.to_ical()


def _event(milestone: m.Milestone, request: HttpRequest) -> Event:
    of = milestone.belongs_to
    if milestone.meeting_id:
        kind = _("Meeting milestone")
    else:
        kind = _("Commitment milestone") if milestone.commitment_id else _("Body meeting")
    event = Event()
    event.add("uid", f"milestone-{milestone.pk}@agreement-tracker")
    event.add("dtstamp", milestone.updated_at)
    event.add("last-modified", milestone.updated_at)
    event.add("sequence", milestone.version)
    event.add("dtstart", milestone.due_date)  # a date: an all-day event
    event.add("dtend", milestone.due_date + datetime.timedelta(days=1))
    done = milestone.status == m.MilestoneStatus.DONE
    event.add("summary", f"{'✓ ' if done else ''}{milestone.title} · {of}")
    names = {"of": of, "meeting": milestone.of_meeting.title}
    if milestone.meeting_id:  # its own title, once
        said = _("Milestone of the meeting “%(meeting)s”.")
    elif milestone.commitment_id:
        said = _("Commitment milestone of “%(of)s” (%(meeting)s).")
    else:
        said = _("Body meeting of “%(of)s” (%(meeting)s).")
    lines = [
        said % names,
        _("Status: %(status)s.") % {"status": milestone.get_status_display()},
    ]
    if done:
        lines.append(_("Done on %(date)s.") % {"date": date_format(milestone.completed_on)})
    if milestone.owner:
        lines.append(_("Owner: %(owner)s.") % {"owner": milestone.owner})
    if milestone.original_due_date:
        lines.append(_("First due %(date)s.") % {"date": date_format(milestone.original_due_date)})
    for move in sorted(milestone.reschedules.all(), key=lambda r: (r.at, r.pk)):
        values = {
            "from": date_format(move.from_date),
            "to": date_format(move.to_date),
            "moved": date_format(move.moved_on),
            "reason": move.reason,
            "name": move.name,
        }
        lines.append(
            (
                _("Moved from %(from)s to %(to)s (“%(name)s”) on %(moved)s: %(reason)s")
                if move.name
                else _("Moved from %(from)s to %(to)s on %(moved)s: %(reason)s")
            )
            % values
        )
    event.add("description", "\n".join(lines))
    event.add("url", request.build_absolute_uri(of.get_absolute_url()))
    event.add("categories", [kind])
    event.add(
        "status", "CANCELLED" if milestone.status == m.MilestoneStatus.CANCELLED else "CONFIRMED"
    )
    event.add("transp", "TRANSPARENT")  # a deadline, not a busy slot
    return event
