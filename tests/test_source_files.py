"""Documents kept with their sources (#23): kept from the meeting's page, served to the source's
team only (byte for byte, with safe headers), never deleted or overwritten, their words found
by the search, refused with a reason when bad, listed wherever sources are read, and stored in
an S3 bucket served by moto's real S3 API server."""

from __future__ import annotations

import datetime
import hashlib
import json
import socket
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from agreements import actions
from agreements.forms import KeepFileForm
from agreements.models import ApiToken, Extraction, SourceFile
from tests.conftest import HTMX, keep_text_file, make_source
from tests.documents import make_docx, make_odt, make_pdf, make_png
from tests.test_reminders import run_worker

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 9, 4)
PDF_TEXT = "Joint statement on fentanyl precursors"
BOUNDARY = "kept-file-boundary"


@pytest.fixture
def source(meeting):
    source = make_source(meeting.team, title="Joint statement")
    meeting.sources.add(source)
    return source


def keep(client, meeting, source, name: str, data: bytes, *, htmx: bool = False, **extra):
    """Post a file from the source's place on the meeting's page."""
    body = {
        "action": "keep_file",
        "source": source.pk,
        f"keep-{source.pk}-file": SimpleUploadedFile(name, data),
        f"keep-{source.pk}-retrieved_on": DAY.isoformat(),
    }
    url = reverse("agreements:meeting_detail", args=[meeting.pk])
    return client.post(url, body | extra, **(HTMX if htmx else {}))


def stored_files(store) -> list:
    return [p for p in store.rglob("*") if p.is_file()] if store.exists() else []


def download(client, kept: SourceFile):
    return client.get(reverse("agreements:source_file", args=[kept.pk]))


def test_the_form_keeping_a_file_is_drawn_only_when_opened(client, editor, meeting, source):
    url = reverse("agreements:meeting_detail", args=[meeting.pk])
    client.force_login(editor)
    page = client.get(url).content.decode()
    assert f'name="keep-{source.pk}-file"' not in page  # closed and empty
    assert f'hx-get="{url}?keep={source.pk}"' in page
    assert f'href="?keep={source.pk}#keep-file-{source.pk}"' in page
    opened = client.get(url, {"keep": source.pk}, **HTMX).content.decode()
    assert opened.lstrip().startswith("<form") and f'name="keep-{source.pk}-file"' in opened
    page = client.get(url, {"keep": source.pk}).content.decode()  # without JavaScript
    assert f'<details class="keep-file" id="keep-file-{source.pk}" open>' in page
    # A source of another meeting is not found here.
    other = make_source(meeting.team, title="Elsewhere")
    assert client.get(url, {"keep": other.pk}, **HTMX).status_code == 404


def test_a_refused_file_is_said_next_to_its_field_in_place(client, editor, meeting, source):
    client.force_login(editor)
    response = keep(client, meeting, source, "empty.txt", b"", htmx=True)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<section id="sources"')
    assert f'<details class="keep-file" id="keep-file-{source.pk}" open>' in html
    assert f'id="id_keep-{source.pk}-file_error"><li>The file is empty.' in html


# --- Kept, and served to the team only ---------------------------------------------------------


def test_an_editor_keeps_a_pdf_from_the_meeting_page_and_gets_it_back_byte_for_byte(
    client, editor, meeting, source, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    data = make_pdf(PDF_TEXT)
    response = keep(client, meeting, source, "Joint statement.pdf", data, htmx=True)
    assert response.status_code == 200
    kept = SourceFile.objects.get()
    assert (kept.source, kept.name, kept.content_type) == (
        source,
        "Joint statement.pdf",
        "application/pdf",
    )
    assert (kept.size, kept.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert (kept.retrieved_on, kept.added_by) == (DAY, editor)
    assert "Joint statement.pdf" in response.content.decode()  # the section shows it
    assert kept.sha256[:12] in response.content.decode()

    got = download(client, kept)
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == data
    assert got["Content-Type"] == "application/pdf"
    assert got["Content-Disposition"].startswith("inline")
    assert got["X-Content-Type-Options"] == "nosniff"
    assert got["Content-Security-Policy"].startswith("sandbox")


def test_what_is_not_a_pdf_or_an_image_is_downloaded_not_shown(client, editor, meeting, source):
    client.force_login(editor)
    keep(client, meeting, source, "readout.html", b"<!DOCTYPE html><html><script>alert(1)</script>")
    got = download(client, SourceFile.objects.get())
    assert got["Content-Type"] == "text/html"
    assert got["Content-Disposition"] == 'attachment; filename="readout.html"'
    assert got["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got["Content-Security-Policy"]


def test_a_kept_file_is_hidden_from_other_teams_and_from_anonymous_visitors(
    client, editor, outsider, source
):
    kept = keep_text_file(source, editor)
    client.force_login(outsider)
    assert download(client, kept).status_code == 404
    client.logout()
    assert download(client, kept).status_code == 302  # to the sign-in page


def test_an_outsider_cannot_keep_a_file_with_another_teams_source(
    client, outsider, meeting, source
):
    client.force_login(outsider)
    assert keep(client, meeting, source, "a.txt", b"words").status_code == 404
    assert not SourceFile.objects.exists()


def test_a_reviewer_reads_kept_files_but_keeps_none(client, reviewer, editor, meeting, source):
    kept = keep_text_file(source, editor)
    client.force_login(reviewer)
    assert download(client, kept).status_code == 200
    assert keep(client, meeting, source, "a.txt", b"words").status_code == 403
    assert SourceFile.objects.count() == 1


def test_behind_nginx_the_file_is_handed_over_by_an_internal_redirect(
    client, editor, source, settings
):
    settings.EVIDENCE_ACCEL_REDIRECT = "/kept-files"
    kept = keep_text_file(source, editor)
    client.force_login(editor)
    got = download(client, kept)
    assert got["X-Accel-Redirect"] == f"/kept-files/{kept.key}"
    assert got.content == b""
    assert got["Content-Disposition"] == 'attachment; filename="note.txt"'


# --- Evidence: never deleted, never overwritten -------------------------------------------------


def test_a_corrected_copy_is_kept_beside_the_first_which_is_never_overwritten(
    client, editor, meeting, source, evidence_store
):
    client.force_login(editor)
    keep(client, meeting, source, "statement.txt", b"first words")
    keep(client, meeting, source, "statement.txt", b"corrected words")
    first, second = SourceFile.objects.order_by("pk")
    assert first.key != second.key
    assert (evidence_store / first.key).read_bytes() == b"first words"
    assert (evidence_store / second.key).read_bytes() == b"corrected words"
    # Who added which: the history of each.
    assert [h.history_user for h in first.history.all()] == [editor]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers of PostgreSQL's")
def test_postgresql_refuses_deleting_or_changing_a_kept_file(editor, source):
    kept = keep_text_file(source, editor)
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceFile.objects.filter(pk=kept.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceFile.objects.filter(pk=kept.pk).update(sha256="0" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceFile.objects.filter(pk=kept.pk).update(key="sources/other")
    SourceFile.objects.filter(pk=kept.pk).update(text="words read again")  # its words may
    assert SourceFile.objects.get(pk=kept.pk).sha256 == kept.sha256


# --- Its words, found by the search -------------------------------------------------------------


def test_the_search_finds_a_word_inside_a_kept_pdf_and_says_which_file(
    client, editor, meeting, source, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        keep(client, meeting, source, "statement.pdf", make_pdf(PDF_TEXT))
    assert run_worker() == 1
    kept = SourceFile.objects.get()
    assert kept.extraction == Extraction.DONE
    assert "fentanyl precursors" in kept.text
    page = client.get("/search/", {"q": "precursors"})
    (section,) = [s for s in page.context["sections"] if s.label == "Kept documents"]
    (hit,) = section.hits
    assert hit.title == "“statement.pdf”, kept with “Joint statement”"
    assert hit.url == reverse("agreements:source_file", args=[kept.pk])
    assert "<mark>" in hit.extract
    assert "statement.pdf" in page.content.decode()


def test_another_team_never_finds_the_words_of_a_kept_file(client, editor, outsider, source):
    kept = keep_text_file(source, editor, text="classified annex")
    actions.read_words(kept)
    client.force_login(outsider)
    sections = client.get("/search/", {"q": "annex"}).context["sections"]
    assert all(not s.hits for s in sections)


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        (
            "statement.docx",
            make_docx("Border patrols", "start in October"),
            "Border patrols start in October",
        ),
        (
            "statement.odt",
            make_odt("Patrullas fronterizas", "en octubre"),
            "Patrullas fronterizas en octubre",
        ),
        (
            "readout.html",
            b"<!DOCTYPE html><html><head><style>p{}</style><script>var hidden=1</script></head>"
            b"<body><p>Readout of the meeting</p></body></html>",
            "Readout of the meeting",
        ),
        ("notes.txt", "Notas de la reunión".encode(), "Notas de la reunión"),
    ],
)
def test_the_words_of_word_odf_html_and_text_files_are_read(editor, source, name, data, words):
    kept = actions.keep_file(
        source=source, upload=SimpleUploadedFile(name, data), retrieved_on=DAY, by=editor
    )
    actions.read_words(kept)
    kept.refresh_from_db()
    assert (kept.extraction, kept.text) == (Extraction.DONE, words)


def test_an_image_is_kept_with_no_words_to_read(editor, source):
    kept = actions.keep_file(
        source=source,
        upload=SimpleUploadedFile("signing.png", make_png()),
        retrieved_on=DAY,
        by=editor,
    )
    assert (kept.content_type, kept.extraction) == ("image/png", Extraction.NONE)


def test_a_file_whose_words_cannot_be_read_stays_kept_and_says_so(
    client, editor, meeting, source, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    damaged = b"%PDF-1.4\n" + b"\x00garbage" * 50
    with django_capture_on_commit_callbacks(execute=True):
        keep(client, meeting, source, "scan.pdf", damaged)
    run_worker()
    kept = SourceFile.objects.get()
    assert kept.extraction == Extraction.FAILED and kept.extraction_note
    page = client.get(reverse("agreements:meeting_detail", args=[meeting.pk])).content.decode()
    assert "scan.pdf" in page and "its words could not be read for search" in page
    assert b"".join(download(client, kept).streaming_content) == damaged


# --- Bad files: refused next to the field, nothing stored ---------------------------------------


BAD = {
    "empty": ("empty.pdf", b"", "The file is empty."),
    "too large": ("big.txt", b"x" * 2048, "The file is larger than 1.0\xa0KB"),
    "not a kept type": (
        "tool.exe",
        b"MZ\x90\x00\x03" + b"\x00" * 200,
        "This kind of file is not kept",
    ),
    "content against its name": (
        "statement.pdf",
        make_png(),
        "By its content this file is: PNG image.",
    ),
    "zip bomb": (
        "statement.docx",
        make_docx("x", padding=3_000_000),
        "The document unpacks to far more than it weighs",
    ),
    "a bare zip named docx": ("statement.docx", b"PK\x03\x04" + b"\x00" * 60, "This kind of file"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_file_is_refused_next_to_its_field_and_nothing_is_stored(
    client, editor, meeting, source, settings, evidence_store, case
):
    settings.EVIDENCE_MAX_BYTES = 1024 if case == "too large" else 25 * 1024 * 1024
    name, data, message = BAD[case]
    client.force_login(editor)
    response = keep(client, meeting, source, name, data, htmx=True)
    assert response.status_code == 422
    form = response.context["sources"].rows[0].keep_form
    assert message in " ".join(form.errors["file"])
    html = response.content.decode()
    assert f'id="id_keep-{source.pk}-file_error"' in html  # shown by the field
    assert not SourceFile.objects.exists()
    assert stored_files(evidence_store) == []


@pytest.mark.parametrize(
    "name", ["..\\..\\etc\\statement.txt", "C:\\x\\statement.txt", "a\x00.txt"]
)
def test_a_name_holding_a_path_is_refused(name, source):
    form = KeepFileForm(
        {f"keep-{source.pk}-retrieved_on": DAY.isoformat()},
        {f"keep-{source.pk}-file": SimpleUploadedFile(name, b"words")},
        source_pk=source.pk,
    )
    assert not form.is_valid()
    assert "path" in form.errors["file"][0]


@pytest.mark.parametrize(
    "name", ["../../statement.txt", "/etc/statement.txt", "C:\\x\\statement.txt"]
)
def test_a_path_sent_in_the_name_is_refused_though_django_would_cut_it(
    client, editor, meeting, source, evidence_store, name
):
    """Django's upload parser keeps only a name's last part; the name as sent is refused."""
    client.force_login(editor)
    # Django's test client would cut the path itself: the body is written as a client may.
    fields = {"action": "keep_file", "source": source.pk, f"keep-{source.pk}-retrieved_on": DAY}
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="keep-{source.pk}-file"; '
        f'filename="{name}"\r\nContent-Type: text/plain\r\n\r\nwords\r\n--{BOUNDARY}--\r\n'
    )
    response = client.post(
        reverse("agreements:meeting_detail", args=[meeting.pk]),
        "".join(parts).encode(),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **HTMX,
    )
    assert response.status_code == 422
    form = response.context["sources"].rows[0].keep_form
    assert form.errors["file"] == ["The file's name holds a path or control characters: rename it."]
    assert not SourceFile.objects.exists() and stored_files(evidence_store) == []


def test_a_plain_name_is_kept_as_sent(client, editor, meeting, source, evidence_store):
    client.force_login(editor)
    keep(client, meeting, source, "Déclaration conjointe (3 sept).txt", b"words")
    kept = SourceFile.objects.get()
    assert kept.name == "Déclaration conjointe (3 sept).txt"
    assert kept.key.startswith(f"sources/{source.pk}/") and kept.key.endswith(".txt")
    assert [p.relative_to(evidence_store).as_posix() for p in stored_files(evidence_store)] == [
        kept.key
    ]


def test_a_source_added_with_a_copy_keeps_it(client, editor, meeting, evidence_store):
    client.force_login(editor)
    url = reverse("agreements:meeting_detail", args=[meeting.pk])
    response = client.post(
        url,
        {
            "action": "add_source",
            "source-title": "Readout",
            "source-accessed_on": "2025-09-05",
            "source-file": SimpleUploadedFile("readout.pdf", make_pdf("Readout")),
        },
        **HTMX,
    )
    assert response.status_code == 200
    kept = SourceFile.objects.get()
    assert (kept.source.title, kept.retrieved_on) == ("Readout", datetime.date(2025, 9, 5))


def test_a_source_added_with_a_bad_copy_is_not_added_at_all(client, editor, meeting):
    client.force_login(editor)
    url = reverse("agreements:meeting_detail", args=[meeting.pk])
    response = client.post(
        url,
        {
            "action": "add_source",
            "source-title": "Readout",
            "source-file": SimpleUploadedFile("a.pdf", b""),
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert "The file is empty." in response.content.decode()
    assert not meeting.sources.exists() and not SourceFile.objects.exists()


# --- Shown wherever sources are read ------------------------------------------------------------


def test_the_commitment_page_and_the_briefing_list_the_kept_files(
    client, editor, meeting, commitment, source
):
    commitment.sources.add(source)
    kept = keep_text_file(source, editor)
    client.force_login(editor)
    for url in (
        reverse("agreements:commitment_detail", args=[commitment.pk]),
        reverse("agreements:meeting_briefing", args=[meeting.pk]),
    ):
        html = client.get(url).content.decode()
        assert reverse("agreements:source_file", args=[kept.pk]) in html, url
        assert kept.short_hash in html and "retrieved 4 Sep 2025" in html, url
        assert "kept by editor on" in html, url  # who added which file


def test_open_data_and_the_api_describe_each_file_never_its_bytes(client, editor, source):
    kept = keep_text_file(source, editor, text="secret words")
    described = {
        "name": "note.txt",
        "type": "text/plain",
        "size": kept.size,
        "sha256": kept.sha256,
        "retrieved_on": "2025-09-04",
    }
    client.force_login(editor)
    document = json.loads(b"".join(client.get("/open-data.json").streaming_content))
    (listed,) = [s for s in document["sources"] if s["id"] == f"source-{source.pk}"]
    assert listed["files"] == [described]
    _token, key = ApiToken.issue(editor, "portal")
    api = client.get("/api/v1/sources", headers={"Authorization": f"Bearer {key}"}).json()
    (listed,) = [s for s in api["items"] if s["id"] == f"source-{source.pk}"]
    assert listed["files"] == [described]
    assert b"secret words" not in json.dumps(api).encode()


def test_the_meeting_page_costs_the_same_with_few_or_many_kept_files(
    client, editor, meeting, source, queries
):
    client.force_login(editor)

    def fill(n):
        for i in range(n):
            keep_text_file(source, editor, name=f"copy-{i}.txt")

    queries.stay_flat(client, fill, reverse("agreements:meeting_detail", args=[meeting.pk]))


# --- The S3 store, end to end against moto's S3 API server --------------------------------------


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server, on a free port of this machine, for this module's tests."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_store(s3_server, settings):
    import boto3

    credentials = {"aws_access_key_id": "tracker", "aws_secret_access_key": "secret"}
    bucket = "evidence"
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", **credentials)
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket)
    settings.STORAGES = settings.STORAGES | {
        "evidence": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "access_key": "tracker",
                "secret_key": "secret",
                "location": "evidence",
                "default_acl": "private",
                "file_overwrite": False,
                "querystring_expire": 60,
                "signature_version": "s3v4",
            },
        }
    }
    return s3, bucket


def test_files_kept_in_an_s3_bucket_are_stored_read_and_served_by_a_signed_address(
    client, editor, meeting, source, s3_store, evidence_store, django_capture_on_commit_callbacks
):
    s3, bucket = s3_store
    client.force_login(editor)
    data = make_pdf(PDF_TEXT)
    with django_capture_on_commit_callbacks(execute=True):
        assert keep(client, meeting, source, "statement.pdf", data).status_code == 302
    kept = SourceFile.objects.get()
    stored = s3.get_object(Bucket=bucket, Key=f"evidence/{kept.key}")
    assert stored["Body"].read() == data
    assert stored_files(evidence_store) == []  # nothing on the local disk

    assert run_worker() == 1  # the worker reads the words from the bucket
    kept.refresh_from_db()
    assert "fentanyl" in kept.text

    got = download(client, kept)
    assert got.status_code == 302
    address = got["Location"]
    assert address.startswith(f"{s3_store[0].meta.endpoint_url}/{bucket}/evidence/sources/")
    assert "X-Amz-Expires=60" in address and "X-Amz-Signature=" in address
    with urllib.request.urlopen(address) as answer:  # the test's own server
        assert answer.read() == data
        assert answer.headers["Content-Type"] == "application/pdf"
        assert answer.headers["Content-Disposition"].startswith("inline")
    assert got["X-Content-Type-Options"] == "nosniff"


def test_a_bad_file_never_reaches_the_bucket(client, editor, meeting, source, s3_store):
    s3, bucket = s3_store
    before = s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0)
    client.force_login(editor)
    assert keep(client, meeting, source, "statement.pdf", make_png()).status_code == 422
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == before


def test_an_archived_meetings_sources_take_no_new_file(client, editor, meeting, source):
    actions.archive_record(record=meeting, by=editor, reason="Recorded twice")
    client.force_login(editor)
    response = keep(client, meeting, source, "statement.txt", b"words", htmx=True)
    assert response.status_code == 409
    assert "read-only" in response.content.decode()
    assert not SourceFile.objects.exists()
