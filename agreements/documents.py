"""Documents kept with a source (#23): what an upload is, read from its content; whether it may
be kept; and the words inside it.

``inspect`` reads an upload once (its SHA-256 and size as it streams, its type from its first
bytes by puremagic, a Word or ODF file's parts from the zip's directory) and refuses, with the
message shown next to the field, an empty file, one over ``EVIDENCE_MAX_BYTES``, a type outside
``TYPES``, a type its name contradicts, a Word or ODF file that unpacks past its caps (a zip
bomb), and a name that carries a path. Nothing is stored before it passes.

``extract_text`` reads the words of a PDF (pypdf), a Word or ODF file (its XML, from the zip,
never unpacked past the size its directory declares), an HTML page (the standard library's
parser, without scripts and styles) or plain text; images hold no words to read.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from xml.etree import ElementTree

import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
HTML = "text/html"
TEXT = "text/plain"

# The types kept: each with the name endings that may carry it and what people call it. SVG is
# left out on purpose: an image that runs scripts.
TYPES: dict[str, tuple[tuple[str, ...], str]] = {
    PDF: ((".pdf",), gettext_lazy("PDF")),
    DOCX: ((".docx",), gettext_lazy("Word document")),
    ODT: ((".odt",), gettext_lazy("OpenDocument text")),
    HTML: ((".html", ".htm"), gettext_lazy("web page")),
    TEXT: ((".txt", ".text"), gettext_lazy("plain text")),
    "image/png": ((".png",), gettext_lazy("PNG image")),
    "image/jpeg": ((".jpg", ".jpeg"), gettext_lazy("JPEG image")),
    "image/gif": ((".gif",), gettext_lazy("GIF image")),
    "image/webp": ((".webp",), gettext_lazy("WebP image")),
    "image/tiff": ((".tif", ".tiff"), gettext_lazy("TIFF image")),
}
# Shown in the browser (the view sandboxes them); every other type is downloaded.
INLINE = {PDF, "image/png", "image/jpeg", "image/gif", "image/webp"}
# What the words are read from; images have none.
READABLE = {PDF, DOCX, ODT, HTML, TEXT}
ZIPPED = {DOCX: "word/document.xml", ODT: "content.xml"}
CHUNK = 64 * 1024
SNIFF = 8192


def label(content_type: str) -> str:
    return str(TYPES[content_type][1]) if content_type in TYPES else content_type


@dataclass(frozen=True)
class Inspected:
    """What an accepted upload is: its clean name, its type (from the content), its size and
    its SHA-256 (hex)."""

    name: str
    content_type: str
    size: int
    sha256: str

    @property
    def extension(self) -> str:
        return TYPES[self.content_type][0][0]


def refused(message: str) -> ValidationError:
    return ValidationError({"file": message})


def inspect(upload, name: str | None = None) -> Inspected:
    """What ``upload`` (a Django file) is, or ``ValidationError`` on ``file`` saying why it is
    refused (see the module's docstring). ``name`` is the name the sender gave, before any
    cleaning (the upload's own name otherwise)."""
    if name is None:  # the name as its sender wrote it, before Django cut any path from it
        name = getattr(upload, "sent_name", upload.name)
    name = name or ""
    if re.search(r"[/\\]|^\.\.?$|^[A-Za-z]:|[\x00-\x1f\x7f]", name):
        raise refused(_("The file's name holds a path or control characters: rename it."))
    name = name.strip()
    if not name:
        raise refused(_("The file has no name."))
    limit = settings.EVIDENCE_MAX_BYTES
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    head = b""
    for chunk in iter(lambda: upload.read(CHUNK), b""):
        if len(head) < SNIFF:
            head += chunk[: SNIFF - len(head)]
        digest.update(chunk)
        size += len(chunk)
        if size > limit:
            raise refused(
                _("The file is larger than %(limit)s: keep a smaller copy.")
                % {"limit": filesizeformat(limit)}
            )
    upload.seek(0)
    if size == 0:
        raise refused(_("The file is empty."))
    content_type = _type_of(head, upload)
    if content_type not in TYPES:
        raise refused(
            _(
                "This kind of file is not kept. Keep a PDF, a Word or ODF document, a web "
                "page, plain text or an image."
            )
        )
    endings, what = TYPES[content_type]
    if not name.lower().endswith(endings):
        raise refused(
            _(
                "By its content this file is: %(type)s. Its name should then end in "
                "%(endings)s: check that it is the right file."
            )
            % {"type": what, "endings": " / ".join(endings)}
        )
    if content_type in ZIPPED:
        _check_zip(upload)
        upload.seek(0)
    return Inspected(
        name=name[:255], content_type=content_type, size=size, sha256=digest.hexdigest()
    )


def _type_of(head: bytes, upload) -> str:
    """The type the content says, never the name's or the browser's: puremagic's reading of
    the first bytes; a zip told apart as Word or ODF by the parts it holds (puremagic guesses
    among the zip formats by their shared signature); text with no signature is HTML or plain
    text when it decodes as UTF-8 with no NUL."""
    try:
        guessed = puremagic.from_string(head, mime=True)
    except puremagic.PureError:
        guessed = ""
    if head.startswith(b"PK\x03\x04"):
        return _zipped_type(upload)
    if guessed in TYPES and guessed not in (HTML, TEXT):
        return guessed
    return _text_type(head) or guessed


def _zipped_type(upload) -> str:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if (
                "mimetype" in names
                and archive.getinfo("mimetype").file_size < 100
                and archive.read("mimetype").strip() == ODT.encode()
            ):
                return ODT
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                return DOCX
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        pass
    finally:
        upload.seek(0)
    return "application/zip"


def _text_type(head: bytes) -> str:
    if b"\x00" in head:
        return ""
    text = head.removeprefix(b"\xef\xbb\xbf")
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as error:  # a character cut at the end of the sniffed bytes
        if error.start < len(text) - 4:
            return ""
        decoded = text[: error.start].decode("utf-8")
    start = decoded.lstrip()[:200].lower()
    if start.startswith(("<!doctype html", "<html", "<!-- saved from")):
        return HTML
    return TEXT


def _check_zip(upload) -> None:
    """A Word or ODF file is refused when its directory declares it unpacks past
    ``EVIDENCE_MAX_UNPACKED_BYTES`` in all, or a part unpacks past ``EVIDENCE_MAX_ZIP_RATIO``
    times its packed size: nothing is unpacked to find out."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise refused(_("The document cannot be opened: %(error)s") % {"error": error}) from None
    unpacked = sum(member.file_size for member in members)
    ratio = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if (
        unpacked > settings.EVIDENCE_MAX_UNPACKED_BYTES
        or ratio > settings.EVIDENCE_MAX_ZIP_RATIO
        or len(members) > 10_000
    ):
        raise refused(
            _("The document unpacks to far more than it weighs (%(size)s): it is not kept.")
            % {"size": filesizeformat(unpacked)}
        )


# --- The words inside ---------------------------------------------------------------------------


class Unreadable(Exception):
    """The file is kept, but its words could not be read (the reason is the message)."""


def extract_text(data: bytes, content_type: str) -> str:
    """The words of a document of ``content_type`` (its bytes), whitespace folded; "" for an
    image. ``Unreadable`` when the document cannot be read."""
    try:
        if content_type == PDF:
            text = _pdf_text(data)
        elif content_type in ZIPPED:
            text = _zipped_text(data, ZIPPED[content_type])
        elif content_type == HTML:
            text = _html_text(data.decode("utf-8", errors="replace"))
        elif content_type == TEXT:
            text = data.decode("utf-8", errors="replace")
        else:
            return ""
    except Unreadable:
        raise
    except Exception as error:  # the readers raise many kinds on a damaged file
        raise Unreadable(f"{type(error).__name__}: {error}"[:300]) from error
    return " ".join(text.split())[: settings.EVIDENCE_MAX_TEXT_CHARS]


def _pdf_text(data: bytes) -> str:
    import pypdf  # only the worker reads PDFs: the pages need not import it

    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _zipped_text(data: bytes, part: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(part)
        if info.file_size > settings.EVIDENCE_MAX_UNPACKED_BYTES:
            raise Unreadable(_("The document's text is too large to read."))
        xml = archive.read(part)  # zipfile stops at the size the directory declares
    # Python's expat refuses entity expansion attacks (billion laughs) by itself.
    root = ElementTree.fromstring(xml)
    words = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if element.text and tag in {"t", "p", "h", "span", "a"}:
            words.append(element.text)
        if tag in {"p", "h", "s", "tab", "br", "line-break"}:
            words.append(" ")
        if element.tail and tag not in {"document", "body"}:
            words.append(element.tail)
    return "".join(words)


class _HTMLText(HTMLParser):
    SKIPPED = {"script", "style", "noscript", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1

    def handle_endtag(self, tag) -> None:
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1
        self.words.append(" ")

    def handle_data(self, data) -> None:
        if not self.skipping:
            self.words.append(data)


def _html_text(html: str) -> str:
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return "".join(parser.words)
