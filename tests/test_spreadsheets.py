"""Hostile spreadsheets refused before they cost anything (#22, point 3): a zip bomb, more rows
than the cap, a sheet that understates its size, a wide row or a table of many texts, a part in
another encoding, a file that is not a workbook; each refused with a clear message, counted in
the parts' XML before openpyxl is called (``agreements.spreadsheets``)."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.formats import number_format

from agreements import spreadsheets
from agreements.models import Commitment
from tests.test_imports import upload

SHEET = "xl/worksheets/sheet1.xml"
MAIN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def workbook(write_sheet, extra: dict[str, bytes] | None = None) -> bytes:
    """An .xlsx file as Excel would lay it out (openpyxl's, through tablib), its sheet's XML
    written by ``write_sheet(part)`` a piece at a time (so a large one is never held whole),
    with ``extra`` parts added or replaced."""
    plain = tablib.Dataset(headers=["title"])
    plain.append(["Halt fentanyl"])
    base = zipfile.ZipFile(io.BytesIO(plain.export("xlsx")))
    extra = extra or {}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name in base.namelist():
            if name == SHEET:
                with archive.open(SHEET, "w", force_zip64=True) as part:
                    write_sheet(part)
            else:
                archive.writestr(name, extra.pop(name, base.read(name)))
        for name, content in extra.items():
            archive.writestr(name, content)
    return out.getvalue()


def rows_of(count: int, *, dimension: str = "", cells: int = 1, text: bytes = b""):
    """A sheet of a header and ``count`` rows of ``cells`` cells, a thousand rows a write."""
    text = text or b"Disrupt fentanyl shipments across the border and report each quarter " * 20
    body = b'">' + (b'<c t="inlineStr"><is><t>' + text + b"</t></is></c>") * cells + b"</row>"

    def write(part) -> None:
        part.write(MAIN + (f'<dimension ref="{dimension}"/>'.encode() if dimension else b""))
        part.write(b'<sheetData><row r="1"><c t="inlineStr"><is><t>title</t></is></c></row>')
        for start in range(2, count + 2, 1000):
            block = range(start, min(start + 1000, count + 2))
            part.write(b"".join(b'<row r="%d' % r + body for r in block))
        part.write(b"</sheetData></worksheet>")

    return write


@pytest.fixture(scope="session")
def zip_bomb() -> bytes:
    """The attack's file: 1.8 MB that unpacks to 270 MB, 200,000 rows of commitments."""
    return workbook(rows_of(200_000))


def test_the_zip_bomb_is_what_the_attack_sent(zip_bomb):
    unpacked = sum(member.file_size for member in zipfile.ZipFile(io.BytesIO(zip_bomb)).infolist())
    assert len(zip_bomb) < 2 * 1024 * 1024 < 250 * 1024 * 1024 < unpacked


@pytest.fixture
def unpacked_bytes(monkeypatch) -> list[int]:
    """How many bytes the code under test decompresses from any zip (counted, not timed: a
    refusal "at once" is one that unpacks next to nothing)."""
    read = zipfile.ZipExtFile.read
    total = [0]

    def counted(self, n=-1):
        data = read(self, n)
        total[0] += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counted)
    return total


def test_a_zip_bomb_is_refused_at_once_with_a_clear_message(
    client, editor, meeting, zip_bomb, unpacked_bytes
):
    unpacked = sum(member.file_size for member in zipfile.ZipFile(io.BytesIO(zip_bomb)).infolist())
    client.force_login(editor)
    response = upload(client, meeting, zip_bomb, "plan.xlsx")
    assert response.status_code == 422
    [message] = response.context["form"].errors["file"]
    assert f"unpacks to {number_format(unpacked / 2**20, 1)} MB; at most 10 MB is read" in message
    assert unpacked_bytes[0] < 1024 * 1024, unpacked_bytes  # of the 283 MB it would unpack to
    assert not Commitment.objects.exists()


def test_refusing_a_zip_bomb_takes_little_work_and_memory(zip_bomb, unpacked_bytes):
    """Measured around the read itself: the upload is in memory already (1.8 MB)."""
    file = SimpleUploadedFile("plan.xlsx", zip_bomb)
    tracemalloc.start()
    try:
        with pytest.raises(spreadsheets.FileRefused, match="unpacks to"):
            spreadsheets.read(file)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 512 * 1024, f"{peak / 2**20:.1f} MB"  # of the 283 MB it would unpack to
    assert unpacked_bytes[0] < 1024 * 1024, unpacked_bytes


def test_more_rows_than_the_cap_are_refused_before_any_is_read(
    client, editor, meeting, monkeypatch
):
    """Within the unpacked size, 601 rows: counted in the sheet's XML, openpyxl never called."""
    content = workbook(rows_of(601))
    assert sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(content)).infolist()) < 2**20
    called = []
    monkeypatch.setattr(spreadsheets.openpyxl, "load_workbook", lambda *a, **k: called.append(a))
    client.force_login(editor)
    response = upload(client, meeting, content, "plan.xlsx")
    assert response.status_code == 422
    assert "At most 600 commitments are read at once" in response.context["form"].errors["file"][0]
    assert called == []


def test_a_sheet_that_understates_its_size_is_counted_all_the_same(editor, meeting):
    content = workbook(rows_of(700, dimension="A1:A2"))
    with pytest.raises(spreadsheets.FileRefused, match="At most 600"):
        spreadsheets.read(SimpleUploadedFile("plan.xlsx", content))


def test_six_hundred_rows_are_read(editor, meeting):
    dataset = spreadsheets.read(SimpleUploadedFile("plan.xlsx", workbook(rows_of(600))))
    assert len(dataset) == 600 and dataset.headers == ["title"]


@pytest.mark.parametrize(
    ("what", "content"),
    [
        # One row of 30,000 cells: 1 MB unpacked, seconds of openpyxl's time.
        ("a wide row", lambda: workbook(rows_of(1, cells=30_000, text=b"x"))),
        # 100,000 shared texts of a byte each: 1.7 MB unpacked, a minute of openpyxl's time.
        (
            "a table of many texts",
            lambda: workbook(
                rows_of(1),
                {
                    "xl/sharedStrings.xml": b'<sst xmlns="http://schemas.openxmlformats.org/'
                    b'spreadsheetml/2006/main">' + b"<si><t>x</t></si>" * 100_000 + b"</sst>"
                },
            ),
        ),
    ],
)
def test_a_file_of_few_rows_but_many_cells_or_texts_is_refused_at_once(what, content, monkeypatch):
    """Counted in the parts' XML before openpyxl, whose time it would cost, is called."""
    called = []
    monkeypatch.setattr(spreadsheets.openpyxl, "load_workbook", lambda *a, **k: called.append(a))
    with pytest.raises(spreadsheets.FileRefused, match="more than 20,000 cells, texts and styles"):
        spreadsheets.read(SimpleUploadedFile("plan.xlsx", content()))
    assert called == [], what


def test_a_part_in_another_encoding_than_utf8_is_refused(editor):
    """Its tags would escape the count; Excel writes UTF-8."""

    def write(part) -> None:
        part.write('<?xml version="1.0" encoding="UTF-16"?>'.encode("utf-16") + b"")

    with pytest.raises(spreadsheets.FileRefused, match="not UTF-8"):
        spreadsheets.read(SimpleUploadedFile("plan.xlsx", workbook(write)))


def test_a_file_that_is_not_a_workbook_is_refused(editor):
    with pytest.raises(spreadsheets.FileRefused, match="could not be read as XLSX"):
        spreadsheets.read(SimpleUploadedFile("plan.xlsx", b"PK\x03\x04 not really"))
