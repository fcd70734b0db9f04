"""Spreadsheets in: an upload (CSV through tablib, Excel through openpyxl) read into rows,
refusing a file that is too large, not UTF-8, or has columns the tracker does not know. An
Excel file is a zip archive: before a row is read, its declared unpacked size, its rows and its
cells are checked against the caps in settings (``IMPORT_*``), so a file of a megabyte that
unpacks to hundreds is refused at once, in a few milliseconds and a few kilobytes of memory
(``_check_xlsx``). What the rows then become is ``imports``' (plans checked by the pages'
forms, applied by the actions)."""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import openpyxl
import tablib
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .forms.meeting_rows import CommitmentRowForm

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
    ("first_due_date", "status", "overdue", "moved_on", "moved_as", "meeting"),
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
