from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from .. import actions, permissions
from ..forms import AssessmentForm, CommitmentFilterForm, ProgressUpdateForm
from ..models import (
    Commitment,
    MilestoneStatus,
    Party,
    ReviewAction,
    ReviewEvent,
    ReviewState,
    Source,
    VersionConflict,
)
from .common import archive_record, render_page, wants_fragment

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
    commitments = form.filter(
        Commitment.objects.visible_to(request.user).active().for_list(), today
    )
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
    """A commitment: what was agreed, its official status beside any pending proposal, each
    party's latest compliance assessment, the timeline, the milestone checklist and the
    progress-update form.

    POST ``action``: toggle_milestone (answers with the checklist), post_update or
    submit_draft (answer with the update area: form and timeline) for editors; assess (answers
    with the compliance section) for reviewers.
    """
    if request.method == "GET":
        commitment = permissions.get_commitment_for_user(request.user, pk)
        return _render_detail(request, commitment)
    action = request.POST.get("action")
    if action == "assess":
        commitment = permissions.get_commitment_for_user(request.user, pk, review=True)
        return _assess(request, commitment)
    commitment = permissions.get_commitment_for_user(request.user, pk, edit=True)
    if action == "toggle_milestone":
        return _toggle_milestone(request, commitment)
    if action == "post_update":
        return _post_update(request, commitment)
    if action == "submit_draft":
        return _submit_draft(request, commitment)
    if action == "archive":
        return archive_record(request, commitment, "agreements:commitment_detail")
    return HttpResponse("Unknown action.", status=400)


def _done(request: HttpRequest, commitment: Commitment, partial: str, notice: str):
    """Answer a write: the changed section for htmx, else a redirect with the message."""
    if wants_fragment(request):
        return _render_detail(request, commitment, partial=partial, notice=notice)
    messages.success(request, notice)
    return redirect("agreements:commitment_detail", pk=commitment.pk)


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
    try:
        milestone.save_versioned(
            expected=_int(request.POST.get("version")), update_fields=["status", "completed_on"]
        )
    except VersionConflict:
        notice = (
            f"Someone else changed “{milestone.title}” since you opened the page: "
            "here is how it stands now. Nothing was changed."
        )
        return _render_detail(
            request, commitment, partial="milestone-checklist", notice=notice, status=409
        )
    return _done(request, commitment, "milestone-checklist", notice)


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def _post_update(request: HttpRequest, commitment: Commitment) -> HttpResponse:
    form = ProgressUpdateForm(
        request.POST, commitment=commitment, sources=_team_sources(commitment)
    )
    if not form.is_valid():
        return _render_detail(
            request, commitment, update_form=form, partial="update-area", status=422
        )
    draft = "save_draft" in request.POST
    actions.submit_update(
        commitment=commitment,
        author=request.user,
        narrative=form.cleaned_data["narrative"],
        proposed_status=form.cleaned_data["proposed_status"],
        proposed_stalled=form.cleaned_data["proposed_stalled"],
        sources=form.cleaned_data["sources"],
        revises=form.cleaned_data["revises"],
        draft=draft,
    )
    notice = "Draft saved." if draft else "Progress update submitted for review."
    return _done(request, commitment, "update-area", notice)


def _submit_draft(request: HttpRequest, commitment: Commitment) -> HttpResponse:
    update = get_object_or_404(commitment.progress_updates, pk=request.POST.get("update") or 0)
    try:
        actions.submit_draft(update=update, by=request.user)
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=409)
    return _done(request, commitment, "update-area", "Draft submitted for review.")


def _assess(request: HttpRequest, commitment: Commitment) -> HttpResponse:
    form = AssessmentForm(
        request.POST,
        commitment=commitment,
        parties=_parties(commitment),
        sources=_team_sources(commitment),
    )
    if not form.is_valid():
        return _render_detail(
            request, commitment, assessment_form=form, partial="compliance", status=422
        )
    assessment = form.save(commit=False)
    assessment.assessed_by = request.user
    assessment.save()
    form.save_m2m()
    notice = f"{assessment.party} assessed: {assessment.get_score_display()}."
    return _done(request, commitment, "compliance", notice)


def _team_sources(commitment: Commitment):
    return Source.objects.filter(team_id=commitment.meeting.team_id).order_by("title", "pk")


def _parties(commitment: Commitment):
    return Party.objects.filter(commitment_roles__commitment=commitment).order_by("name")


def _render_detail(
    request: HttpRequest,
    commitment: Commitment,
    *,
    update_form: ProgressUpdateForm | None = None,
    assessment_form: AssessmentForm | None = None,
    partial: str | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    team = commitment.meeting.team
    can_edit = permissions.is_editor(user, team)
    can_review = permissions.is_reviewer(user, team)
    milestones = list(commitment.milestones.order_by("due_date", "pk"))
    updates = list(
        commitment.progress_updates.select_related("author").prefetch_related(
            "sources", Prefetch("review_events", queryset=ReviewEvent.objects.select_related("by"))
        )
    )
    changes = list(commitment.status_changes.select_related("changed_by"))
    assessments = list(commitment.assessments.select_related("party", "assessed_by"))
    latest = _latest_by_party(assessments)
    revising = None
    if update_form is None and can_edit:
        revising = next(
            (
                u
                for u in updates
                if str(u.pk) == request.GET.get("revise")
                and u.author_id == user.pk
                and u.review_state == ReviewState.RETURNED
            ),
            None,
        )
        update_form = ProgressUpdateForm(
            commitment=commitment,
            sources=_team_sources(commitment),
            initial=_revision_initial(revising),
        )
    if assessment_form is None and can_review:
        assessment_form = AssessmentForm(
            commitment=commitment, parties=_parties(commitment), sources=_team_sources(commitment)
        )
    context = {
        "commitment": commitment,
        "today": today,
        "user_id": user.pk,
        "can_edit": can_edit,
        "can_review": can_review,
        "party_roles": commitment.party_roles.select_related("party"),
        "latest_assessments": latest,
        "assessed_party_ids": {a.party_id for a in latest},
        "bodies": commitment.bodies.all(),
        "sources": commitment.sources.all(),
        "claims": commitment.claims.prefetch_related("sources"),
        "milestones": milestones,
        "timeline": _timeline(updates, changes, assessments, milestones),
        "pending": next((u for u in updates if u.awaits_review and u.proposes_change), None),
        "revised_ids": {u.revises_id for u in updates if u.revises_id},
        "update_form": update_form,
        "revising": revising,
        "assessment_form": assessment_form,
        "open_form": "assess" if assessment_form is not None and assessment_form.errors else "",
        "notice": notice,
    }
    return render_page(
        request, "agreements/commitment_detail.html", context, partial=partial, status=status
    )


def _revision_initial(returned) -> dict:
    if returned is None:
        return {}
    return {
        "revises": returned.pk,
        "narrative": returned.narrative,
        "proposed_status": returned.proposed_status,
        "proposed_stalled": returned.proposed_stalled,
        "sources": [s.pk for s in returned.sources.all()],
    }


def _latest_by_party(assessments) -> list:
    """Each party's most recent assessment (the list is newest first)."""
    latest = {}
    for assessment in assessments:
        latest.setdefault(assessment.party_id, assessment)
    return sorted(latest.values(), key=lambda a: a.party.name)


def _timeline(updates, changes, assessments, milestones) -> list[TimelineEntry]:
    """Everything that happened to the commitment, newest first."""

    def at(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time.max, tzinfo=datetime.UTC)

    entries = [TimelineEntry(u.created_at, "update", u) for u in updates]
    entries += [
        TimelineEntry(event.at, "review", event)
        for u in updates
        for event in u.review_events.all()
        if event.action != ReviewAction.SUBMIT
    ]
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
