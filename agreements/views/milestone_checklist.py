"""The milestone checklist a record's page shows for its own milestones (a commitment's, a
meeting's, a body's): each ticked done or opened again, or given a new date with its reason,
in place. ``checklist_actions(kind, section)`` gives a page its two actions; the page draws
``templates/agreements/includes/milestone_checklist.html``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Model, Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .. import actions, permissions
from ..forms import RescheduleForm
from ..models import Milestone, MilestoneReschedule, MilestoneStatus
from .common import Outcome, PageAction, posted_day, version_of


def checklist(milestones: QuerySet[Milestone], *, editable: bool, outcome: Outcome) -> list:
    """``milestones`` soonest first with their moves; for an editor each open one carries its
    reschedule form (the refused one bound, with what was typed)."""
    rows = list(
        milestones.prefetch_related(
            Prefetch("reschedules", queryset=MilestoneReschedule.objects.select_related("by"))
        ).order_by("due_date", "pk")
    )
    if editable:
        refused = outcome.forms.get("reschedule_form")
        for milestone in rows:
            if milestone.is_reschedulable:
                milestone.reschedule_form = (
                    refused
                    if refused is not None and refused.milestone.pk == milestone.pk
                    else RescheduleForm(milestone=milestone)
                )
    return rows


def checklist_actions(kind: str, section: str) -> dict[str, PageAction]:
    """The page actions ticking and moving the milestones of the page's record, a ``kind``
    ("commitment", "meeting", "body"): another record's milestone is not found (404)."""

    def milestone_of(request: HttpRequest, record: Model) -> Milestone:
        return permissions.get_milestone_for_user(
            request.user, request.POST.get("milestone"), edit=True, **{kind: record}
        )

    def toggle(request: HttpRequest, record: Model) -> Outcome:
        milestone = milestone_of(request, record)
        actions.toggle_milestone(
            milestone=milestone,
            expected=version_of(request),
            by=request.user,
            on=posted_day(request, "completed_on"),
        )
        if milestone.status == MilestoneStatus.DONE:
            return Outcome(notice=_("“%(title)s” done.") % {"title": milestone.title})
        return Outcome(notice=_("“%(title)s” is open again.") % {"title": milestone.title})

    def reschedule(request: HttpRequest, record: Model) -> Outcome:
        milestone = milestone_of(request, record)
        form = RescheduleForm(request.POST, milestone=milestone)
        if not form.is_valid():
            return Outcome(forms={"reschedule_form": form})
        try:
            moved = actions.reschedule_milestone(
                milestone=milestone,
                expected=version_of(request),
                to_date=form.cleaned_data["to_date"],
                reason=form.cleaned_data["reason"],
                name=form.cleaned_data["name"],
                by=request.user,
                moved_on=form.cleaned_data["moved_on"],
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                raise  # refused as a whole (archived, done): run_action says why
            form.add_error(None, error)
            return Outcome(forms={"reschedule_form": form})
        return Outcome(
            notice=_("“%(title)s” moved to %(date)s.")
            % {"title": milestone.title, "date": date_format(moved.to_date)}
        )

    return {
        "toggle_milestone": PageAction(toggle, section),
        "reschedule_milestone": PageAction(reschedule, section),
    }
