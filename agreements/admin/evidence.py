"""Statements, claims and context events."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import actions
from .. import models as m
from .base import (
    TIMESTAMPS,
    ArchivableAdmin,
    TeamFilter,
    ThroughActionsAdmin,
    VersionCheckedAdmin,
    VersionedSourcedForm,
)

# --- What was said, claimed and happened ------------------------------------------------------


class StatementForm(VersionedSourcedForm):
    def clean(self):
        cleaned = super().clean()
        meeting = cleaned.get("meeting")
        if meeting and any(c.meeting_id != meeting.pk for c in cleaned.get("commitments") or []):
            self.add_error(
                "commitments", gettext("Name only commitments of this statement's meeting.")
            )
        return cleaned


class LanguageFilter(admin.SimpleListFilter):
    """The site's languages (a tag and its regional forms: ``es`` takes ``es-MX``), rather than
    Django's list of the distinct values, which reads every row of the table."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        # Each language by its primary tag (en-gb: en), named in itself as the site does.
        return [(code.split("-")[0], name) for code, name in settings.LANGUAGES]

    def queryset(self, request, queryset):
        if self.value() in {code.split("-")[0] for code, _name in settings.LANGUAGES}:
            return queryset.filter(
                Q(language=self.value()) | Q(language__startswith=f"{self.value()}-")
            )
        return queryset


@admin.register(m.Statement)
class StatementAdmin(VersionCheckedAdmin):
    form = StatementForm
    list_display = ["__str__", "speaker_office", "party", "kind", "language", "said_on"]
    list_filter = [
        TeamFilter,
        "kind",
        LanguageFilter,
        "party",
        ("said_on", admin.DateFieldListFilter),
    ]
    words_of = ""
    search_fields = ["text", "speaker__name", "speaker_office", "meeting__title"]
    ordering = ["-said_on", "pk"]
    autocomplete_fields = [
        "meeting",
        "speaker",
        "party",
        "joint_parties",
        "commitments",
        "sources",
    ]
    list_select_related = ["speaker", "party"]
    readonly_fields = TIMESTAMPS


class ClaimForm(VersionedSourcedForm):
    def clean(self):
        cleaned = super().clean()
        verification = cleaned.get("verification")
        if verification:
            error = m.Claim.sources_error(verification, cleaned.get("sources") or [])
            if error:
                self.add_error("sources", error)
        return cleaned


@admin.register(m.Claim)
class ClaimAdmin(ThroughActionsAdmin, ArchivableAdmin):
    """A claim's verification state moves through ``actions.verify_claim`` and its sources
    rule, once the sources are saved."""

    form = ClaimForm
    list_display = ["__str__", "verification", "meeting", "commitment", "body", "updated_at"]
    list_filter = [TeamFilter, "verification"]
    words_of = ""
    search_fields = ["text", "note"]
    ordering = ["-updated_at", "-pk"]
    autocomplete_fields = ["meeting", "commitment", "body", "sources"]
    list_select_related = ["meeting", "commitment", "body"]
    # What the columns show (the claim's own words: its ``__str__``), its records named as
    # their ``__str__`` writes them: not their long texts and stored words.
    list_only = (
        *("text", "verification", "updated_at"),
        *("meeting__title", "meeting__planned", "meeting__start_date"),
        *("commitment__title", "body__name"),
    )
    readonly_fields = TIMESTAMPS

    action_fields = ("verification",)

    def apply(self, request, record, changes):
        actions.verify_claim(
            claim=record,
            verification=changes["verification"],
            expected=record.version,
            by=request.user,
        )


@admin.register(m.ContextEvent)
class ContextEventAdmin(ArchivableAdmin):
    form = VersionedSourcedForm
    list_display = ["title", "occurred_on", "timing_note", "relation", "actor", "meeting"]
    list_filter = [TeamFilter, "relation", "actor", ("occurred_on", admin.DateFieldListFilter)]
    words_of = "meeting"
    search_fields = ["title", "description", "location", "meeting__title"]
    ordering = ["-occurred_on", "pk"]
    autocomplete_fields = ["meeting", "actor", "sources"]
    list_select_related = ["actor", "meeting"]
    readonly_fields = TIMESTAMPS
