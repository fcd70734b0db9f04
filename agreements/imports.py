"""Commitments from a spreadsheet, into one meeting: read, checked, shown, then applied.

``read`` turns an upload (CSV or Excel, through tablib) into rows, refusing a file that is too
large, not UTF-8, or has columns the tracker does not know. ``plan`` checks every row with
the form the meeting form uses for a commitment row, and finds the commitment it updates: by
``id`` (a file exported from the tracker), else by ``reference``, else by ``title``. So an
exported file imports back unchanged, and a re-import updates instead of duplicating. Nothing is
written until ``actions.import_commitments`` applies a plan without errors, all or nothing.

Cells an export disarmed (``'=…``, see ``exports``) come back as they were; a cell that is a
formula (it starts with ``=`` or ``@``) is refused, never stored for a spreadsheet to run later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tablib

from . import models as m
from .exports import armed
from .forms.meetings import MAX_ROWS, CommitmentRowForm

MAX_BYTES = 2 * 1024 * 1024  # some thousands of rows; a larger file is refused unread
FORMATS = {"csv": "csv", "xlsx": "xlsx"}

# Columns written into the commitment, and those of an export that describe it but are set
# elsewhere (its status has its own workflow): read-only here, ignored.
WRITTEN = [
    "title",
    "reference",
    "text",
    "theme",
    "target_date",
    "lead_agency",
    "jurisdiction_note",
    "indicator",
    "party_roles",
]
IGNORED = [
    "status",
    "status_label",
    "stalled",
    "cancellation",
    "overdue",
    "meeting_id",
    "meeting",
    "meeting_date",
    "team",
    "updated_at",
    "page",
]


class FileRefused(Exception):
    """The file as a whole cannot be read: the message says why and what to do."""


def read(upload) -> tablib.Dataset:
    """The rows of an uploaded file, or ``FileRefused``."""
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if extension not in FORMATS:
        raise FileRefused("Upload a .csv or .xlsx file.")
    if upload.size > MAX_BYTES:
        raise FileRefused(
            f"The file is {upload.size / 2**20:.1f} MB; at most {MAX_BYTES // 2**20} MB is "
            "read. Split it, or leave out what is not commitments."
        )
    content = upload.read()
    if extension == "csv":
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileRefused(
                "The file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (comma delimited)”."
            ) from None
    try:
        dataset = tablib.Dataset().load(content, format=FORMATS[extension])
    except Exception as error:  # tablib and its readers raise many kinds
        raise FileRefused(f"The file could not be read as {extension.upper()}: {error}") from None
    headers = [str(h or "").strip() for h in dataset.headers or []]
    unknown = [h for h in headers if h not in ("id", *WRITTEN, *IGNORED)]
    if unknown or "title" not in headers:
        raise FileRefused(
            "Unknown columns: " + ", ".join(unknown) + ". "
            if unknown
            else "There is no “title” column. "
        ) from None
    if not len(dataset):
        raise FileRefused("The file has a header row but no commitments.")
    if len(dataset) > MAX_ROWS:
        raise FileRefused(f"A meeting holds at most {MAX_ROWS} commitments; the file has more.")
    dataset.headers = headers
    return dataset


@dataclass
class Row:
    """One line of the file, what applying it would do, and why it cannot be applied."""

    line: int  # as a spreadsheet numbers it: the header is line 1
    title: str
    outcome: str = "new"  # new, update, unchanged, error
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    changed: list[str] = field(default_factory=list)
    commitment: m.Commitment | None = None  # unsaved values, for applying
    expected: int | None = None
    roles: dict = field(default_factory=dict)


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


def plan(meeting: m.Meeting, dataset: tablib.Dataset, seen: dict | None = None) -> Plan:
    """Every row checked, and matched with the commitment it updates (see the module).
    ``seen``: the versions a dry run read (id → version), which applying must still find."""
    seen = seen or {}
    existing = list(
        m.Commitment.objects.filter(meeting=meeting).prefetch_related("party_roles__party")
    )
    by_id = {str(c.pk): c for c in existing}
    by_reference = {c.reference: c for c in existing if c.reference}
    by_title = {c.title.casefold(): c for c in existing}
    themes = {}
    for theme in m.Theme.objects.all():
        themes[theme.code.casefold()] = themes[theme.name.casefold()] = theme.code
    parties = {p.code.casefold(): p for p in m.Party.objects.all()}
    roles = {r.label.casefold(): r.value for r in m.PartyRole} | {
        r.value: r.value for r in m.PartyRole
    }
    all_themes = list(m.Theme.objects.all())
    rows, lines = [], {}
    for number, cells in enumerate(dataset.dict, start=2):
        raw = {k: "" if v is None else str(v).strip() for k, v in cells.items() if k}
        values = {k: _restored(v) for k, v in raw.items()}
        row = Row(line=number, title=values.get("title", ""))
        rows.append(row)
        for column, value in raw.items():
            if value[:1] in ("=", "@"):
                row.errors.append((column, "A formula: write the value itself."))
        target = None
        if values.get("id"):
            target = by_id.get(values["id"])
            if target is None:
                row.errors.append(
                    ("id", "Not a commitment of this meeting: leave it empty to add one.")
                )
                row.outcome = "error"
                continue
        elif values.get("reference"):
            target = by_reference.get(values["reference"])
        if target is None and not values.get("id"):
            target = by_title.get(values.get("title", "").casefold())
        key = target.pk if target else values.get("title", "").casefold()
        if key in lines:
            row.errors.append(("title", f"The same commitment as line {lines[key]}."))
        lines[key] = number
        chosen = {}
        for part in filter(None, (p.strip() for p in values.get("party_roles", "").split(";"))):
            code, _, role = (s.strip() for s in part.partition(":"))
            party, role = parties.get(code.casefold()), roles.get(role.casefold())
            if party is None or role is None:
                row.errors.append(
                    ("party_roles", f"“{part}”: write a party's code and a role, e.g. “MX: Joint”.")
                )
            else:
                chosen[party] = role
        theme = values.get("theme", "")
        if theme and theme.casefold() not in themes:
            names = ", ".join(t.name for t in all_themes if not t.archived)
            row.errors.append(("theme", f"No theme “{theme}”. The themes are: {names}."))
        data = _form_data(values, target, themes)
        instance = target or m.Commitment(meeting=meeting, position=len(existing) + len(rows))
        form = CommitmentRowForm(data, instance=instance, parties=[], themes=all_themes)
        if not form.is_valid():
            said = {column for column, _ in row.errors}
            row.errors += [
                (name if name != "__all__" else "title", message)
                for name, messages in form.errors.items()
                for message in messages
                if name not in said
            ]
        if row.errors:
            row.outcome = "error"
            continue
        current = {r.party: r.role for r in target.party_roles.all()} if target else {}
        if "party_roles" in values:
            row.roles = {party: chosen.get(party, "") for party in {*current, *chosen}}
        row.changed = [name for name in form.changed_data if name != "version"]
        if target and row.roles and any(current.get(p, "") != r for p, r in row.roles.items()):
            row.changed.append("party_roles")
        row.outcome = "new" if target is None else ("update" if row.changed else "unchanged")
        row.commitment = form.instance
        if target is not None:
            row.expected = seen.get(str(target.pk), target.version)
    return Plan(rows)


def _form_data(values: dict, target, themes: dict) -> dict:
    """The row as the commitment row form reads it: a column left out keeps what is stored."""
    data = {}
    for name in CommitmentRowForm.Meta.fields:
        if name in values:
            data[name] = values[name]
        elif target is not None:
            data[name] = getattr(target, f"{name}_id" if name == "theme" else name) or ""
    if "theme" in values:
        data["theme"] = themes.get(values["theme"].casefold(), values["theme"])
    if data.get("target_date") and not isinstance(data["target_date"], str):
        data["target_date"] = data["target_date"].isoformat()
    if target is not None:
        data["version"] = target.version
    return data
