"""Commitments or milestones from a spreadsheet, into one meeting: read, checked, shown, then
applied.

``spreadsheets.read`` turns an upload into rows (and refuses a hostile file before reading
it); here they become plans. ``plan_commitments`` checks every
row with the form the meeting form uses for a commitment row, and finds the commitment it
updates: by ``id`` (a file exported from the tracker), else by ``reference``, else by
``title``; ``plan_milestones`` likewise, a milestone found by ``id``, else by its commitment (or
body) and title. So an exported file imports back unchanged, and a re-import updates instead of
duplicating. Nothing is written until an action (``actions.import_commitments``,
``import_milestones``) applies a plan without errors, all or nothing.

Dated facts come in on their day. A commitment row may give its official ``status`` and
``stalled`` flag with the day they took effect (``status_since``, today when empty): checked as
the pages check it (not in the future, not before the meeting), compared with what stood on that
day, and, when it differs, recorded in its place (``actions.import_commitments``: an admin's
import sets it, anyone else's proposes it for review). A milestone row's ``completed_on`` ticks
it done on that day. Each names the file in the history.

Cells an export disarmed (``'=…``, see ``exports``) come back as they were; a cell that is a
formula (it starts with ``=`` or ``@``) is refused, never stored for a spreadsheet to run later.
Excel's date cells are read as the days they show.

Here: a file's lines and what they plan (``Row``, ``Plan``, ``file_lines``, ``checked``), and the
commitments' plan; the milestones' is in ``milestone_imports``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import tablib
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import models as m
from .exports import armed
from .forms.meeting_rows import CommitmentRowForm


@dataclass
class Row:
    """One line of the file, what applying it would do, and why it cannot be applied."""

    line: int  # as a spreadsheet numbers it: the header is line 1
    title: str
    outcome: str = "new"  # new, update, unchanged, error
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    changed: list[str] = field(default_factory=list)
    record: m.Commitment | m.Milestone | None = None  # unsaved values, for applying
    expected: int | None = None
    roles: dict = field(default_factory=dict)
    status: StatusPlan | None = None  # the official state the row records, on its day


@dataclass(frozen=True)
class StatusPlan:
    """A commitment's official state as a row gives it, on the day it took effect: what
    differs from what stood that day (None: as it stood)."""

    status: int | None
    stalled: bool | None
    on: datetime.date

    @property
    def label(self) -> str:
        """The change in words: "Complete", "Complete, stalled", "Not stalled"."""
        parts = []
        if self.status is not None:
            parts.append(str(m.ImplementationStatus(self.status).label))
        if self.stalled is not None:
            parts.append(_("stalled") if self.stalled else _("not stalled"))
        text = ", ".join(parts)
        return text[:1].upper() + text[1:]

    @property
    def narrative(self) -> str:
        """What a progress update proposing it says (stored, like the history's reasons, in
        English): "Complete, stalled since 2022-05-01"."""
        with translation.override("en"):
            return f"{self.label} since {self.on.isoformat()}"


@dataclass
class Plan:
    rows: list[Row]

    @property
    def errors(self) -> int:
        return sum(len(row.errors) for row in self.rows)

    def count(self, outcome: str) -> int:
        return sum(row.outcome == outcome for row in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        return {outcome: self.count(outcome) for outcome in ("new", "update", "unchanged")}

    @property
    def changes(self) -> list[Row]:
        return [row for row in self.rows if row.outcome in ("new", "update")]


def _restored(text: str) -> str:
    if text.startswith("'") and armed(text[1:]):
        return text[1:]  # disarmed by an export: as it was
    return text


def plan_commitments(meeting: m.Meeting, dataset: tablib.Dataset, seen: dict | None = None) -> Plan:
    """Every row checked, and matched with the commitment it updates (see the module).
    ``seen``: the versions a dry run read (id → version), which applying must still find."""
    seen = seen or {}
    existing = list(
        m.Commitment.objects.filter(meeting=meeting).prefetch_related("party_roles__party")
    )
    by_id = {str(c.pk): c for c in existing}
    by_reference = {c.reference: c for c in existing if c.reference}
    by_title = {c.title.casefold(): c for c in existing}
    all_themes = list(m.Theme.objects.all())
    themes = {}
    for theme in all_themes:
        themes[theme.code.casefold()] = themes[theme.name.casefold()] = theme.code
    parties = {p.code.casefold(): p for p in m.Party.objects.all()}
    roles = _role_names()
    states = _States(existing)
    rows, lines = [], {}
    for row, values in file_lines(dataset):
        rows.append(row)
        target = None
        if values.get("id"):
            target = by_id.get(values["id"])
            if target is None:
                row.errors.append(
                    ("id", _("Not a commitment of this meeting: leave it empty to add one."))
                )
                row.outcome = "error"
                continue
        elif values.get("reference"):
            target = by_reference.get(values["reference"])
        if target is None and not values.get("id"):
            target = by_title.get(values.get("title", "").casefold())
        once(row, target.pk if target else row.title.casefold(), lines, "commitment")
        chosen = {}
        for part in filter(None, (p.strip() for p in values.get("party_roles", "").split(";"))):
            code, _sep, role = (s.strip() for s in part.partition(":"))
            party, role = parties.get(code.casefold()), roles.get(role.casefold())
            if party is None or role is None:
                row.errors.append(
                    (
                        "party_roles",
                        _("“%(part)s”: write a party's code and a role, e.g. “MX: Joint”.")
                        % {"part": part},
                    )
                )
            else:
                chosen[party] = role
        theme = values.get("theme", "")
        if theme and theme.casefold() not in themes:
            names = ", ".join(t.name for t in all_themes if not t.archived)
            row.errors.append(
                (
                    "theme",
                    _("No theme “%(theme)s”. The themes are: %(names)s.")
                    % {"theme": theme, "names": names},
                )
            )
        wanted = _wanted_state(row, values, meeting)
        data = _form_data(values, target, themes)
        instance = target or m.Commitment(meeting=meeting, position=len(existing) + len(rows))
        form = CommitmentRowForm(data, instance=instance, parties=[], themes=all_themes)
        checked(row, form, whole="title")
        if row.errors:
            row.outcome = "error"
            continue
        current = {r.party: r.role for r in target.party_roles.all()} if target else {}
        if "party_roles" in values:
            row.roles = {party: chosen.get(party, "") for party in {*current, *chosen}}
        changed = [name for name in form.changed_data if name != "version"]
        if target and row.roles and any(current.get(p, "") != r for p, r in row.roles.items()):
            changed.append("party_roles")
        if wanted is not None:
            row.status = states.plan(target, *wanted)
            if row.status is not None:
                changed += [
                    name
                    for name, part in (
                        ("status", row.status.status),
                        ("stalled", row.status.stalled),
                    )
                    if part is not None
                ]
        planned(row, form, target, changed, seen)
    return Plan(rows)


STALLED = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}


def _wanted_state(row: Row, values: dict, meeting: m.Meeting):
    """The row's ``status``, ``stalled`` and ``status_since`` read and checked, as
    (status, stalled, day), each None where the row leaves it; None when the row gives
    neither a status nor a flag. Errors join the row's, by column."""
    status = stalled = None
    if text := values.get("status", ""):
        status = _status_names().get(text.casefold())
        if status is None:
            names = ", ".join(f"{s.value} ({s.label})" for s in m.ImplementationStatus)
            message = _("No status “%(status)s”. Write one of %(names)s.")
            row.errors.append(("status", message % {"status": text, "names": names}))
    if text := values.get("stalled", ""):
        stalled = (STALLED | {_("yes").casefold(): True, _("no").casefold(): False}).get(
            text.casefold()
        )
        if stalled is None:
            row.errors.append(("stalled", _("Write “yes” or “no”.")))
    day = None
    if text := values.get("status_since", ""):
        try:
            day = forms.DateField().clean(text)
            m.refuse_dated_outside(
                day,
                meeting.start_date,
                field="status_since",
                future=_("A status change cannot take effect in the future."),
                before=_("A status change cannot take effect before its meeting (%(date)s)."),
            )
        except ValidationError as error:
            row.errors += [("status_since", message) for message in error.messages]
    if status is None and stalled is None:
        return None
    return status, stalled, day or timezone.localdate()


def _status_names() -> dict[str, int]:
    """A status as a file may write it: its number (as an export writes it), or its label in
    English or in the reader's language."""
    with translation.override("en"):
        english = {str(s.label).casefold(): s.value for s in m.ImplementationStatus}
    return (
        english
        | {str(s.label).casefold(): s.value for s in m.ImplementationStatus}
        | {str(s.value): s.value for s in m.ImplementationStatus}
    )


class _States:
    """What stood on a day for the meeting's commitments, read as ``CommitmentQuerySet.as_of``
    reads it: their state now when the day is on or after their latest change (the usual case:
    an exported file's ``status_since``), else once per day asked about. And the changes
    already proposed for review, which a re-imported file does not propose again."""

    def __init__(self, existing: list[m.Commitment]):
        ids = [c.pk for c in existing]
        self.latest = dict(
            m.StatusChange.objects.filter(commitment__in=ids)
            .values_list("commitment")
            .annotate(latest=Max("effective_on"))
        )
        self.days: dict[datetime.date, dict] = {}
        self.ids = ids
        self.pending = set(
            m.ProgressUpdate.objects.filter(commitment__in=ids)
            .proposing_a_change()
            .values_list("commitment", "happened_on", "proposed_status", "proposed_stalled")
        )

    def then(self, commitment: m.Commitment | None, day: datetime.date) -> tuple[int, bool]:
        if commitment is None:
            return m.ImplementationStatus.NOT_STARTED, False  # a new one starts so
        latest = self.latest.get(commitment.pk)
        if latest is None or day >= latest:
            return commitment.status, commitment.is_stalled
        if day not in self.days:
            rows = m.Commitment.objects.filter(pk__in=self.ids).as_of(day)
            self.days[day] = {
                pk: (status, bool(stalled))
                for pk, status, stalled in rows.values_list("pk", "status_then", "stalled_then")
            }
        return self.days[day][commitment.pk]

    def plan(self, commitment, status, stalled, day) -> StatusPlan | None:
        """What the row changes of the state that stood on ``day``; None for nothing, or for
        the very change already awaiting review."""
        was_status, was_stalled = self.then(commitment, day)
        wanted = StatusPlan(
            status if status not in (None, was_status) else None,
            stalled if stalled not in (None, was_stalled) else None,
            day,
        )
        if wanted.status is None and wanted.stalled is None:
            return None
        proposal = (getattr(commitment, "pk", None), day, wanted.status, wanted.stalled)
        return None if proposal in self.pending else wanted


def _role_names() -> dict[str, str]:
    """A party's role as a file may write it: its value (``joint``), or its label in English
    (as an export writes it) or in the reader's language."""
    with translation.override("en"):
        english = {str(r.label).casefold(): r.value for r in m.PartyRole}
    return (
        english
        | {str(r.label).casefold(): r.value for r in m.PartyRole}
        | {r.value: r.value for r in m.PartyRole}
    )


def _form_data(values: dict, target, themes: dict) -> dict:
    """The row as the commitment row form reads it: a column left out keeps what is stored."""
    data, stored = {}, target if target is not None else m.Commitment()  # a new one: defaults
    for name in CommitmentRowForm.Meta.fields:
        if name in values:
            data[name] = values[name]
        else:
            data[name] = getattr(stored, f"{name}_id" if name == "theme" else name) or ""
    if "theme" in values:
        data["theme"] = themes.get(values["theme"].casefold(), values["theme"])
    if data.get("target_date") and not isinstance(data["target_date"], str):
        data["target_date"] = data["target_date"].isoformat()
    if target is not None:
        data["version"] = target.version
    return data


def file_lines(dataset: tablib.Dataset):
    """Each line of the file: its ``Row`` (numbered as a spreadsheet does, the header being
    line 1; a formula cell already refused) and its values (as exported values were)."""
    for number, cells in enumerate(dataset.dict, start=2):
        raw = {k: "" if v is None else str(v).strip() for k, v in cells.items() if k}
        values = {k: _restored(v) for k, v in raw.items()}
        row = Row(line=number, title=values.get("title", ""))
        row.errors += [
            (column, _("A formula: write the value itself."))
            for column, value in raw.items()
            if value[:1] in ("=", "@")
        ]
        yield row, values


def once(row: Row, key, lines: dict, noun: str) -> None:
    """A record named by two lines of the file is refused on the second."""
    if key in lines:
        same = (
            _("The same milestone as line %(line)s.")
            if noun == "milestone"
            else _("The same commitment as line %(line)s.")
        )
        row.errors.append(("title", same % {"line": lines[key]}))
    lines[key] = row.line


def checked(row: Row, form, *, whole: str) -> bool:
    """Whether the row's form is valid; its errors join the row's (those of the whole form
    under ``whole``), each column said once."""
    if form.is_valid():
        return True
    said = {column for column, _ in row.errors}
    row.errors += [
        (name if name != "__all__" else whole, message)
        for name, messages in form.errors.items()
        for message in messages
        if name not in said
    ]
    return False


def planned(row: Row, form, target, changed: list[str], seen: dict) -> None:
    """A valid row's outcome: new, update or unchanged, with what applying it writes, over
    the version the dry run read (``seen``) when it updates."""
    row.changed = changed
    row.outcome = "new" if target is None else ("update" if changed else "unchanged")
    row.record = form.instance
    if target is not None:
        row.expected = seen.get(str(target.pk), target.version)
