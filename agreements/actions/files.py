"""Documents kept with a source (#23): a file kept, and the words read from it."""

from __future__ import annotations

import datetime
import uuid
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from .. import documents, system_texts
from ..models import Extraction, Source, SourceFile, evidence_storage
from .base import trace


def keep_file(
    *,
    source: Source,
    upload,
    retrieved_on: datetime.date,
    by: AbstractBaseUser,
    name: str | None = None,
) -> SourceFile:
    """Keep ``upload`` (a Django file) with ``source``: checked first (``documents.inspect``
    refuses it with ``ValidationError`` on ``file``, and nothing is stored), then stored under a
    key of its own, never reused, and recorded; its words are read by a background task once
    the record commits. ``name`` is the name its sender gave, when the upload's was cleaned."""
    inspected = documents.inspect(upload, name)
    key = f"sources/{source.pk}/{uuid.uuid4().hex}{inspected.extension}"
    storage = evidence_storage()
    stored = storage.save(key, upload)
    try:
        with transaction.atomic():
            kept = SourceFile(
                source=source,
                key=stored,
                name=inspected.name,
                content_type=inspected.content_type,
                size=inspected.size,
                sha256=inspected.sha256,
                retrieved_on=retrieved_on,
                added_by=by,
                extraction=Extraction.PENDING
                if inspected.content_type in documents.READABLE
                else Extraction.NONE,
            )
            trace(kept, by)
            kept.save()
    except BaseException:
        storage.delete(stored)  # no record names it: it was never kept
        raise
    if kept.extraction == Extraction.PENDING:
        from .. import tasks

        transaction.on_commit(partial(tasks.read_kept_file.enqueue, kept.pk), robust=True)
    return kept


def read_words(kept: SourceFile) -> SourceFile:
    """Read the words of a kept file into its searched words; a file that cannot be read stays
    kept, marked so, with the reason."""
    with evidence_storage().open(kept.key, "rb") as stored:
        data = stored.read()
    try:
        kept.text = documents.extract_text(data, kept.content_type)
        kept.extraction, kept.extraction_note = Extraction.DONE, ""
    except documents.Unreadable as error:
        kept.text, kept.extraction, kept.extraction_note = "", Extraction.FAILED, str(error)[:300]
    trace(kept, None, system_texts.stored("words_read"))
    kept.save(update_fields=["text", "extraction", "extraction_note"])
    return kept
