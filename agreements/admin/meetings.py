"""Meetings, their participants, and commitments with their status trail."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import actions, system_texts
from .. import models as m
from .base import (
    TIMESTAMPS,
    AppendOnlyAdmin,
    ArchivableAdmin,
    Inline,
    ReadOnlyInline,
    RecordsAdmin,
    TeamFilter,
    VersionCheckedForm,
    VersionedSourcedForm,
    meeting_team,
)

# --- Meetings ---------------------------------------------------------------------------------


class ParticipantInline(Inline):
    model = m.Participant
    select_related = ("person",)
    extra = 0
    autocomplete_fields = ["person", "party"]


class CommitmentInline(Inline):
    model = m.Commitment
    form = VersionCheckedForm
    fields = ["position", "title", "theme", "status", "target_date", "opened_version"]
    readonly_fields = ["status"]  # status changes go through the commitment's own form
    extra = 0
    show_change_link = True


class MilestoneInline(Inline):
    model = m.Milestone
    form = VersionCheckedForm
    fields = ["title", "due_date", "status", "completed_on", "owner", "opened_version"]
    # Ticking a milestone goes through its action: on the milestone's own page.
    readonly_fields = ["status", "completed_on"]
    show_change_link = True
    extra = 0


class MeetingMilestoneInline(MilestoneInline):
    """The meeting's own milestones (not its commitments' or bodies')."""

    fk_name = "meeting"


@admin.register(m.Meeting)
class MeetingAdmin(ArchivableAdmin):
    form = VersionedSourcedForm
    list_display = ["title", "start_date", "city", "outcome_type", "team"]
    list_filter = ["team", "outcome_type", "parties", ("start_date", admin.DateFieldListFilter)]
    words_of = ""
    search_fields = ["title", "city", "venue", "summary"]
    ordering = ["-start_date", "-pk"]
    autocomplete_fields = ["team", "parties", "sources"]
    list_select_related = ["team"]
    readonly_fields = TIMESTAMPS
    save_on_top = True
    inlines = [ParticipantInline, CommitmentInline, MeetingMilestoneInline]
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
        (_("Who"), {"fields": ["parties"]}),
        (_("Outcome"), {"fields": ["outcome_type", "outcome_note", "summary", "context_notes"]}),
        (_("Evidence"), {"fields": ["sources", *TIMESTAMPS]}),
    ]


@admin.register(m.MeetingLink)
class MeetingLinkAdmin(RecordsAdmin):
    """Meetings related to each other, listed here; made and removed on the meeting pages
    (``actions.link_meetings``: one team, never onto an archived meeting)."""

    list_display = ["meeting", "relation", "other", "note"]
    list_filter = [TeamFilter, "relation"]
    search_fields = ["meeting__title", "other__title", "note"]
    ordering = ["-pk"]
    autocomplete_fields = ["meeting", "other"]
    list_select_related = ["meeting", "other"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(m.Participant)
class ParticipantAdmin(RecordsAdmin):
    list_display = ["person", "office", "role", "party", "meeting"]
    list_filter = [TeamFilter, "role", "party"]
    words_of = "meeting"
    search_fields = ["person__name", "office", "meeting__title"]
    ordering = ["-meeting__start_date", "meeting", "pk"]
    autocomplete_fields = ["meeting", "person", "party"]
    list_select_related = ["person", "party", "meeting"]


# --- Commitments ------------------------------------------------------------------------------


class CommitmentPartyInline(Inline):
    model = m.CommitmentParty
    select_related = ("party",)
    extra = 0
    autocomplete_fields = ["party"]


class StatusChangeInline(ReadOnlyInline):
    """The commitment's status history, newest first, beside the form that adds to it."""

    model = m.StatusChange
    fk_name = "commitment"
    verbose_name_plural = _("status history")
    fields = [
        "effective_on",
        "changed_at",
        "from_status",
        "to_status",
        "to_stalled",
        "to_cancellation",
        "reason_shown",
        "changed_by",
        "changed_via",
    ]
    readonly_fields = fields
    select_related = ("commitment", "changed_by")

    @admin.display(description=_("reason"))
    def reason_shown(self, change: m.StatusChange) -> str:
        return system_texts.shown(change.reason)


class CommitmentForm(VersionedSourcedForm):
    """Status changes leave a trace: who, when, from, to, and the reason typed here."""

    status_reason = forms.CharField(
        label=_("Reason for the status change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the status, the stalled flag or the cancellation changes."),
    )
    status_effective_on = forms.DateField(
        label=_("Status effective on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The day the status changed, if not today."),
    )

    STATUS_FIELDS = ("status", "is_stalled", "cancellation")

    class Meta:
        model = m.Commitment
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "theme" in self.fields:  # archived themes only where they already are
            self.fields["theme"].queryset = m.Theme.objects.offered(keep=self.instance.theme_id)

    def status_changed(self) -> bool:
        """Whether status or a flag differs from the stored values (a new commitment's are the
        model's defaults: it is created with them, then changed through the action)."""
        if self.instance.pk is None:
            defaults = m.Commitment()
            return any(
                f in self.cleaned_data and self.cleaned_data[f] != getattr(defaults, f)
                for f in self.STATUS_FIELDS
            )
        return any(f in self.changed_data for f in self.STATUS_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if self.status_changed() and not cleaned.get("status_reason", "").strip():
            self.add_error(
                "status_reason", gettext("Say why the status changes: it is kept in the history.")
            )
        day, meeting = cleaned.get("status_effective_on"), cleaned.get("meeting")
        if day and meeting and self.status_changed():
            try:  # the action's own check, next to the field
                m.refuse_dated_outside(
                    day,
                    meeting.start_date,
                    field="status_effective_on",
                    future=gettext("A status change cannot take effect in the future."),
                    before=gettext(
                        "A status change cannot take effect before its meeting (%(date)s)."
                    ),
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(m.Commitment)
class CommitmentAdmin(ArchivableAdmin):
    form = CommitmentForm
    list_display = [
        "title",
        "meeting",
        meeting_team,
        "theme",
        "status",
        "is_stalled",
        "cancellation",
        "target_date",
        "updated_at",
    ]
    list_filter = [
        "status",
        "theme",
        "is_stalled",
        "cancellation",
        "meeting__team",
        ("target_date", admin.DateFieldListFilter),
    ]
    words_of = ""
    search_fields = ["title", "text", "lead_agency", "meeting__title"]
    # Its queryset and filters read nothing but the address: SQL compiled once (``AtScale``).
    sql_of_address = True
    # The site's list order (the latest meetings first), on the commitment's own columns and
    # their index (``commitment_order``): the meeting's own order would sort every row.
    ordering = ["-meeting_date", "meeting_id", "position", "pk"]
    autocomplete_fields = ["meeting", "superseded_by", "sources"]
    list_select_related = ["meeting__team", "theme"]
    # What the columns show (the records named as their ``__str__`` writes them), not the
    # long texts, stored words and dates no column shows: a page of 50 rows read in 0.5 ms
    # less of Python's time and 0.4 ms less of PostgreSQL's.
    list_only = (
        *("title", "meeting", "theme", "status", "is_stalled", "cancellation"),
        *("target_date", "updated_at"),
        *("meeting__title", "meeting__planned", "meeting__start_date", "meeting__team"),
        *("meeting__team__name", "theme__name", "theme__archived"),
    )
    readonly_fields = TIMESTAMPS
    save_on_top = True
    inlines = [CommitmentPartyInline, MilestoneInline, StatusChangeInline]
    fieldsets = [
        (None, {"fields": ["meeting", "position", "title", "text", "theme", "opened_version"]}),
        (
            _("Implementation"),
            {"fields": ["lead_agency", "jurisdiction_note", "target_date", "indicator"]},
        ),
        (
            _("Status"),
            {
                "fields": [
                    ("status", "is_stalled"),
                    ("cancellation", "superseded_by"),
                    ("status_reason", "status_effective_on"),
                ]
            },
        ),
        (_("Evidence"), {"fields": ["sources", *TIMESTAMPS]}),
    ]

    def save_model(self, request, obj, form, change):
        """Save everything but the status, then change the status through the action that
        records the history entry (it reads the stored values as "from")."""
        wanted = {f: form.cleaned_data.get(f) for f in CommitmentForm.STATUS_FIELDS}
        wanted_superseded_by = obj.superseded_by
        stored = m.Commitment.objects.get(pk=obj.pk) if change else m.Commitment()
        for f in CommitmentForm.STATUS_FIELDS:
            setattr(obj, f, getattr(stored, f))
        # The database allows superseded_by only on a superseded commitment (a constraint):
        # until the action has made it one, it keeps the stored link, which is then empty.
        if stored.cancellation != m.Cancellation.SUPERSEDED:
            obj.superseded_by = None
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
                effective_on=form.cleaned_data.get("status_effective_on"),
            )
        if obj.superseded_by != wanted_superseded_by:
            obj.superseded_by = wanted_superseded_by
            obj.save_versioned(expected=obj.version, update_fields=["superseded_by"])


@admin.register(m.CommitmentParty)
class CommitmentPartyAdmin(RecordsAdmin):
    list_display = ["commitment", "party", "role"]
    list_filter = [TeamFilter, "role", "party"]
    words_of = "commitment"
    search_fields = ["commitment__title", "party__name"]
    ordering = ["commitment", "party__name"]
    autocomplete_fields = ["commitment", "party"]
    list_select_related = ["commitment", "party"]


class ViaFilter(admin.SimpleListFilter):
    """Where a status change came from, from the known sources (``StatusChange.changed_via``),
    rather than Django's list of the distinct values, which reads every row of the table."""

    title = _("changed via")
    parameter_name = "via"

    def lookups(self, request, model_admin):
        return [
            ("review", _("review")),
            ("admin", _("admin")),
            ("import", _("import")),
            ("command", _("command")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "command":
            return queryset.filter(changed_via__startswith="command:")
        if self.value() in {"review", "admin", "import"}:
            return queryset.filter(changed_via=self.value())
        return queryset


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
    list_filter = [
        TeamFilter,
        "to_status",
        "to_stalled",
        "to_cancellation",
        ViaFilter,
        ("changed_at", admin.DateFieldListFilter),
    ]
    words_of = "commitment"
    search_fields = ["commitment__title", "reason", "changed_by__username"]
    ordering = ["-changed_at", "-pk"]
    autocomplete_fields = ["commitment", "changed_by", "update"]
    list_select_related = ["commitment", "changed_by"]

    readonly_fields = ["reason_shown"]

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        """The stored reason read in the reader's language (``system_texts``), in its place."""
        fields = [f for f in super().get_fields(request, obj) if f != "reason_shown"]
        return ["reason_shown" if f == "reason" else f for f in fields]

    @admin.display(description=_("reason"))
    def reason_shown(self, change: m.StatusChange) -> str:
        return system_texts.shown(change.reason)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # written only with the status change it records
