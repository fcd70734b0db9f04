from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from .. import permissions
from ..forms import CommitmentFilterForm, ProgressUpdateForm
from ..models import Commitment, MilestoneStatus, ReviewState, Source
from .common import render_page, wants_fragment

PAGE_SIZE = 25
SORTABLE = [
    ("title", "Commitment"),
    ("meeting", "Meeting"),
    ("status", "Status"),
    ("target", "Target date"),
    ("updated", "Last updated"),
]


@require_GET
def commitment_list(request: HttpRequest) -> HttpResponse:
    """Commitments the user can see, filtered, sorted and paginated; the table is a partial
    that the filters swap in place (and push to the URL, so a reload shows the same)."""
    today = timezone.localdate()
    form = CommitmentFilterForm(request.GET or None, user=request.user)
    commitments = form.filter(Commitment.objects.visible_to(request.user).for_list(), today)
    page = Paginator(commitments, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "today": today,
        "columns": _sort_columns(request, form),
        "page_query": _query_without(request, "page"),
    }
    return render_page(
        request, "agreements/commitment_list.html", context, partial="commitment-table"
    )


def _query_without(request: HttpRequest, *keys: str) -> str:
    query = request.GET.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()


def _sort_columns(request: HttpRequest, form: CommitmentFilterForm) -> list[dict]:
    current = form.cleaned_data.get("sort", "") if form.is_bound and form.is_valid() else ""
    base = _query_without(request, "sort", "page")
    columns = []
    for key, label in SORTABLE:
        direction = "ascending" if current == key else "descending" if current == f"-{key}" else ""
        following = f"-{key}" if current == key else key
        columns.append(
            {
                "label": label,
                "query": f"{base}&sort={following}" if base else f"sort={following}",
                "aria_sort": direction or "none",
            }
        )
    return columns


@dataclass
class TimelineEntry:
    when: datetime.datetime
    kind: str
    item: object


@require_http_methods(["GET", "POST"])
def commitment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A commitment: what was agreed, its official status, the timeline of what happened,
    the milestone checklist and the progress-update form.

    POST ``action`` = toggle_milestone (answers with the checklist partial) or post_update
    (answers with the update area: timeline and a fresh form); editors only.
    """
    if request.method == "GET":
        commitment = permissions.get_commitment_for_user(request.user, pk)
        return _render_detail(request, commitment)
    commitment = permissions.get_commitment_for_user(request.user, pk, edit=True)
    action = request.POST.get("action")
    if action == "toggle_milestone":
        return _toggle_milestone(request, commitment)
    if action == "post_update":
        return _post_update(request, commitment)
    return HttpResponse("Unknown action.", status=400)


def _toggle_milestone(request: HttpRequest, commitment: Commitment) -> HttpResponse:
    milestone = permissions.get_milestone_for_user(
        request.user, request.POST.get("milestone"), edit=True, commitment=commitment
    )
    if milestone.status == MilestoneStatus.DONE:
        milestone.status, milestone.completed_on = MilestoneStatus.PLANNED, None
        notice = f"“{milestone.title}” is open again."
    else:
        milestone.status, milestone.completed_on = MilestoneStatus.DONE, timezone.localdate()
        notice = f"“{milestone.title}” done."
    milestone.save(update_fields=["status", "completed_on", "updated_at"])
    if wants_fragment(request):
        return _render_detail(request, commitment, partial="milestone-checklist", notice=notice)
    messages.success(request, notice)
    return redirect("agreements:commitment_detail", pk=commitment.pk)


def _post_update(request: HttpRequest, commitment: Commitment) -> HttpResponse:
    form = ProgressUpdateForm(
        request.POST, commitment=commitment, sources=_team_sources(commitment)
    )
    if not form.is_valid():
        return _render_detail(
            request, commitment, update_form=form, partial="update-area", status=422
        )
    update = form.save(commit=False)
    update.author = request.user
    update.review_state = ReviewState.SUBMITTED
    update.save()
    form.save_m2m()
    notice = "Progress update submitted for review."
    if wants_fragment(request):
        return _render_detail(request, commitment, partial="update-area", notice=notice)
    messages.success(request, notice)
    return redirect("agreements:commitment_detail", pk=commitment.pk)


def _team_sources(commitment: Commitment):
    return Source.objects.filter(team_id=commitment.meeting.team_id).order_by("title", "pk")


def _render_detail(
    request: HttpRequest,
    commitment: Commitment,
    *,
    update_form: ProgressUpdateForm | None = None,
    partial: str | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    can_edit = permissions.is_editor(request.user, commitment.meeting.team)
    milestones = list(commitment.milestones.order_by("due_date", "pk"))
    updates = list(commitment.progress_updates.select_related("author").prefetch_related("sources"))
    changes = list(commitment.status_changes.select_related("changed_by"))
    assessments = list(commitment.assessments.select_related("party", "assessed_by"))
    timeline = _timeline(updates, changes, assessments, milestones)
    pending = next(
        (
            u
            for u in updates
            if u.review_state in (ReviewState.SUBMITTED, ReviewState.RESUBMITTED)
            and u.proposed_status is not None
        ),
        None,
    )
    if update_form is None and can_edit:
        update_form = ProgressUpdateForm(commitment=commitment, sources=_team_sources(commitment))
    context = {
        "commitment": commitment,
        "today": today,
        "can_edit": can_edit,
        "party_roles": commitment.party_roles.select_related("party"),
        "bodies": commitment.bodies.all(),
        "sources": commitment.sources.all(),
        "claims": commitment.claims.prefetch_related("sources"),
        "milestones": milestones,
        "timeline": timeline,
        "pending": pending,
        "update_form": update_form,
        "notice": notice,
    }
    return render_page(
        request, "agreements/commitment_detail.html", context, partial=partial, status=status
    )


def _timeline(updates, changes, assessments, milestones) -> list[TimelineEntry]:
    """Everything that happened to the commitment, newest first."""

    def at(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time.max, tzinfo=datetime.UTC)

    entries = [TimelineEntry(u.created_at, "update", u) for u in updates]
    entries += [TimelineEntry(c.changed_at, "status", c) for c in changes]
    entries += [TimelineEntry(at(a.as_of), "assessment", a) for a in assessments]
    entries += [
        TimelineEntry(at(m.completed_on), "milestone_done", m)
        for m in milestones
        if m.status == MilestoneStatus.DONE
    ]
    entries += [
        TimelineEntry(at(m.due_date), f"milestone_{m.status}", m)
        for m in milestones
        if m.status in (MilestoneStatus.MISSED, MilestoneStatus.CANCELLED)
    ]
    return sorted(entries, key=lambda e: e.when, reverse=True)
