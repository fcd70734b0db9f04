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
from functools import cache

from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..models import (
    Commitment,
    MilestoneStatus,
    ProgressUpdate,
    ReviewEvent,
    StatusChange,
)
from ..models.made_once import rows_of_made_once
from ..models.unions import orders_in_union
from .commitment_rows import day_names

PAGE = 20  # events per page of the timeline

# Among events of the same moment, the order they are shown in (higher first).
RANK = {"update": 5, "review": 4, "status": 3, "assessment": 2, "milestone": 1}
_CURSOR = re.compile(r"(-?\d{1,19})\.([1-5])\.(\d{1,19})")


@dataclass
class TimelineEntry:
    when: datetime.datetime
    kind: str
    item: object
    byline: str = ""  # who and when, as the entry shows it (``_entry``)

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
    assessments: list,
    milestones: list,
    cursor: tuple[int, int, int] | None,
    *,
    has_changes: bool = True,
) -> TimelinePage:
    """The ``PAGE`` events after ``cursor`` (the newest when None), newest first: the
    commitment's updates, review decisions and status changes read from the database, up to
    two pages of each; the ``assessments`` and ``milestones`` given (all of them) placed among
    them. ``has_changes``: False when the commitment is known to have no status change (its
    page read so), not read then."""
    parts = [("update", "created_at", _update_rows), ("review", "at", _review_rows)]
    if has_changes:
        parts.append(("status", "changed_at", _status_rows))

    # Two pages and one more of each kind: how many events the next page holds is then known
    # without counting (a kind cut short has more than a page left after this one).
    def firsts(kinds: list, of: int) -> list[QuerySet]:
        return [
            rows(of)
            .filter(_before(field, kind, cursor))
            .order_by(f"-{field}", "-pk")[: 2 * PAGE + 1]
            for kind, field, rows in kinds
        ]

    def union(of: int) -> QuerySet:
        first, *others = firsts(parts, of)
        return first.union(*others, all=True).order_by()

    # Each kind's rows as plain values, in one query where the database takes a LIMIT inside
    # a UNION (PostgreSQL; a query a kind elsewhere): a record is made only of those shown.
    # The newest events' SQL, the same for every commitment, is made once a process
    # (``rows_of_made_once``); a page further back compares with its cursor's moment.
    if orders_in_union(ProgressUpdate.objects.all()):
        key = None if cursor else ("timeline", len(parts))
        rows = rows_of_made_once(key, union, of=commitment.pk)
    else:
        rows = [
            row
            for part in parts
            for row in rows_of_made_once(
                None if cursor else ("timeline", part[0]),
                lambda of, part=part: firsts([part], of)[0],
                of=commitment.pk,
            )
        ]
    # Each event by its key, with what it is made into when shown (``_entry``).
    events = [((_micros(row[2]), row[0], row[1]), row) for row in rows]
    for assessment in assessments:
        entry = TimelineEntry(_day_end(assessment.as_of), "assessment", assessment)
        events.append((entry.key, entry))
    for milestone in milestones:
        if milestone.status == MilestoneStatus.DONE:
            day, kind = milestone.completed_on, "milestone_done"
        elif milestone.status in (MilestoneStatus.MISSED, MilestoneStatus.CANCELLED):
            day, kind = milestone.due_date, f"milestone_{milestone.status}"
        else:
            continue
        entry = TimelineEntry(_day_end(day), kind, milestone)
        events.append((entry.key, entry))
    if cursor is not None:
        events = [event for event in events if event[0] < cursor]
    events.sort(key=lambda event: event[0], reverse=True)
    name = day_names()
    shown = _with_sources([_entry(commitment, item, name) for _key, item in events[:PAGE]])
    earlier = min(len(events) - len(shown), PAGE)
    return TimelinePage(
        entries=shown,
        earlier=earlier,
        next_cursor=shown[-1].cursor if earlier else "",
        started_at=".".join(map(str, cursor)) if cursor else "",
    )


# The columns each kind's rows are read with (``_update_rows``, ``_review_rows``,
# ``_status_rows``), the same for all so that one UNION reads them: its rank and id, when it
# happened, who did it (name, id), a day, its words, a state, two statuses, two flags, the
# record it refers to, a cancellation.
COLUMNS = ("t_rank", "t_id", "t_at", "t_who", "t_who_id", "t_day", "t_text", "t_state")
COLUMNS += ("t_a", "t_b", "t_f1", "t_f2", "t_ref", "t_extra")
# A column a kind has not, typed: PostgreSQL gives a column NULL in two parts the type text.
_NO_DAY = Cast(Value(None), DateField())
_NO_NUMBER = Cast(Value(None), IntegerField())
_NO_FLAG = Cast(Value(None), BooleanField())
_NO_TEXT = Cast(Value(None), CharField())


def _update_rows(commitment: int) -> QuerySet:
    updates = ProgressUpdate.objects.filter(commitment=commitment)
    return updates.annotate(**_columns("update")).values_list(*COLUMNS)


def _review_rows(commitment: int) -> QuerySet:
    reviews = ReviewEvent.objects.decisions_on(commitment)
    return reviews.annotate(**_columns("review")).values_list(*COLUMNS)


def _status_rows(commitment: int) -> QuerySet:
    changes = StatusChange.objects.filter(commitment=commitment)
    return changes.annotate(**_columns("status")).values_list(*COLUMNS)


@cache
def _columns(kind: str) -> dict:
    """Each kind's ``COLUMNS`` as expressions, made once a process: a query copies what it is
    given (``resolve_expression``), so they are never changed."""
    if kind == "update":
        # Whether each update cites a source, read with it: the sources are read for the
        # shown updates that cite some (``_with_sources``), most cite none.
        cites = Exists(ProgressUpdate.sources.through.objects.filter(progressupdate=OuterRef("pk")))
        return {
            "t_rank": Value(RANK["update"]),
            "t_id": F("pk"),
            "t_at": F("created_at"),
            "t_who": F("author__username"),
            "t_who_id": F("author_id"),
            "t_day": F("happened_on"),
            "t_text": F("narrative"),
            "t_state": F("review_state"),
            "t_a": F("proposed_status"),
            "t_b": _NO_NUMBER,
            "t_f1": F("proposed_stalled"),
            "t_f2": cites,
            "t_ref": F("revises_id"),
            "t_extra": _NO_TEXT,
        }
    if kind == "review":
        return {
            "t_rank": Value(RANK["review"]),
            "t_id": F("pk"),
            "t_at": F("at"),
            "t_who": F("by__username"),
            "t_who_id": F("by_id"),
            "t_day": _NO_DAY,
            "t_text": F("comment"),
            "t_state": F("action"),
            "t_a": _NO_NUMBER,
            "t_b": _NO_NUMBER,
            "t_f1": _NO_FLAG,
            "t_f2": _NO_FLAG,
            "t_ref": F("update_id"),
            "t_extra": _NO_TEXT,
        }
    return {
        "t_rank": Value(RANK["status"]),
        "t_id": F("pk"),
        "t_at": F("changed_at"),
        "t_who": F("changed_by__username"),
        "t_who_id": F("changed_by_id"),
        "t_day": F("effective_on"),
        "t_text": F("reason"),
        "t_state": F("changed_via"),
        "t_a": F("from_status"),
        "t_b": F("to_status"),
        "t_f1": F("from_stalled"),
        "t_f2": F("to_stalled"),
        "t_ref": F("update_id"),
        "t_extra": F("to_cancellation"),
    }


def _entry(commitment: Commitment, item, name) -> TimelineEntry:
    """A shown event: an assessment's or a milestone's as it is; a row read (``COLUMNS``)
    made the record it is, with its byline (who, when, and when it took effect if another
    day), written here once rather than by the template per event."""
    if isinstance(item, TimelineEntry):
        return item
    rank, pk, at, who, who_id, day, text, state, a, b, f1, f2, ref, extra = item
    if rank == RANK["update"]:
        update = ProgressUpdate(
            id=pk,
            commitment_id=commitment.pk,
            author_id=who_id,
            created_at=at,
            happened_on=day,
            narrative=text,
            review_state=state,
            proposed_status=a,
            proposed_stalled=f1,
            revises_id=ref,
        )
        update.cites = f2
        return TimelineEntry(at, "update", update, _byline(who, at, day, name=name))
    if rank == RANK["review"]:
        review = ReviewEvent(id=pk, update_id=ref, action=state, by_id=who_id, comment=text, at=at)
        return TimelineEntry(at, "review", review, _byline(who, at, name=name))
    change = StatusChange(
        id=pk,
        commitment_id=commitment.pk,
        from_status=a,
        to_status=b,
        from_stalled=f1,
        to_stalled=f2,
        to_cancellation=extra,
        reason=text,
        changed_by_id=who_id,
        changed_via=state,
        changed_at=at,
        effective_on=day,
        update_id=ref,
    )
    return TimelineEntry(
        at, "status", change, _byline(who or state, at, day, took_effect=True, name=name)
    )


def _with_sources(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """The sources the shown updates cite, read for those that cite some (one query then)."""
    citing = [e.item for e in entries if e.kind == "update" and e.item.cites]
    prefetch_related_objects(citing, "sources")
    return entries


def _byline(
    author,
    at: datetime.datetime,
    day: datetime.date | None = None,
    *,
    took_effect=False,
    name=None,
) -> str:
    """ "by <author>, <when>"; with the day it happened (or took effect) when that is not the
    day it was recorded, in the reader's time zone. ``name``: how days are written
    (``commitment_rows.day_names``), for several bylines."""
    name = name or day_names()
    at = timezone.localtime(at)
    values = {"author": conditional_escape(author), "date": f"{name(at)}, {at:%H:%M}"}
    if day is None or day == at.date():
        return mark_safe(_("by %(author)s, %(date)s") % values)
    on = name(day)
    if took_effect:
        text = _("took effect %(effective)s · recorded %(date)s by %(author)s")
        return mark_safe(text % (values | {"effective": on}))
    text = _("happened %(happened)s · recorded %(date)s by %(author)s")
    return mark_safe(text % (values | {"happened": on}))
