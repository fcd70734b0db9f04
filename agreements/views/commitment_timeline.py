"""A commitment's timeline, read a page at a time: its newest events first, and the events
before a given one (``?before=<cursor>``) on request, fetched in place with htmx or, without
JavaScript, as the commitment's page starting there.

Events are ordered by when they happened, then by kind and id (``TimelineEntry.key``), a total
order: the cursor names the last event shown, so the next page starts right after it, however
many events arrived since. Each kind kept in its own table (updates, review decisions, status
changes) is read newest first, two pages' length from that point, along its index on
(commitment, time): a page costs the same however long the history, and nothing is counted.
Assessments and milestones are few, and read for their own sections anyway.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..models import Commitment, MilestoneStatus, ProgressUpdate, ReviewEvent

PAGE = 20  # events per page of the timeline

# Among events of the same moment, the order they are shown in (higher first).
RANK = {"update": 5, "review": 4, "status": 3, "assessment": 2, "milestone": 1}
_CURSOR = re.compile(r"(-?\d{1,19})\.([1-5])\.(\d{1,19})")


@dataclass
class TimelineEntry:
    when: datetime.datetime
    kind: str
    item: object
    byline: str = ""  # who and when, as the entry shows it (``_with_bylines``)

    @property
    def key(self) -> tuple[int, int, int]:
        """Its place in the timeline: microseconds since the epoch, kind's rank, id."""
        rank = RANK[self.kind.partition("_")[0]]
        return (_micros(self.when), rank, self.item.pk)

    @property
    def cursor(self) -> str:
        """``?before=`` value of the events after this one."""
        return ".".join(str(part) for part in self.key)


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    earlier: int  # how many events the next page shows (0: none left)
    next_cursor: str  # ``?before=`` of the next page ("" when none)
    started_at: str  # the cursor this page starts after ("" for the newest)


def parse_cursor(value: str) -> tuple[int, int, int] | None:
    """A ``?before=`` value as an event's key; None when it is not one (the newest events)."""
    match = _CURSOR.fullmatch(value or "")
    if match is None:
        return None
    micros, rank, pk = (int(part) for part in match.groups())
    try:
        _moment(micros)
    except OverflowError:  # past any date a column holds
        return None
    return micros, rank, pk


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _micros(when: datetime.datetime) -> int:
    return (when - EPOCH) // datetime.timedelta(microseconds=1)


def _moment(micros: int) -> datetime.datetime:
    return EPOCH + datetime.timedelta(microseconds=micros)


def _before(field: str, kind: str, cursor: tuple[int, int, int] | None) -> Q:
    """The rows of ``kind`` (time in ``field``) that come after the cursor's event."""
    if cursor is None:
        return Q()
    micros, rank, pk = cursor
    when = _moment(micros)
    if RANK[kind] < rank:
        return Q(**{f"{field}__lte": when})
    if RANK[kind] > rank:
        return Q(**{f"{field}__lt": when})
    return Q(**{f"{field}__lt": when}) | Q(**{field: when, "pk__lt": pk})


def _day_end(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.max, tzinfo=datetime.UTC)


def timeline_page(
    commitment: Commitment,
    updates: QuerySet,
    assessments: list,
    milestones: list,
    cursor: tuple[int, int, int] | None,
    *,
    has_changes: bool = True,
) -> TimelinePage:
    """The ``PAGE`` events after ``cursor`` (the newest when None), newest first: the updates
    (``updates``: the commitment's, as the page reads them), review decisions and status
    changes read from the database, up to two pages of each; the ``assessments`` and
    ``milestones`` given (all of them) placed among them. ``has_changes``: False when the
    commitment is known to have no status change (its page read so), not read then."""
    reviews = ReviewEvent.objects.decisions_on(commitment)
    changes = commitment.status_changes.all()
    # Whether each update cites a source, read with it: the sources are read for the shown
    # updates that cite some (``_with_sources``), most cite none.
    cites = Exists(ProgressUpdate.sources.through.objects.filter(progressupdate=OuterRef("pk")))
    read = [
        ("update", "created_at", updates.select_related("author").annotate(cites=cites)),
        ("review", "at", reviews.select_related("by")),
        ("status", "changed_at", changes.select_related("changed_by")),
    ]
    if not has_changes:
        read.pop()
    entries = []
    for kind, field, rows in read:
        rows = rows.filter(_before(field, kind, cursor))
        # Two pages and one more of each kind: how many events the next page holds is then
        # known without counting (a kind cut short has more than a page left after this one).
        page = rows.order_by(f"-{field}", "-pk")[: 2 * PAGE + 1]
        entries += [TimelineEntry(getattr(row, field), kind, row) for row in page]
    entries += [TimelineEntry(_day_end(a.as_of), "assessment", a) for a in assessments]
    for milestone in milestones:
        if milestone.status == MilestoneStatus.DONE:
            day, kind = milestone.completed_on, "milestone_done"
        elif milestone.status in (MilestoneStatus.MISSED, MilestoneStatus.CANCELLED):
            day, kind = milestone.due_date, f"milestone_{milestone.status}"
        else:
            continue
        entries.append(TimelineEntry(_day_end(day), kind, milestone))
    if cursor is not None:
        entries = [entry for entry in entries if entry.key < cursor]
    entries.sort(key=lambda entry: entry.key, reverse=True)
    shown = _with_bylines(_with_sources(entries[:PAGE]))
    earlier = min(len(entries) - len(shown), PAGE)
    return TimelinePage(
        entries=shown,
        earlier=earlier,
        next_cursor=shown[-1].cursor if earlier else "",
        started_at=".".join(map(str, cursor)) if cursor else "",
    )


def _with_sources(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """The sources the shown updates cite, read for those that cite some (one query then)."""
    citing = [e.item for e in entries if e.kind == "update" and e.item.cites]
    prefetch_related_objects(citing, "sources")
    return entries


def _with_bylines(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Each update's, review decision's and status change's byline (who, when, and when it
    took effect if another day), written here once rather than by the template per event."""
    for entry in entries:
        item = entry.item
        if entry.kind == "update":
            entry.byline = _byline(item.author, item.created_at, item.happened_on)
        elif entry.kind == "review":
            entry.byline = _byline(item.by, item.at)
        elif entry.kind == "status":
            author = item.changed_by or item.changed_via
            entry.byline = _byline(author, item.changed_at, item.effective_on, took_effect=True)
    return entries


def _byline(
    author, at: datetime.datetime, day: datetime.date | None = None, *, took_effect=False
) -> str:
    """ "by <author>, <when>"; with the day it happened (or took effect) when that is not the
    day it was recorded, in the reader's time zone."""
    at = timezone.localtime(at)
    values = {"author": conditional_escape(author), "date": date_format(at, "j M Y, H:i")}
    if day is None or day == at.date():
        return mark_safe(_("by %(author)s, %(date)s") % values)
    on = date_format(day, "j M Y")
    if took_effect:
        text = _("took effect %(effective)s · recorded %(date)s by %(author)s")
        return mark_safe(text % (values | {"effective": on}))
    text = _("happened %(happened)s · recorded %(date)s by %(author)s")
    return mark_safe(text % (values | {"happened": on}))
