"""Statements, claims and context events."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext

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


@admin.register(m.Statement)
class StatementAdmin(VersionCheckedAdmin):
    form = StatementForm
    list_display = ["__str__", "speaker_office", "party", "kind", "language", "said_on"]
    list_filter = [TeamFilter, "kind", "language", "party"]
    search_fields = ["text", "speaker__name", "speaker_office", "meeting__title"]
    ordering = ["-said_on", "pk"]
    date_hierarchy = "said_on"
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
    search_fields = ["text", "note"]
    ordering = ["-updated_at", "-pk"]
    autocomplete_fields = ["meeting", "commitment", "body", "sources"]
    list_select_related = ["meeting", "commitment", "body"]
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
    list_filter = [TeamFilter, "relation", "actor"]
    search_fields = ["title", "description", "location", "meeting__title"]
    ordering = ["-occurred_on", "pk"]
    date_hierarchy = "occurred_on"
    autocomplete_fields = ["meeting", "actor", "sources"]
    list_select_related = ["actor", "meeting"]
    readonly_fields = TIMESTAMPS
