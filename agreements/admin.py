"""The records admin: every model, searchable, filterable, with inlines where records nest.

Changelists select their foreign keys with the rows (``list_select_related``) so the number of
queries does not grow with the rows shown. Every tracked record has a History button
(django-simple-history): who changed what, when, and from where. Append-only records (status
history, progress updates, review events, assessments) can be read but never changed or
deleted here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import F
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from . import actions
from . import models as m

admin.site.site_header = "Agreement tracker: records admin"
admin.site.site_title = "Agreement tracker admin"
admin.site.index_title = "Records"


# --- Shared pieces ----------------------------------------------------------------------------


def team_of(obj, cleaned: dict | None = None) -> m.Team | None:
    """The team a record belongs to, following the first of its ``team_lookups`` that is set.

    ``cleaned`` (a form's cleaned data) takes precedence over the instance for the first step,
    since a form's values reach the instance only after ``clean()``.
    """
    cleaned = cleaned or {}
    for lookup in obj.team_lookups:
        first, *rest = lookup.split("__")
        value = cleaned.get(first) or getattr(obj, first, None)
        for part in rest:
            value = getattr(value, part, None) if value is not None else None
        if value is not None:
            return value
    return None


class VersionCheckedForm(forms.ModelForm):
    """Admin forms of versioned records refuse to save over a change made since they opened."""

    # Not named "version": the admin would take that for the (non-editable) model field.
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            stored = (
                type(self.instance)
                .objects.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
            )
            if cleaned.get("opened_version") != stored.first():
                raise forms.ValidationError(
                    "Someone else changed this record since you opened it. Nothing was saved: "
                    "open it again to see their change, then make yours."
                )
        return cleaned


class VersionCheckedAdmin(SimpleHistoryAdmin):
    """Saves versioned records only over the version the form was opened at."""

    form = VersionCheckedForm

    def save_model(self, request, obj, form, change):
        if change and isinstance(obj, m.Versioned):
            obj.save_versioned(expected=form.cleaned_data["opened_version"])
        else:
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        """Inline rows were checked against their versions in clean(); bump those changed."""
        super().save_formset(request, form, formset, change)
        for obj, _fields in getattr(formset, "changed_objects", []):
            if isinstance(obj, m.Versioned):
                type(obj).objects.filter(pk=obj.pk).update(version=F("version") + 1)


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("no", "Current"), ("yes", "Archived")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


class ArchivableAdmin(VersionCheckedAdmin):
    """Archived, never deleted: the admin archives and restores, and cannot delete."""

    actions = ["archive_selected", "restore_selected"]

    def get_list_filter(self, request):
        return [ArchivedFilter, *super().get_list_filter(request)]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Archive the selected records")
    def archive_selected(self, request, queryset):
        done = 0
        for record in queryset.filter(archived_at__isnull=True):
            record.archive(by=request.user, reason=f"Archived in the admin by {request.user}")
            done += 1
        self.message_user(request, f"{done} archived.")

    @admin.action(description="Restore the selected records")
    def restore_selected(self, request, queryset):
        done = 0
        for record in queryset.filter(archived_at__isnull=False):
            record.restore(by=request.user, reason=f"Restored in the admin by {request.user}")
            done += 1
        self.message_user(request, f"{done} restored.")


class SourcedForm(VersionCheckedForm):
    """Cited sources must belong to the record's own team: a team's sources are its own."""

    def clean(self):
        cleaned = super().clean()
        sources = cleaned.get("sources")
        team = team_of(self.instance, cleaned) if sources else None
        foreign = [s for s in sources or () if team is not None and s.team_id != team.pk]
        if foreign:
            self.add_error(
                "sources",
                f"Cite only sources of this record's team ({team}); not: "
                + ", ".join(str(s) for s in foreign),
            )
        return cleaned


class AppendOnlyAdmin(admin.ModelAdmin):
    """Append-only records: added, then viewable but never changed or deleted."""

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


TIMESTAMPS = ("created_at", "updated_at")


# --- Teams and reference data -----------------------------------------------------------------


class TeamMembershipInline(admin.TabularInline):
    model = m.TeamMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(m.Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TeamMembershipInline]


@admin.register(m.TeamMembership)
class TeamMembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "team", "role"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "team__name"]
    autocomplete_fields = ["user", "team"]
    list_select_related = ["user", "team"]


@admin.register(m.Party)
class PartyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


@admin.register(m.Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "current_office", "party"]
    list_filter = ["party"]
    search_fields = ["name", "current_office"]
    autocomplete_fields = ["party"]
    list_select_related = ["party"]


@admin.register(m.Source)
class SourceAdmin(VersionCheckedAdmin):
    list_display = ["title", "publisher", "published_on", "accessed_on", "reliability", "team"]
    list_filter = ["team", "reliability", "publisher"]
    search_fields = ["title", "publisher", "url"]
    date_hierarchy = "published_on"
    autocomplete_fields = ["team"]
    list_select_related = ["team"]


# --- Meetings ---------------------------------------------------------------------------------


class ParticipantInline(admin.TabularInline):
    model = m.Participant
    extra = 0
    autocomplete_fields = ["person", "party"]


class CommitmentInline(admin.TabularInline):
    model = m.Commitment
    form = VersionCheckedForm
    fields = ["position", "title", "theme", "status", "target_date"]
    readonly_fields = ["status"]  # status changes go through the commitment's own form
    extra = 0
    show_change_link = True


@admin.register(m.Meeting)
class MeetingAdmin(ArchivableAdmin):
    form = SourcedForm
    list_display = ["title", "start_date", "city", "outcome_type", "team"]
    list_filter = ["team", "outcome_type", "parties"]
    search_fields = ["title", "city", "venue", "summary"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["team", "parties", "sources"]
    list_select_related = ["team"]
    readonly_fields = TIMESTAMPS
    save_on_top = True
    inlines = [ParticipantInline, CommitmentInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "team",
                    "title",
                    ("start_date", "end_date"),
                    ("city", "venue"),
                    "opened_version",
                ]
            },
        ),
        ("Who", {"fields": ["parties"]}),
        ("Outcome", {"fields": ["outcome_type", "outcome_note", "summary", "context_notes"]}),
        ("Evidence", {"fields": ["sources", *TIMESTAMPS]}),
    ]


@admin.register(m.Participant)
class ParticipantAdmin(SimpleHistoryAdmin):
    list_display = ["person", "office", "role", "party", "meeting"]
    list_filter = ["role", "party"]
    search_fields = ["person__name", "office", "meeting__title"]
    autocomplete_fields = ["meeting", "person", "party"]
    list_select_related = ["person", "party", "meeting"]


# --- Commitments ------------------------------------------------------------------------------


class CommitmentPartyInline(admin.TabularInline):
    model = m.CommitmentParty
    extra = 0
    autocomplete_fields = ["party"]


class MilestoneInline(admin.TabularInline):
    model = m.Milestone
    form = VersionCheckedForm
    fields = ["title", "due_date", "status", "completed_on", "owner"]
    extra = 0


class CommitmentForm(SourcedForm):
    """Status changes leave a trace: who, when, from, to, and the reason typed here."""

    status_reason = forms.CharField(
        label="Reason for the status change",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the status, the stalled flag or the cancellation changes.",
    )

    STATUS_FIELDS = ("status", "is_stalled", "cancellation")

    class Meta:
        model = m.Commitment
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown

    def status_changed(self) -> bool:
        if self.instance.pk is None:
            defaults = {"status": m.ImplementationStatus.NOT_STARTED, "is_stalled": False}
            return any(
                self.cleaned_data.get(f) not in (defaults.get(f, ""), None)
                for f in self.STATUS_FIELDS
            )
        return any(f in self.changed_data for f in self.STATUS_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if self.status_changed() and not cleaned.get("status_reason", "").strip():
            self.add_error(
                "status_reason", "Say why the status changes: it is kept in the history."
            )
        return cleaned


@admin.register(m.Commitment)
class CommitmentAdmin(ArchivableAdmin):
    form = CommitmentForm
    list_display = [
        "title",
        "meeting",
        "theme",
        "status",
        "is_stalled",
        "cancellation",
        "target_date",
        "updated_at",
    ]
    list_filter = ["status", "theme", "is_stalled", "cancellation", "meeting__team"]
    search_fields = ["title", "text", "lead_agency", "meeting__title"]
    date_hierarchy = "target_date"
    autocomplete_fields = ["meeting", "superseded_by", "sources"]
    list_select_related = ["meeting"]
    readonly_fields = TIMESTAMPS
    save_on_top = True
    inlines = [CommitmentPartyInline, MilestoneInline]
    fieldsets = [
        (None, {"fields": ["meeting", "position", "title", "text", "theme", "opened_version"]}),
        (
            "Implementation",
            {"fields": ["lead_agency", "jurisdiction_note", "target_date", "indicator"]},
        ),
        (
            "Status",
            {
                "fields": [
                    ("status", "is_stalled"),
                    ("cancellation", "superseded_by"),
                    "status_reason",
                ]
            },
        ),
        ("Evidence", {"fields": ["sources", *TIMESTAMPS]}),
    ]

    def save_model(self, request, obj, form, change):
        """Save everything but the status, then change the status through the action that
        records the history entry (it reads the stored values as "from")."""
        wanted = {f: form.cleaned_data.get(f) for f in CommitmentForm.STATUS_FIELDS}
        if change:
            stored = m.Commitment.objects.get(pk=obj.pk)
            for f in CommitmentForm.STATUS_FIELDS:
                setattr(obj, f, getattr(stored, f))
        else:
            obj.status, obj.is_stalled, obj.cancellation = 0, False, ""
        super().save_model(request, obj, form, change)
        if form.status_changed():
            actions.change_commitment_status(
                commitment=obj,
                status=wanted["status"],
                is_stalled=wanted["is_stalled"],
                cancellation=wanted["cancellation"] or "",
                reason=form.cleaned_data["status_reason"],
                by=request.user,
                via="admin",
            )


@admin.register(m.CommitmentParty)
class CommitmentPartyAdmin(SimpleHistoryAdmin):
    list_display = ["commitment", "party", "role"]
    list_filter = ["role", "party"]
    search_fields = ["commitment__title", "party__name"]
    autocomplete_fields = ["commitment", "party"]
    list_select_related = ["commitment", "party"]


@admin.register(m.StatusChange)
class StatusChangeAdmin(AppendOnlyAdmin):
    list_display = [
        "commitment",
        "from_status",
        "to_status",
        "to_stalled",
        "to_cancellation",
        "changed_by",
        "changed_via",
        "changed_at",
    ]
    list_filter = ["to_status", "changed_via"]
    search_fields = ["commitment__title", "reason", "changed_by__username"]
    date_hierarchy = "changed_at"
    list_select_related = ["commitment", "changed_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # written only with the status change it records


# --- Bodies and milestones --------------------------------------------------------------------


class MembershipInline(admin.TabularInline):
    model = m.BodyMembership
    form = VersionCheckedForm
    fields = ["person", "party", "role", "start_date", "end_date", "confirmation"]
    extra = 0
    autocomplete_fields = ["person", "party"]


class BodyMilestoneInline(MilestoneInline):
    fk_name = "body"


@admin.register(m.ImplementationBody)
class ImplementationBodyAdmin(ArchivableAdmin):
    form = SourcedForm
    list_display = ["name", "meeting", "lifecycle", "cadence"]
    list_filter = ["lifecycle", "meeting__team"]
    search_fields = ["name", "mandate", "meeting__title"]
    autocomplete_fields = ["meeting", "commitments", "sources"]
    list_select_related = ["meeting"]
    readonly_fields = TIMESTAMPS
    inlines = [MembershipInline, BodyMilestoneInline]


@admin.register(m.BodyMembership)
class BodyMembershipAdmin(VersionCheckedAdmin):
    form = SourcedForm
    list_display = ["__str__", "role", "confirmation", "start_date", "end_date"]
    list_filter = ["confirmation"]
    search_fields = ["person__name", "party__name", "body__name", "role"]
    autocomplete_fields = ["body", "person", "party", "sources"]
    list_select_related = ["body", "person", "party"]


@admin.register(m.Milestone)
class MilestoneAdmin(VersionCheckedAdmin):
    list_display = ["title", "due_date", "status", "completed_on", "commitment", "body", "owner"]
    list_filter = ["status"]
    search_fields = ["title", "owner", "commitment__title", "body__name"]
    date_hierarchy = "due_date"
    autocomplete_fields = ["commitment", "body"]
    list_select_related = ["commitment", "body"]
    readonly_fields = TIMESTAMPS


# --- Append-only: progress updates and assessments ---------------------------------------------


class ReviewEventInline(admin.TabularInline):
    model = m.ReviewEvent
    fields = ["action", "by", "comment", "at"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # reviews happen through the review queue, which checks the workflow

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(m.ProgressUpdate)
class ProgressUpdateAdmin(AppendOnlyAdmin):
    list_display = ["commitment", "author", "created_at", "proposed_status", "review_state"]
    list_filter = ["proposed_status"]
    inlines = [ReviewEventInline]
    search_fields = ["commitment__title", "narrative", "author__username"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["commitment", "author", "revises", "sources"]
    list_select_related = ["commitment", "author"]


@admin.register(m.ReviewEvent)
class ReviewEventAdmin(AppendOnlyAdmin):
    list_display = ["update", "action", "by", "at"]
    list_filter = ["action"]
    search_fields = ["comment", "by__username", "update__commitment__title"]
    date_hierarchy = "at"
    list_select_related = ["update__commitment", "update__author", "by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reviews happen through the review queue, which checks the workflow


@admin.register(m.Assessment)
class AssessmentAdmin(AppendOnlyAdmin):
    list_display = ["commitment", "party", "score", "as_of", "stage", "assessed_by"]
    list_filter = ["score", "stage", "party"]
    search_fields = ["commitment__title", "justification"]
    date_hierarchy = "as_of"
    autocomplete_fields = ["commitment", "party", "assessed_by", "sources"]
    list_select_related = ["commitment", "party", "assessed_by"]


# --- What was said, claimed and happened ------------------------------------------------------


@admin.register(m.Statement)
class StatementAdmin(VersionCheckedAdmin):
    form = SourcedForm
    list_display = ["__str__", "speaker_office", "party", "kind", "language", "said_on"]
    list_filter = ["kind", "language", "party"]
    search_fields = ["text", "speaker__name", "speaker_office"]
    date_hierarchy = "said_on"
    autocomplete_fields = ["meeting", "speaker", "party", "sources"]
    list_select_related = ["speaker", "party"]
    readonly_fields = TIMESTAMPS


class ClaimForm(SourcedForm):
    def clean(self):
        cleaned = super().clean()
        verification = cleaned.get("verification")
        if verification:
            error = m.Claim.sources_error(verification, cleaned.get("sources") or [])
            if error:
                self.add_error("sources", error)
        return cleaned


@admin.register(m.Claim)
class ClaimAdmin(ArchivableAdmin):
    form = ClaimForm
    list_display = ["__str__", "verification", "meeting", "commitment", "body"]
    list_filter = ["verification"]
    search_fields = ["text", "note"]
    autocomplete_fields = ["meeting", "commitment", "body", "sources"]
    list_select_related = ["meeting", "commitment", "body"]
    readonly_fields = TIMESTAMPS


@admin.register(m.ContextEvent)
class ContextEventAdmin(VersionCheckedAdmin):
    form = SourcedForm
    list_display = ["title", "occurred_on", "timing_note", "relation", "actor", "meeting"]
    list_filter = ["relation", "actor"]
    search_fields = ["title", "description", "location"]
    date_hierarchy = "occurred_on"
    autocomplete_fields = ["meeting", "actor", "sources"]
    list_select_related = ["actor", "meeting"]
    readonly_fields = TIMESTAMPS
