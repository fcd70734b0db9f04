"""Commitment rows, as the Jinja2 templates draw them (the commitment list's
templates/jinja2/agreements/commitment_rows.html, a meeting's meeting_commitment_rows.html):
what each cell says, worked out here once per page rather than per row by the template (a
badge for each state, a date each day, the parties' roles in one query, its SQL made once a
process)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from ..ids import address_of
from ..jinja2 import day_writer
from ..models import Commitment, CommitmentParty, PartyRole
from ..models.made_once import rows_of_ids_made_once
from ..templatetags.tracker import flag_badges, status_badge


@dataclass(slots=True)
class Row:
    url: str
    title: str
    theme: str
    meeting: str
    meeting_date: str
    team: str
    badges: str  # HTML: the status badge, then the flags
    target: str
    updated: str
    roles: list[tuple[str, str, str]]  # each party's name, code and role, by their names


class Listed(NamedTuple):
    """A commitment as a row of the list reads it: the values of
    ``CommitmentQuerySet.for_rows`` (``ROW_COLUMNS``, in their order), the state in the
    day's (a past day's: then)."""

    pk: int
    title: str
    theme: str  # its code
    status: int
    is_stalled: bool
    cancellation: str
    target_date: datetime.date | None
    updated_at: datetime.datetime
    meeting_title: str
    meeting_date: datetime.date
    team_name: str


def list_rows(commitments: list[Listed], themes: dict, today: datetime.date) -> list[Row]:
    """The rows of ``commitments`` (in the state shown), their themes named from ``themes``
    (code: name, as the filter form offers them: ``CommitmentFilterForm.reference``), and
    ``today`` for the overdue flag. Their parties' roles are read here, in one query."""
    roles = party_roles([c.pk for c in commitments])
    detail = address_of("agreements:commitment_detail")
    day, badges = day_names(), state_badges(today)
    rows = []
    for c in commitments:
        rows.append(
            Row(
                url=detail(c.pk),
                title=c.title,
                theme=gettext(themes[c.theme]),  # as ``Theme.label`` names it
                meeting=c.meeting_title,
                meeting_date=day(c.meeting_date),
                team=c.team_name,
                badges=badges(c),
                target=day(c.target_date) or "–",
                updated=day(c.updated_at),
                roles=roles.get(c.pk, []),
            )
        )
    return rows


def state_badges(today: datetime.date) -> Callable[[Commitment | Listed], str]:
    """A commitment's status badge and flags (overdue on ``today``, stalled, cancelled), each
    state's drawn once: a page of rows repeats a few states. For a commitment or a list's
    row (``Listed``): drawn from a commitment in that state, built for the drawing alone."""
    drawn: dict[tuple, str] = {}

    def badges(c: Commitment | Listed) -> str:
        overdue = Commitment.overdue_in(c.status, c.cancellation, c.target_date, today)
        state = (c.status, c.cancellation, c.is_stalled, overdue)
        if state not in drawn:
            shown = Commitment(
                status=c.status,
                cancellation=c.cancellation,
                is_stalled=c.is_stalled,
                target_date=c.target_date,
            )
            drawn[state] = status_badge(shown) + flag_badges(shown, today)
        return drawn[state]

    return badges


def party_roles(ids: list[int]) -> dict[int, list[tuple[str, str, str]]]:
    """Each commitment's parties' names, codes and roles (in lower case, as the rows write
    them), by the parties' names: one query for the page."""
    labels = {value: str(label).lower() for value, label in PartyRole.choices}
    found: dict[int, list[tuple[str, str, str]]] = {}
    for pk, name, code, role in rows_of_ids_made_once(("party_roles",), ids, _roles_read):
        found.setdefault(pk, []).append((name, code, labels.get(role, role)))
    return found


def _roles_read(ids: list[int]) -> QuerySet:
    """The read of ``party_roles``, its SQL made once a process for each number of
    commitments (``rows_of_ids_made_once``)."""
    rows = CommitmentParty.objects.filter(commitment__in=ids).order_by("party__name", "pk")
    return rows.values_list("commitment_id", "party__name", "party__code", "role")


def day_names() -> Callable[[datetime.date | datetime.datetime | None], str]:
    """A day as the rows write it (``jinja2.date``: "5 Dec 2026" in the reader's language),
    a moment on the day it is in the current time zone; each day formatted once, each month's
    name translated once (``jinja2.day_writer``)."""
    names: dict[datetime.date, str] = {}
    write = day_writer()

    def name(value: datetime.date | datetime.datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
        if value not in names:
            names[value] = write(value)
        return names[value]

    return name
