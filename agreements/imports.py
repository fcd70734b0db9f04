"""Commitments or milestones from a spreadsheet, into one meeting: read, checked, shown, then
applied.

``read`` turns an upload (CSV through tablib, Excel through openpyxl) into rows, refusing a
file that is too large, not UTF-8, or has columns the tracker does not know. An Excel file is
a zip archive: before a row is read, its declared unpacked size, its rows and its cells are
checked against the caps in settings (``IMPORT_*``), so a file of a megabyte that unpacks to
hundreds is refused at once, in a few milliseconds and a few kilobytes of memory
(``_check_xlsx``). ``plan_commitments`` checks every
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
"""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import openpyxl
import tablib
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from . import models as m
from .exports import armed
from .forms.meeting_rows import CommitmentRowForm
from .forms.milestones import MilestoneImportForm

FORMATS = {"csv": "csv", "xlsx": "xlsx"}


@dataclass(frozen=True)
class Kind:
    """What a file holds: the columns written into the records, and those of an export that
    describe them but are set elsewhere (a status has its own workflow): read-only, ignored."""

    name: str
    written: tuple[str, ...]
    ignored: tuple[str, ...]


COMMITMENTS = Kind(
    "commitments",
    # The meeting form's row, roles, and the official status as of a day.
    (*CommitmentRowForm.Meta.fields, "party_roles", "status", "stalled", "status_since"),
    (
        "status_label",
        "cancellation",  # an admin's, with what superseded it: in the admin
        "last_progress_on",
        "overdue",
        "meeting_id",
        "meeting",
        "meeting_date",
        "team",
        "updated_at",
        "page",
    ),
)
MILESTONES = Kind(
    "milestones",
    ("title", "due_date", "owner", "commitment", "body", "of", "completed_on"),
    ("first_due_date", "status", "overdue", "moved_on", "meeting"),
)
KINDS = {kind.name: kind for kind in (COMMITMENTS, MILESTONES)}


class FileRefused(Exception):
    """The file as a whole cannot be read: the message says why and what to do."""


def read(upload, kind: Kind = COMMITMENTS) -> tablib.Dataset:
    """The rows of an uploaded file holding ``kind``, or ``FileRefused``."""
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if extension not in FORMATS:
        raise FileRefused(_("Upload a .csv or .xlsx file."))
    limit = settings.IMPORT_MAX_BYTES
    milestones = kind.name == MILESTONES.name
    if upload.size > limit:
        sizes = {"size": number_format(upload.size / 2**20, 1), "limit": limit // 2**20}
        raise FileRefused(
            (
                _(
                    "The file is %(size)s MB; at most %(limit)s MB is read. Split it, or leave "
                    "out what is not milestones."
                )
                if milestones
                else _(
                    "The file is %(size)s MB; at most %(limit)s MB is read. Split it, or leave "
                    "out what is not commitments."
                )
            )
            % sizes
        )
    if extension == "xlsx":
        dataset = _read_xlsx(upload, kind)
    else:
        try:
            content = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileRefused(
                _("The file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (comma delimited)”.")
            ) from None
        try:
            dataset = tablib.Dataset().load(content, format="csv")
        except Exception as error:  # tablib and its readers raise many kinds
            raise _unreadable(extension, error) from None
    headers = [str(h or "").strip() for h in dataset.headers or []]
    unknown = [h for h in headers if h not in ("id", *kind.written, *kind.ignored)]
    if unknown or "title" not in headers:
        raise FileRefused(
            _("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)}
            if unknown
            else _("There is no “title” column.")
        ) from None
    if not len(dataset):
        raise FileRefused(
            _("The file has a header row but no milestones.")
            if milestones
            else _("The file has a header row but no commitments.")
        )
    if len(dataset) > settings.IMPORT_MAX_ROWS:
        raise _too_many_rows(kind)
    if extension == "xlsx":  # its date cells as the days they show, in the dry run's copy too
        dataset = tablib.Dataset(*(tuple(map(_day, row)) for row in dataset))
    dataset.headers = headers
    return dataset


def _day(value):
    """An Excel date cell (read as a datetime at midnight) as its day; anything else as is."""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    return value


def _unreadable(extension: str, error: Exception) -> FileRefused:
    return FileRefused(
        _("The file could not be read as %(format)s: %(error)s")
        % {"format": extension.upper(), "error": error}
    )


def _too_many_rows(kind: Kind) -> FileRefused:
    return FileRefused(
        (
            _("At most %(count)s milestones are read at once; the file has more.")
            if kind.name == MILESTONES.name
            else _("At most %(count)s commitments are read at once; the file has more.")
        )
        % {"count": settings.IMPORT_MAX_ROWS}
    )


# What openpyxl makes an object of, and so what its time and memory grow with: rows and cells
# of a sheet, texts of the shared string table, cell styles. Counted in the raw XML of every
# part, with or without a namespace prefix (``<x:c …>``); the space, ``>`` or ``/`` after the
# name keeps ``<col>``, ``<rowBreaks>``, ``<sst>``, ``<xfrm>`` and a chart's ``<c:chart>`` out.
_ITEM = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|si|xf)(?=[\s>/])")
_CHUNK = 64 * 1024
_OVERLAP = 64  # longer than any tag the pattern matches: none is cut in two and lost
# How XML in UTF-16 or UTF-32 (or EBCDIC) begins, with a byte order mark or without.
_NOT_UTF8 = (
    b"\xff\xfe",
    b"\xfe\xff",
    b"\x00\x00\xfe\xff",
    b"<\x00",
    b"\x00<",
    b"\x00\x00\x00<",
    b"\x4c\x6f\xa7\x94",
)


def _check_xlsx(archive: zipfile.ZipFile, kind: Kind) -> None:
    """Refuse an Excel file before openpyxl reads it, from what it holds rather than from what
    it says of itself: its declared unpacked size (the zip's central directory: nothing is
    unpacked), then, reading each part a chunk at a time, the rows of each sheet and the
    cells, shared texts and cell styles of them all. Reading stops at the first cap passed,
    and a part is never unpacked past the size the directory declares for it (``zipfile``
    refuses), so neither time nor memory grows with what the file would unpack to."""
    members = archive.infolist()
    unpacked = sum(member.file_size for member in members)
    cap = settings.IMPORT_XLSX_MAX_UNPACKED_BYTES
    if unpacked > cap:
        raise FileRefused(
            _(
                "The file unpacks to %(size)s MB; at most %(limit)s MB is read. Copy the rows "
                "into a new workbook, or save it as “CSV UTF-8”."
            )
            % {"size": number_format(unpacked / 2**20, 1), "limit": cap // 2**20}
        )
    max_rows, max_items = settings.IMPORT_MAX_ROWS + 1, settings.IMPORT_XLSX_MAX_CELLS  # + header
    items = 0
    for member in members:
        rows = 0
        for name in _counted_tags(archive, member):
            if name == b"row":
                rows += 1
                if rows > max_rows:
                    raise _too_many_rows(kind)
            else:
                items += 1
                if items > max_items:
                    raise _too_complex(max_items)


def _counted_tags(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """The name of each tag ``_ITEM`` finds in one part, unpacked a chunk at a time. A part
    of XML in another encoding than UTF-8 (or its ASCII subsets), whose tags the count would
    not see, is refused: Excel writes UTF-8."""
    with archive.open(member) as part:
        tail = b""
        chunk = part.read(_CHUNK)
        if chunk.startswith(_NOT_UTF8):
            raise _unreadable("xlsx", ValueError(_("a part of it is not UTF-8")))
        while chunk:
            data = tail + chunk
            cut = max(len(data) - _OVERLAP, 0)
            for found in _ITEM.finditer(data):
                if found.start() >= cut:
                    break  # found again with the next chunk
                yield found.group(1)
            tail = data[cut:]
            chunk = part.read(_CHUNK)
        for found in _ITEM.finditer(tail):
            yield found.group(1)


def _too_complex(count: int) -> FileRefused:
    return FileRefused(
        _(
            "The file holds more than %(count)s cells, texts and styles in all, more than its "
            "rows need. Copy the rows into a new workbook, or save it as “CSV UTF-8”."
        )
        % {"count": number_format(count, force_grouping=True)}
    )


def _read_xlsx(upload, kind: Kind) -> tablib.Dataset:
    """The first (active) sheet of an Excel file, checked first (``_check_xlsx``), read by
    openpyxl in read-only mode (rows streamed from the zip, formulas as their last values), as
    tablib reads one, and never more rows than the cap."""
    try:
        with zipfile.ZipFile(upload) as archive:
            _check_xlsx(archive, kind)
        upload.seek(0)
        workbook = openpyxl.load_workbook(upload, read_only=True, data_only=True)
    except FileRefused:
        raise
    except Exception as error:  # not a zip, not a workbook: zipfile and openpyxl raise many kinds
        raise _unreadable("xlsx", error) from None
    try:
        sheet = workbook.active
        if sheet is None:
            raise _unreadable("xlsx", ValueError(_("it has no sheet")))
        # The sheet's own word on its size (its <dimension>), before any row is read.
        if (sheet.max_row or 0) - (sheet.min_row or 1) > settings.IMPORT_MAX_ROWS:
            raise _too_many_rows(kind)
        dataset = tablib.Dataset()
        for index, row in enumerate(sheet.iter_rows(values_only=True)):
            if index > settings.IMPORT_MAX_ROWS:
                raise _too_many_rows(kind)
            values = list(row)
            if index == 0:
                dataset.headers = values
                continue
            values += [""] * (dataset.width - len(values))
            dataset.append(values)
    except FileRefused:
        raise
    except Exception as error:
        raise _unreadable("xlsx", error) from None
    finally:
        workbook.close()
    return dataset


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
    for row, values in _lines(dataset):
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
        _once(row, target.pk if target else row.title.casefold(), lines, "commitment")
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
        _checked(row, form, whole="title")
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
        _planned(row, form, target, changed, seen)
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


def plan_milestones(meeting: m.Meeting, dataset: tablib.Dataset, seen: dict | None = None) -> Plan:
    """Every milestone row checked and matched (see the module). A row names what it is a step
    of by ``commitment`` (a commitment's title or reference), ``body`` (a body's name), or
    ``of`` as an export writes it ("commitment: …", "body: …"). An import never moves a saved
    milestone's date: that is a reschedule, whose reason is kept (the commitment's page)."""
    seen = seen or {}
    existing = list(
        m.Milestone.objects.filter(Q(commitment__meeting=meeting) | Q(body__meeting=meeting))
    )
    by_id = {str(ms.pk): ms for ms in existing}
    by_parent = {(ms.commitment_id, ms.body_id, ms.title.casefold()): ms for ms in existing}
    commitments = {}
    for commitment in m.Commitment.objects.filter(meeting=meeting):
        commitments[commitment.title.casefold()] = commitment
        if commitment.reference:
            commitments[commitment.reference.casefold()] = commitment
    bodies = {b.name.casefold(): b for b in m.ImplementationBody.objects.filter(meeting=meeting)}
    rows, lines = [], {}
    for row, values in _lines(dataset):
        rows.append(row)
        target = by_id.get(values["id"]) if values.get("id") else None
        if values.get("id") and target is None:
            row.errors.append(
                ("id", _("Not a milestone of this meeting: leave it empty to add one."))
            )
            row.outcome = "error"
            continue
        parent, column = _parent(values, commitments, bodies)
        if parent is None and target is not None:
            parent = target.commitment or target.body
        if parent is None:
            row.errors.append(
                (
                    column,
                    _("Name the commitment (its title or reference) or body it is a step of."),
                )
            )
        elif target is None:
            parent_key = (
                parent.pk if isinstance(parent, m.Commitment) else None,
                parent.pk if isinstance(parent, m.ImplementationBody) else None,
                row.title.casefold(),
            )
            target = by_parent.get(parent_key)
        key = (type(parent).__name__, getattr(parent, "pk", 0), row.title.casefold())
        _once(row, target.pk if target else key, lines, "milestone")
        if parent is None:
            row.outcome = "error"
            continue
        instance = target or m.Milestone(
            commitment=parent if isinstance(parent, m.Commitment) else None,
            body=parent if isinstance(parent, m.ImplementationBody) else None,
        )
        data = {name: values.get(name, "") for name in MilestoneImportForm.Meta.fields}
        for name in MilestoneImportForm.Meta.fields:
            if name not in values and target is not None:
                value = getattr(target, name)
                data[name] = value.isoformat() if hasattr(value, "isoformat") else value
        form = MilestoneImportForm(data, instance=instance)
        if _checked(row, form, whole="due_date") and target and "due_date" in form.changed_data:
            row.errors.append(
                (
                    "due_date",
                    _(
                        "An import does not move a milestone: give it a new date on its "
                        "commitment's page, where the reason is kept."
                    ),
                )
            )
        completed_on = _completed_on(row, values, meeting, target)
        if row.errors:
            row.outcome = "error"
            continue
        changed = list(form.changed_data)
        if completed_on is not None and completed_on != form.instance.completed_on:
            form.instance.status, form.instance.completed_on = m.MilestoneStatus.DONE, completed_on
            changed.append("completed_on")
        _planned(row, form, target, changed, seen)
    return Plan(rows)


def _completed_on(row: Row, values: dict, meeting: m.Meeting, target) -> datetime.date | None:
    """The day a milestone row says it was done, checked as the checklist checks it; None when
    it says none. An empty cell leaves a done milestone done: an import never opens one again
    (the checklist does), so an older file cannot undo what was ticked since."""
    text = values.get("completed_on", "")
    if not text:
        return None
    if target is not None and target.status not in (
        m.MilestoneStatus.PLANNED,
        m.MilestoneStatus.DONE,
    ):
        row.errors.append(
            (
                "completed_on",
                _("“%(title)s” is %(status)s: it cannot be ticked.")
                % {"title": target.title, "status": target.get_status_display().lower()},
            )
        )
        return None
    try:
        day = forms.DateField().clean(text)
        m.refuse_dated_outside(day, meeting.start_date, field="completed_on")
    except ValidationError as error:
        row.errors += [("completed_on", message) for message in error.messages]
        return None
    return day


def _parent(values: dict, commitments: dict, bodies: dict):
    """What a milestone row is a step of, and the column that says so."""
    of = values.get("of", "")
    kind, _sep, name = of.partition(":")
    if values.get("commitment") or kind.strip() == "commitment":
        wanted = values.get("commitment") or name.strip()
        column = "commitment" if values.get("commitment") else "of"
        return commitments.get(wanted.casefold()), column
    if values.get("body") or kind.strip() == "body":
        wanted = values.get("body") or name.strip()
        column = "body" if values.get("body") else "of"
        return bodies.get(wanted.casefold()), column
    return None, "commitment"


def _lines(dataset: tablib.Dataset):
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


def _once(row: Row, key, lines: dict, noun: str) -> None:
    """A record named by two lines of the file is refused on the second."""
    if key in lines:
        same = (
            _("The same milestone as line %(line)s.")
            if noun == "milestone"
            else _("The same commitment as line %(line)s.")
        )
        row.errors.append(("title", same % {"line": lines[key]}))
    lines[key] = row.line


def _checked(row: Row, form, *, whole: str) -> bool:
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


def _planned(row: Row, form, target, changed: list[str], seen: dict) -> None:
    """A valid row's outcome: new, update or unchanged, with what applying it writes, over
    the version the dry run read (``seen``) when it updates."""
    row.changed = changed
    row.outcome = "new" if target is None else ("update" if changed else "unchanged")
    row.record = form.instance
    if target is not None:
        row.expected = seen.get(str(target.pk), target.version)
