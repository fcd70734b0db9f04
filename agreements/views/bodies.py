from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from .. import permissions
from ..forms import ConfirmationForm, MemberForm
from ..models import (
    BodyMembership,
    Claim,
    Commitment,
    Confirmation,
    ImplementationBody,
    Milestone,
    MilestoneStatus,
    VersionConflict,
)
from .common import annotated_page, render_page, wants_fragment

PAGE_SIZE = 25


@require_GET
def body_list(request: HttpRequest) -> HttpResponse:
    """Implementation bodies the user can see, with lifecycle, members and the index."""
    today = timezone.localdate()
    bodies = ImplementationBody.objects.visible_to(request.user).active().order_by("name", "pk")
    page = annotated_page(request, bodies, lambda rows: rows.for_list(today), PAGE_SIZE)
    context = {"page": page, "page_query": "", "today": today}
    return render_page(request, "agreements/body_list.html", context, partial="body-table")


@require_http_methods(["GET", "POST"])
def body_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A body: mandate, cadence, lifecycle, members, overseen commitments, next meeting.

    Editors manage members in place: POST ``action`` = add_member, set_confirmation or
    end_membership; each answers with the ``members`` partial (htmx) or a redirect.
    """
    if request.method == "POST":
        body = permissions.get_body_for_user(request.user, pk, edit=True)
        return _change_members(request, body)
    body = permissions.get_body_for_user(request.user, pk)
    return _render_detail(request, body, member_form=MemberForm(body=body))


def _change_members(request: HttpRequest, body: ImplementationBody) -> HttpResponse:
    action = request.POST.get("action")
    member_form = MemberForm(body=body)
    if action == "add_member":
        member_form = MemberForm(request.POST, body=body)
        if not member_form.is_valid():
            return _render_detail(request, body, member_form=member_form, status=422)
        notice = f"{member_form.save()}: added."
        member_form = MemberForm(body=body)
    elif action in ("set_confirmation", "end_membership"):
        form = ConfirmationForm(request.POST)
        if action == "end_membership":
            form.fields["confirmation"].required = False
        if not form.is_valid():
            return _render_detail(request, body, member_form=member_form, status=422)
        membership = permissions.get_membership_for_user(
            request.user, form.cleaned_data["membership"], edit=True, body=body
        )
        if action == "set_confirmation":
            membership.confirmation = form.cleaned_data["confirmation"]
            field = "confirmation"
            notice = f"{membership}: now {membership.get_confirmation_display().lower()}."
        else:
            membership.end_date = timezone.localdate()
            field = "end_date"
            notice = f"{membership}: membership ended today."
        try:
            membership.save_versioned(expected=form.cleaned_data["version"], update_fields=[field])
        except VersionConflict:
            notice = (
                f"Someone else changed {membership} since you opened the page: here is how it "
                "stands now. Nothing was changed."
            )
            return _render_detail(request, body, member_form=member_form, notice=notice, status=409)
    else:
        return HttpResponse("Unknown action.", status=400)
    if wants_fragment(request):
        return _render_detail(request, body, member_form=member_form, notice=notice)
    messages.success(request, notice)
    return redirect("agreements:body_detail", pk=body.pk)


def _render_detail(
    request: HttpRequest,
    body: ImplementationBody,
    *,
    member_form: MemberForm,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    members = BodyMembership.objects.filter(body=body).select_related("person", "party", "body")
    commitments = (
        Commitment.objects.filter(bodies=body)
        .select_related("meeting")
        .prefetch_related("party_roles__party")
        .order_by("meeting__start_date", "position", "pk")
    )
    milestones = Milestone.objects.filter(body=body).order_by("due_date", "pk")
    context = {
        "body": body,
        "today": today,
        "members": members,
        "confirmed_count": sum(1 for m in members if m.confirmation == Confirmation.CONFIRMED),
        "commitments": commitments,
        "index": commitments.implementation_index(),
        "milestones": milestones,
        "next_meeting": next(
            (m for m in milestones if m.status == MilestoneStatus.PLANNED and m.due_date >= today),
            None,
        ),
        "claims": Claim.objects.filter(body=body).prefetch_related("sources"),
        "sources": body.sources.all(),
        "can_edit": permissions.is_editor(request.user, body.meeting.team),
        "member_form": member_form,
        "confirmation_choices": Confirmation.choices,
        "notice": notice,
    }
    return render_page(
        request, "agreements/body_detail.html", context, partial="members", status=status
    )
