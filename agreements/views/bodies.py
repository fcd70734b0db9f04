from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .. import actions, charts, permissions
from ..forms import BodyForm, BodyMilestoneForm, NewBodyForm
from ..forms.bodies import member_rows
from ..models import (
    BodyMembership,
    Claim,
    Commitment,
    Confirmation,
    ImplementationBody,
    Milestone,
    MilestoneStatus,
)
from .charts import chart_url
from .common import (
    Outcome,
    PageAction,
    annotated_page,
    picker_options,
    posted_day,
    render_page,
    run_record_action,
    version_of,
    wants_fragment,
)
from .meeting_additions import Addition
from .milestone_checklist import checklist, checklist_actions

PAGE_SIZE = 25


@require_http_methods(["GET", "POST"])
def body_list(request: HttpRequest) -> HttpResponse:
    """Implementation bodies the user can see, with lifecycle, members and the index.

    Editors record a body here too (POST), set up at one of their teams' open meetings; a body
    saved opens on its own page, where its commitments are ticked and members added."""
    form = None
    if permissions.editable_teams(request.user).exists():
        meetings = permissions.editable_meetings(request.user).order_by("-start_date", "pk")
        form = NewBodyForm(request.POST or None, meetings=meetings)
        if options := picker_options(request, form):
            return options
    today = timezone.localdate()
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            body = actions.add_body(body=form.save(commit=False), commitments=[], by=request.user)
            messages.success(
                request,
                _("“%(name)s” recorded: tick what it oversees, add members.") % {"name": body.name},
            )
            return redirect(body)
    bodies = ImplementationBody.objects.visible_to(request.user).active().order_by("name", "pk")
    page = annotated_page(request, bodies, lambda rows: rows.for_list(today), PAGE_SIZE)
    context = {"form": form, "page": page, "page_query": "", "today": today}
    if request.method == "POST":  # refused: the page again, with the reasons
        return render_page(request, "agreements/body_list.html", context, status=422)
    return render_page(request, "agreements/body_list.html", context, partial="body-table")


@require_http_methods(["GET", "POST"])
def body_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A body: mandate, cadence, lifecycle, members, overseen commitments, next meeting.
    Editors manage members in place (``ACTIONS``, each answering with the members section)."""
    if request.method == "POST":
        return run_record_action(
            request, ACTIONS, fetch=permissions.get_body_for_user, pk=pk, render=_render_detail
        )
    body = permissions.get_body_for_user(request.user, pk)
    if options := picker_options(request, *member_rows(body=body).forms):
        return options
    if request.GET.get("add") == ADD_MILESTONE.kind and _can_edit(request.user, body):
        # The add form, opened by its editor: alone for htmx, else the page with it open.
        form = ADD_MILESTONE.form(body, None)
        if wants_fragment(request):
            context = {"adding": ADD_MILESTONE, "form": form}
            return render_page(
                request, "agreements/includes/add_form.html", context, partial="add-form"
            )
        return _render_detail(request, body, opened={ADD_MILESTONE.kind: form})
    return _render_detail(request, body)


def _can_edit(user, body: ImplementationBody) -> bool:
    return permissions.is_editor(user, body.meeting.team) and not body.is_read_only


# The body's own milestones (its meetings, its deadlines), added in place on its page.
ADD_MILESTONE = Addition(
    "milestone",
    gettext_lazy("Add a milestone"),
    gettext_lazy("Milestone added."),
    "milestones",
    form=lambda body, data: BodyMilestoneForm(data, body=body),
    save=lambda form, body, by: actions.add_milestone(milestone=form.save(commit=False), by=by),
)


def _add_member(request: HttpRequest, body: ImplementationBody) -> Outcome:
    """Seat the members the filled rows name (one or several), in one submit, all or none."""
    rows = member_rows(request.POST, body=body)
    if rows.is_valid() and not rows.filled():
        rows.forms[0].add_error("person", _("Pick a person, type a new one, or pick a party."))
    if not rows.is_valid():
        return Outcome(forms={"member_rows": rows})
    seated = actions.add_memberships(
        rows=[(form.save(commit=False), form.cleaned_data["new_person"]) for form in rows.filled()],
        by=request.user,
    )
    return Outcome(
        notice=_("Added: %(members)s.")
        % {"members": "; ".join(str(membership) for membership in seated)}
    )


def _membership(request: HttpRequest, body: ImplementationBody) -> BodyMembership:
    return permissions.get_membership_for_user(
        request.user, request.POST.get("membership"), edit=True, body=body
    )


def _set_confirmation(request: HttpRequest, body: ImplementationBody) -> Outcome:
    membership = _membership(request, body)
    actions.set_membership_confirmation(
        membership=membership,
        confirmation=request.POST.get("confirmation", ""),
        expected=version_of(request),
        by=request.user,
        on=posted_day(request, "on"),
    )
    return Outcome(
        notice=_("%(membership)s: now %(confirmation)s.")
        % {
            "membership": membership,
            "confirmation": membership.get_confirmation_display().lower(),
        }
    )


def _end_membership(request: HttpRequest, body: ImplementationBody) -> Outcome:
    membership = _membership(request, body)
    actions.end_membership(
        membership=membership,
        expected=version_of(request),
        by=request.user,
        on=posted_day(request, "on"),
    )
    return Outcome(
        notice=_("%(membership)s: membership ended %(date)s.")
        % {"membership": membership, "date": date_format(membership.end_date, "j M Y")}
    )


def _edit_body(request: HttpRequest, body: ImplementationBody) -> Outcome:
    form = BodyForm(request.POST, instance=body, meeting=body.meeting)
    if not form.is_valid():
        return Outcome(forms={"body_form": form})
    actions.edit_record(
        record=form.save(commit=False),
        expected=form.opened_at(),
        commitments=form.cleaned_data["commitments"],
        by=request.user,
    )
    return Outcome(notice=_("“%(title)s” saved.") % {"title": body.name})


ACTIONS = {
    "edit_body": PageAction(_edit_body, None),
    "add_member": PageAction(_add_member, "members"),
    "set_confirmation": PageAction(_set_confirmation, "members"),
    "end_membership": PageAction(_end_membership, "members"),
    ADD_MILESTONE.action: PageAction(ADD_MILESTONE.handle, "milestones"),
    **checklist_actions("body", "milestones"),
}


def _render_detail(
    request: HttpRequest,
    body: ImplementationBody,
    *,
    partial: str | None = None,
    outcome: Outcome | None = None,
    opened: dict | None = None,
) -> HttpResponse:
    """The page; the milestone form drawn open is the refused one (``outcome.forms``) or the
    one its editor ``opened`` without JavaScript, else it is fetched when opened."""
    outcome = outcome or Outcome()
    opened = (opened or {}) | outcome.forms
    today = timezone.localdate()
    members = BodyMembership.objects.filter(body=body).select_related("person", "party", "body")
    commitments = (
        Commitment.objects.filter(bodies=body)
        .select_related("meeting")
        .prefetch_related("party_roles__party")
        .order_by("meeting__start_date", "position", "pk")
    )
    editable = _can_edit(request.user, body)
    milestones = checklist(Milestone.objects.filter(body=body), editable=editable, outcome=outcome)
    context = {
        "body": body,
        "today": today,
        "members": members,
        "confirmed_count": sum(1 for m in members if m.confirmation == Confirmation.CONFIRMED),
        "commitments": commitments,
        "index": commitments.implementation_index(),
        # Read only where the whole page is drawn, not for its partials.
        "curve": SimpleLazyObject(lambda: charts.body_curve(body, today)),
        "chart_url": chart_url("agreements:body_chart", body.pk),
        "milestones": milestones,
        "next_meeting": next(
            (m for m in milestones if m.status == MilestoneStatus.PLANNED and m.due_date >= today),
            None,
        ),
        "claims": Claim.objects.filter(body=body).prefetch_related("sources"),
        "sources": body.sources.all(),
        "can_edit": editable,
        "body_form": (
            outcome.forms.get("body_form") or BodyForm(instance=body, meeting=body.meeting)
        )
        if editable
        else None,
        "member_rows": outcome.forms.get("member_rows") or member_rows(body=body),
        "confirmation_choices": Confirmation.choices,
        "adding": ADD_MILESTONE,
        "milestone_form": opened.get(ADD_MILESTONE.kind) if editable else None,
        "open_form": ADD_MILESTONE.kind if ADD_MILESTONE.kind in opened else "",
        "outcome": outcome,
    }
    return render_page(
        request, "agreements/body_detail.html", context, partial=partial, status=outcome.status
    )
