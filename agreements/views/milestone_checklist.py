"""The milestone checklist a record's page shows for its own milestones (a commitment's, a
meeting's, a body's): each ticked done or opened again, or given a new date with its reason,
in place. ``checklist_actions(kind, section)`` gives a page its two actions and
``opened_reschedule`` its new-date form opened in place; the page draws
``templates/agreements/includes/milestone_checklist.html``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Model, Prefetch, QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .. import actions, permissions
from ..forms import RescheduleForm
from ..ids import is_id
from ..models import Milestone, MilestoneReschedule, MilestoneStatus
from .common import Outcome, PageAction, posted_day, render_page, version_of, wants_fragment


def checklist(milestones: QuerySet[Milestone], *, editable: bool, forms: dict) -> list:
    """``milestones`` soonest first with their moves. An editor's new-date forms are drawn
    closed and empty, fetched when opened (``opened_reschedule``); the one in ``forms``
    (``"reschedule_form"``: refused, with what was typed, or opened without JavaScript) is
    drawn open on its milestone."""
    rows = with_moves(list(milestones.order_by("due_date", "pk")))
    return with_forms(rows, editable=editable, forms=forms)


def with_moves(rows: list[Milestone]) -> list[Milestone]:
    """``rows`` with their moves and who made them, as the checklist shows them: read for
    those that have moved (``original_due_date``, kept from the first move on), the others
    have none (``Milestone.shown_moves``)."""
    prefetch_related_objects(
        [milestone for milestone in rows if milestone.original_due_date],
        Prefetch("reschedules", queryset=MilestoneReschedule.objects.select_related("by")),
    )
    return rows


def with_forms(rows: list[Milestone], *, editable: bool, forms: dict) -> list[Milestone]:
    """``rows`` of a checklist, the one whose new-date form is open in ``forms`` given it."""
    shown = forms.get("reschedule_form") if editable else None
    for milestone in rows:
        is_shown = shown is not None and shown.milestone.pk == milestone.pk
        milestone.reschedule_form = shown if is_shown else None
    return rows


def opened_reschedule(
    request: HttpRequest, record: Model, kind: str, *, target: str, render_page_with
) -> HttpResponse | None:
    """A milestone's new-date form opened by an editor of the page's ``record`` (a ``kind``),
    ``?reschedule=<id>``: alone for htmx, else ``render_page_with(opened)``, the page with
    it open. None for any other request, or a milestone that cannot move."""
    pk = request.GET.get("reschedule", "")
    if not is_id(pk) or not permissions.may_edit(request.user, record):
        return None
    milestone = permissions.get_milestone_for_user(request.user, pk, edit=True, **{kind: record})
    if not milestone.is_reschedulable:
        return None
    form = RescheduleForm(milestone=milestone)
    if wants_fragment(request):
        context = {
            "form": form,
            "milestone": milestone,
            "action_url": record.get_absolute_url(),
            "target": target,
        }
        return render_page(
            request, "agreements/includes/reschedule_form.html", context, partial="reschedule-form"
        )
    return render_page_with({"reschedule_form": form})


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
