"""Append-only: progress updates, review events and assessments."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .. import actions
from .. import models as m
from .base import AppendOnlyAdmin, ReadOnlyInline, SourcesOfTheTeamForm, TeamFilter

# --- Append-only: progress updates and assessments ---------------------------------------------


class ReviewEventInline(ReadOnlyInline):
    model = m.ReviewEvent
    fields = ["action", "by", "comment", "at"]
    readonly_fields = fields
    select_related = ("by",)


class WrittenByAnAction:
    """Added through the action the pages use, by the admin signed in: nobody writes here in
    someone else's name, and the record leaves the same trace as from the pages."""

    def write(self, request, obj, form):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        # The admin goes on with ``obj`` (its log entry, its redirect): it becomes the record
        # the action wrote.
        vars(obj).update(vars(self.write(request, obj, form)))

    def save_related(self, request, form, formsets, change):
        # The action saved the sources with the record: not the form again (its m2m save).
        for formset in formsets:
            self.save_formset(request, form, formset, change)


@admin.register(m.ProgressUpdate)
class ProgressUpdateAdmin(WrittenByAnAction, AppendOnlyAdmin):
    """Added as a draft by the admin signed in; its author submits it from the page."""

    form = SourcesOfTheTeamForm
    list_display = ["commitment", "author", "created_at", "proposed_status", "review_state"]
    list_filter = [
        TeamFilter,
        "proposed_status",
        "proposed_stalled",
        ("created_at", admin.DateFieldListFilter),
    ]
    inlines = [ReviewEventInline]
    words_of = "commitment"
    search_fields = ["commitment__title", "narrative", "author__username"]
    ordering = ["-created_at", "-pk"]
    autocomplete_fields = ["commitment", "revises", "sources"]
    list_select_related = ["commitment", "author"]
    readonly_fields = ["author", "created_at"]

    def write(self, request, obj, form):
        return actions.submit_update(
            commitment=obj.commitment,
            author=request.user,
            narrative=obj.narrative,
            proposed_status=obj.proposed_status,
            proposed_stalled=obj.proposed_stalled,
            sources=form.cleaned_data["sources"],
            revises=obj.revises,
            draft=True,
        )


@admin.register(m.ReviewEvent)
class ReviewEventAdmin(AppendOnlyAdmin):
    list_display = ["update", "action", "by", "at"]
    list_filter = [TeamFilter, "action", ("at", admin.DateFieldListFilter)]
    words_of = "update__commitment"
    search_fields = ["comment", "by__username", "update__commitment__title"]
    ordering = ["-at", "-pk"]
    autocomplete_fields = ["update", "by"]
    list_select_related = ["update__commitment", "update__author", "by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reviews happen through the review queue, which checks the workflow


@admin.register(m.Assessment)
class AssessmentAdmin(WrittenByAnAction, AppendOnlyAdmin):
    """Assessed by the admin signed in."""

    form = SourcesOfTheTeamForm
    list_display = ["commitment", "party", "score", "as_of", "stage", "assessed_by"]
    list_filter = [TeamFilter, "score", "stage", "party", ("as_of", admin.DateFieldListFilter)]
    words_of = "commitment"
    search_fields = ["commitment__title", "party__name", "justification"]
    ordering = ["-as_of", "-pk"]
    autocomplete_fields = ["commitment", "party", "sources"]
    list_select_related = ["commitment", "party", "assessed_by"]
    readonly_fields = ["assessed_by", "created_at"]

    def write(self, request, obj, form):
        return actions.record_assessment(
            assessment=obj, sources=form.cleaned_data["sources"], by=request.user
        )
