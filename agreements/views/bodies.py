from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise, SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from .. import actions, charts, permissions
from ..forms import BodyForm, BodyMilestoneForm, NewBodyForm
from ..forms.bodies import member_rows
from ..ids import address_of
from ..models import (
    BodyMembership,
    Claim,
    Commitment,
    Confirmation,
    ImplementationBody,
    Milestone,
    MilestoneStatus,
)
from ..templatetags.tracker import state_badge
from .charts import chart_url
from .common import (
    Outcome,
    PageAction,
    add_form_partial,
    picker_options,
    posted_day,
    render_page,
    run_record_action,
    version_of,
    wants_fragment,
)
from .meeting_additions import Addition
from .milestone_checklist import checklist, checklist_actions, opened_reschedule
from .paging import annotated_page

PAGE_SIZE = 25


@require_http_methods(["GET", "POST"])
def body_list(request: HttpRequest) -> HttpResponse:
    """Implementation bodies the user can see, with lifecycle, members and the index.

    Editors record a body here too (POST), set up at one of their teams' open meetings; a body
    saved opens on its own page, where its commitments are ticked and members added. The
    form is drawn closed and empty, fetched when opened (``?add=body``: alone for htmx, else
    the page with it open), and drawn again with its errors when refused."""
    form = None
    can_record = permissions.edits_some_team(request.user)
    opened = request.GET.get("add") == "body"
    if can_record and (request.method == "POST" or opened or "_pick" in request.GET):
        meetings = permissions.editable_meetings(request.user).order_by("-start_date", "pk")
        form = NewBodyForm(request.POST or None, meetings=meetings)
        if options := picker_options(request, form):
            return options
        if opened and wants_fragment(request):
            return render_page(
                request, "agreements/body_list.html", {"form": form}, partial="body-form"
            )
    today = timezone.localdate()
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        if form.is_valid():
            body = actions.add_body(body=form.save(commit=False), commitments=[], by=request.user)
            messages.success(
                request,
                _("“%(name)s” recorded: tick what it oversees, add members.") % {"name": body.name},
            )
            return redirect(body)
    bodies = ImplementationBody.objects.visible_to(request.user).active().order_by("name", "pk")
    page = annotated_page(
        request,
        bodies,
        lambda rows: rows.select_related("meeting__team").only(*LISTED),
        PAGE_SIZE,
        made=("body_rows",),
    )
    _listed(page.object_list, today)
    context = {
        "form": form,
        "can_record": can_record,
        "page": page,
        "page_query": "",
        "today": today,
    }
    if request.method == "POST":  # refused: the page again, with the reasons
        return render_page(request, "agreements/body_list.html", context, status=422)
    return render_page(request, "agreements/body_list.html", context, partial="body-table")


# What a row of the list shows of its body: these columns alone, not its texts.
LISTED = (
    "name",
    "cadence",
    "lifecycle",
    "meeting__title",
    "meeting__start_date",
    "meeting__team__name",
)


def _listed(bodies: list[ImplementationBody], today: datetime.date) -> None:
    """Each listed body's link, days, lifecycle badge, members, index and next meeting, put
    together here once for the page's rows (templates/jinja2/agreements/body_rows.html).

    The figures ``for_list()`` reads as five subqueries a body are read for the page's
    bodies at once, a grouped read each (the same counts, index and next meeting): its
    subqueries cost more to put together and plan than to run, and read each body's
    overseen commitments twice."""
    ids = [body.pk for body in bodies]
    overseen = {
        body: (total, mean)
        for body, total, mean in ImplementationBody.commitments.through.objects.filter(
            Commitment.counting_q("commitment__"), implementationbody__in=ids
        )
        .order_by()
        .values_list("implementationbody")
        .annotate(total=Count("*"), mean=Avg("commitment__status"))
    }
    members = {
        body: (total, confirmed)
        for body, total, confirmed in BodyMembership.objects.filter(body__in=ids)
        .order_by()
        .values_list("body")
        .annotate(
            total=Count("*"), confirmed=Count("pk", filter=Q(confirmation=Confirmation.CONFIRMED))
        )
    }
    next_meetings = dict(
        Milestone.objects.filter(body__in=ids, status=MilestoneStatus.PLANNED, due_date__gte=today)
        .order_by()
        .values_list("body")
        .annotate(due=Min("due_date"))
    )
    link = address_of("agreements:body_detail")
    for body in bodies:
        body.commitment_count, body.mean_status = overseen.get(body.pk, (0, None))
        body.member_count, body.confirmed_count = members.get(body.pk, (0, 0))
        body.next_meeting = next_meetings.get(body.pk)
        body.link = link(body.pk)
        body.meeting_day = date_format(body.meeting.start_date, "j M Y")
        body.next_day = date_format(body.next_meeting, "j M Y") if body.next_meeting else ""
        body.badge = state_badge(body.lifecycle, body.get_lifecycle_display())
        body.members_text = ngettext(
            "%(counter)s confirmed of %(total)s",
            "%(counter)s confirmed of %(total)s",
            body.confirmed_count,
        ) % {"counter": body.confirmed_count, "total": body.member_count}
        index = body.index
        body.index_shown = "–" if index is None else f"{floatformat(index, 0)}%"


@require_http_methods(["GET", "POST"])
def body_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A body: mandate, cadence, lifecycle, members, overseen commitments, next meeting.
    Editors manage members in place (``ACTIONS``, each answering with the members section)."""
    if request.method == "POST":
        return run_record_action(
            request, ACTIONS, fetch=permissions.get_body_for_user, pk=pk, render=_render_detail
        )
    body = permissions.get_body_for_user(request.user, pk)
    if "_pick" in request.GET and (
        options := picker_options(request, *member_rows(body=body).forms)
    ):
        return options
    kind = request.GET.get("add", "")
    if kind in ADDITIONS and permissions.may_edit(request.user, body):
        form = ADDITIONS[kind].form(body)
        if wants_fragment(request):
            return add_form_partial(request, ADDITIONS[kind], form)
        return _render_detail(request, body, opened={ADDITIONS[kind].context: form})
    if moving := opened_reschedule(
        request,
        body,
        "body",
        target="#milestones",
        render_page_with=lambda opened: _render_detail(request, body, opened=opened),
    ):
        return moving
    return _render_detail(request, body)


@dataclass(frozen=True)
class BodyAddition:
    """A form of the body's page drawn closed and empty, and fetched when opened
    (includes/add_form.html): its ``kind`` (``?add=<kind>``), the page ``action`` it posts, its
    ``title``, the ``section`` that answers, the name of its form in the page's context, the
    form's builder (unbound), and if it has them its fields' template and button label."""

    kind: str
    action: str
    title: Promise
    section: str
    context: str
    form: Callable[[ImplementationBody], Any]
    fields: str = ""
    submit: Promise | str = ""


ADDITIONS = {
    addition.kind: addition
    for addition in [
        BodyAddition(
            "edit",
            "edit_body",
            gettext_lazy("Edit this body"),
            "body-facts",
            "body_form",
            form=lambda body: BodyForm(instance=body, meeting=body.meeting),
            submit=gettext_lazy("Save the body"),
        ),
        BodyAddition(
            "members",
            "add_member",
            gettext_lazy("Add members"),
            "members",
            "member_rows",
            form=lambda body: member_rows(body=body),
            fields="agreements/includes/member_rows.html",
        ),
        # The body's own milestones (its meetings, its deadlines): ``ADD_MILESTONE`` saves them.
        BodyAddition(
            "milestone",
            "add_milestone",
            gettext_lazy("Add a milestone"),
            "milestones",
            "milestone",
            form=lambda body: BodyMilestoneForm(None, body=body),
        ),
    ]
}


# The action of the milestone form: the meeting page's kind of addition, on a body.
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
    "edit_body": PageAction(_edit_body, "body-facts"),
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
    """The page. Its forms (``ADDITIONS``) are drawn only when refused, with what was typed
    (``outcome.forms``), or ``opened`` without JavaScript; else they are fetched when opened."""
    outcome = outcome or Outcome()
    today = timezone.localdate()
    members = BodyMembership.objects.filter(body=body).select_related("person", "party", "body")
    commitments = (
        Commitment.objects.filter(bodies=body)
        .select_related("meeting")
        .prefetch_related("party_roles__party")
        .order_by("meeting__start_date", "position", "pk")
    )
    editable = permissions.may_edit(request.user, body)
    forms = ((opened or {}) | outcome.forms) if editable else {}
    milestones = checklist(Milestone.objects.filter(body=body), editable=editable, forms=forms)
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
        "forms": forms,
        "additions": ADDITIONS,
        "open_form": next((a.kind for a in ADDITIONS.values() if a.context in forms), ""),
        "confirmation_choices": Confirmation.choices,
        "outcome": outcome,
    }
    return render_page(
        request, "agreements/body_detail.html", context, partial=partial, status=outcome.status
    )
