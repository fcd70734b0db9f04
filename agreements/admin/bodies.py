"""Implementation bodies, their members, and milestones."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .. import actions
from .. import models as m
from .base import (
    TIMESTAMPS,
    AppendOnlyAdmin,
    ArchivableAdmin,
    Inline,
    ReadOnlyInline,
    TeamFilter,
    ThroughActionsAdmin,
    VersionCheckedForm,
    VersionedSourcedForm,
    meeting_team,
)
from .meetings import MilestoneInline

# --- Bodies and milestones --------------------------------------------------------------------


class MembershipInline(Inline):
    model = m.BodyMembership
    select_related = ("person", "party", "body")
    form = VersionCheckedForm
    fields = ["person", "party", "role", "start_date", "end_date", "confirmation", "opened_version"]
    # Confirming and ending a membership go through their actions: on the member's own page.
    readonly_fields = ["end_date", "confirmation"]
    show_change_link = True
    extra = 0
    autocomplete_fields = ["person", "party"]


class BodyMilestoneInline(MilestoneInline):
    fk_name = "body"


@admin.register(m.ImplementationBody)
class ImplementationBodyAdmin(ArchivableAdmin):
    form = VersionedSourcedForm
    list_display = ["name", "meeting", meeting_team, "lifecycle", "cadence"]
    list_filter = ["lifecycle", "meeting__team"]
    words_of = "meeting"
    search_fields = ["name", "mandate", "meeting__title"]
    ordering = ["name", "pk"]
    autocomplete_fields = ["meeting", "commitments", "sources"]
    list_select_related = ["meeting__team"]
    readonly_fields = TIMESTAMPS
    inlines = [MembershipInline, BodyMilestoneInline]


@admin.register(m.BodyMembership)
class BodyMembershipAdmin(ThroughActionsAdmin):
    """Added, confirmed and ended through the actions the body's page uses."""

    form = VersionedSourcedForm
    action_fields = ("confirmation", "end_date")
    list_display = ["__str__", "role", "confirmation", "start_date", "end_date"]
    list_filter = [TeamFilter, "confirmation"]
    words_of = "body__meeting"
    search_fields = ["person__name", "party__name", "body__name", "role"]
    ordering = ["body", "pk"]
    autocomplete_fields = ["body", "person", "party", "sources"]
    list_select_related = ["body", "person", "party"]

    def create(self, request, obj) -> bool:
        actions.add_membership(membership=obj, by=request.user)
        return True

    def apply(self, request, record, changes):
        if "confirmation" in changes:
            actions.set_membership_confirmation(
                membership=record,
                confirmation=changes["confirmation"],
                expected=record.version,
                by=request.user,
            )
        if changes.get("end_date"):
            actions.end_membership(
                membership=record, expected=record.version, by=request.user, on=changes["end_date"]
            )


class RescheduleInline(ReadOnlyInline):
    model = m.MilestoneReschedule
    fields = ["from_date", "to_date", "name", "reason", "moved_on", "by", "at"]
    readonly_fields = fields
    select_related = ("by", "milestone")


@admin.register(m.MilestoneReschedule)
class MilestoneRescheduleAdmin(AppendOnlyAdmin):
    """Each move of a milestone's date, written by the pages' "new date" form."""

    list_display = ["milestone", "from_date", "to_date", "name", "reason", "by", "at"]
    list_filter = [TeamFilter]
    search_fields = ["milestone__title", "name", "reason"]
    ordering = ["-at", "-pk"]
    list_select_related = ["milestone", "by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # written only with the move it records


@admin.register(m.Milestone)
class MilestoneAdmin(ThroughActionsAdmin):
    """Ticked done (or opened again) through the action the checklist uses. A saved
    milestone's date moves only through the pages' "new date" form, which keeps why."""

    inlines = [RescheduleInline]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "due_date", "original_due_date"] if obj else fields

    action_fields = ("status", "completed_on")

    list_display = [
        "title",
        "due_date",
        "status",
        "completed_on",
        "meeting",
        "commitment",
        "body",
        "owner",
    ]
    list_filter = [TeamFilter, "status", ("due_date", admin.DateFieldListFilter)]
    words_of = "commitment"
    # What the columns show, its records named as their ``__str__`` writes them: not the
    # commitment's and meeting's long texts and stored words (``AtScale.list_only``).
    list_only = (
        *("title", "due_date", "status", "completed_on", "owner"),
        *("meeting__title", "meeting__planned", "meeting__start_date"),
        *("commitment__title", "body__name"),
    )
    search_fields = ["title", "owner", "meeting__title", "commitment__title", "body__name"]
    ordering = ["due_date", "pk"]
    autocomplete_fields = ["meeting", "commitment", "body"]
    list_select_related = ["meeting", "commitment", "body"]
    readonly_fields = TIMESTAMPS

    def create(self, request, obj) -> bool:
        actions.add_milestone(milestone=obj, by=request.user)
        return True

    def apply(self, request, record, changes):
        status = changes.get("status", record.status)
        ticking = {record.status, status} == {m.MilestoneStatus.PLANNED, m.MilestoneStatus.DONE}
        if ticking:
            actions.toggle_milestone(
                milestone=record,
                expected=record.version,
                by=request.user,
                on=changes.get("completed_on"),
            )
        else:  # missed or cancelled, or a corrected completion date: a versioned save
            for field, value in changes.items():
                setattr(record, field, value)
            record.save_versioned(expected=record.version, update_fields=list(changes))
