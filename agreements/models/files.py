"""Documents kept with a source (#23): the joint statement's PDF, a readout as the browser
saved it, a scanned signed text, a photo of a signing. The bytes live in the evidence store
(``STORAGES["evidence"]``: a folder under var/ by default, an S3 bucket in production); a row
here says what they are (name, type read from the content, size, SHA-256), who kept them,
when, and the day the copy was retrieved.

A kept file is evidence: never deleted, never overwritten (a corrected copy is a new file
beside it). On PostgreSQL a trigger refuses DELETE, and UPDATE of anything but the words read
from it (migrations/_rules.py); its store key is new for every file.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import ChoiceLabels, choice_check, track_history
from .reference import Source
from .teams import TeamScopedQuerySet


def evidence_storage() -> Storage:
    """The store kept files live in, read from the settings on every use (tests swap it)."""
    return storages["evidence"]


class Extraction(models.TextChoices):
    PENDING = "pending", _("Words not read yet")
    DONE = "done", _("Words read")
    NONE = "none", _("No words to read")
    FAILED = "failed", _("Words could not be read")


class SourceFileQuerySet(TeamScopedQuerySet):
    def for_list(self) -> SourceFileQuerySet:
        """What a list of files shows, without the words read from them."""
        return (
            self.defer("text", "search_vector")
            .select_related("added_by")
            .order_by("added_at", "pk")
        )


class SourceFile(ChoiceLabels, models.Model):
    """A document kept with a source: see the module's docstring."""

    team_lookups = ("source__team",)

    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="files", verbose_name=_("source")
    )
    key = models.CharField(max_length=300, unique=True, editable=False, verbose_name=_("key"))
    name = models.CharField(max_length=255, verbose_name=_("name"))
    content_type = models.CharField(max_length=100, verbose_name=_("type"))
    size = models.PositiveBigIntegerField(verbose_name=_("size"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))
    retrieved_on = models.DateField(
        verbose_name=_("retrieved on"),
        help_text=_("The day this copy was taken from where it was published."),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(default=timezone.now, verbose_name=_("added at"))
    extraction = models.CharField(
        max_length=10,
        choices=Extraction.choices,
        default=Extraction.PENDING,
        verbose_name=_("words"),
    )
    extraction_note = models.CharField(max_length=300, blank=True, verbose_name=_("why not"))
    text = models.TextField(blank=True, editable=False, verbose_name=_("words read"))

    # Its searched words (name and text), kept by a PostgreSQL trigger (_rules.py), GIN-indexed.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = SourceFileQuerySet.as_manager()
    # Who kept which file, and when its words were read; never the words themselves.
    history = track_history(copies=("text", "search_vector"))

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = _("kept file")
        verbose_name_plural = _("kept files")
        indexes = [models.Index(fields=["source", "added_at", "id"], name="sourcefile_source")]
        constraints = [
            choice_check("sourcefile_extraction_valid", "extraction", Extraction),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="sourcefile_not_empty"),
            models.CheckConstraint(
                condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"), name="sourcefile_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]

    @property
    def type_label(self) -> str:
        from ..documents import label

        return label(self.content_type)
