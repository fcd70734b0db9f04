from __future__ import annotations

import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from .. import permissions
from ..forms.as_of import AsOfForm
from ..models import (
    Commitment,
    CommitmentTally,
    ComplianceHistory,
    ComplianceTally,
    ImplementationBody,
    ImplementationStatus,
    Meeting,
    Milestone,
    ProgressUpdate,
    StatusChange,
    StatusHistory,
    StatusSpan,
)
from .charts import chart_url, dashboard_curve

STALE_AFTER_DAYS = 90
DUE_SOON_DAYS = 30
LIST_LIMIT = 10
OVERDUE_CAP = 999


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The implementation index overall and by theme, party and body, and over time; what
    needs attention (for a reviewer, the updates waiting for their review, never their own).
    On a past day (``?as_of=``), the figures as they stood then, from the stored history."""
    user = request.user
    as_of = AsOfForm(request.GET)
    day = as_of.day()
    if day is not None:
        return render(request, "agreements/dashboard.html", _past_figures(user, day, as_of))
    today = timezone.localdate()
    reviews = permissions.reviews_any_team(user)
    context = {
        **_figures(user, today),
        "today": today,
        "as_of_form": as_of,
        "curve": dashboard_curve(user, today),
        "chart_url": chart_url("agreements:dashboard_chart"),
        "reviews": reviews,
        "awaiting_review": ProgressUpdate.objects.reviewable_by(user)
        .awaiting_review()
        .select_related("commitment", "author")
        .order_by("created_at", "pk")[:LIST_LIMIT]
        if reviews
        else [],
    }
    return render(request, "agreements/dashboard.html", context)


def _figures(user, today: datetime.date) -> dict:
    commitments = Commitment.objects.visible_to(user)
    milestones = Milestone.objects.visible_to(user).for_list()
    # Whole days: "no update for 90 days" counts days, as the page says.
    stale_since = timezone.make_aware(
        datetime.datetime.combine(
            today - datetime.timedelta(days=STALE_AFTER_DAYS), datetime.time()
        )
    )

    # Figures over all of the user's commitments come from the tally the database keeps on
    # every write (``CommitmentTally``): a few hundred rows per team, whatever the data.
    tally = CommitmentTally.objects.visible_to(user)
    status_counts = tally.status_counts()
    listed = reverse("agreements:commitment_list")
    return {
        "index": tally.implementation_index(),
        "counting": sum(status_counts.values()),
        "status_rows": [
            {"label": ImplementationStatus(s).label, "status": s, "count": n}
            for s, n in status_counts.items()
        ],
        "stalled": tally.counting().total(is_stalled=True),
        "cancelled": tally.total(active=True, cancelled=True),
        # Counted up to a cap, so the count walks at most that many index entries.
        "overdue": commitments.overdue(today).order_by()[: OVERDUE_CAP + 1].count(),
        "overdue_cap": OVERDUE_CAP,
        # Each index row leads to the records behind it.
        "by_theme": [
            row | {"url": f"{listed}?{urlencode({'theme': row['theme']})}"}
            for row in tally.index_by_theme()
        ],
        "by_party": [
            row | {"url": reverse("agreements:party_briefing", args=[row["party_id"]])}
            for row in ComplianceTally.objects.visible_to(user).by_party()
        ],
        # Bodies of the most recent meetings, their figures computed for those rows only
        # (every body's index is on the bodies page).
        "by_body": _recent_bodies(user, today),
        "overdue_milestones": milestones.overdue(today)[:LIST_LIMIT],
        "due_soon": milestones.due_within(today, DUE_SOON_DAYS)[:LIST_LIMIT],
        "stale": commitments.without_update_since(stale_since).select_related("meeting")[
            :LIST_LIMIT
        ],
        "stale_days": STALE_AFTER_DAYS,
        "due_soon_days": DUE_SOON_DAYS,
        # Meetings held: a planned one is not held yet (issue #26).
        "recent_meetings": Meeting.objects.visible_to(user).active().held().for_list()[:5],
        "recent_updates": ProgressUpdate.objects.visible_to(user)
        .filter(commitment__in=commitments.active())
        .select_related("commitment", "author")
        .order_by("-created_at", "-pk")[:LIST_LIMIT],
        "recent_changes": StatusChange.objects.visible_to(user)
        .select_related("commitment", "changed_by")
        .order_by("-changed_at", "-pk")[:LIST_LIMIT],
    }


def _past_figures(user, day: datetime.date, as_of: AsOfForm) -> dict:
    """The dashboard's figures as they stood on ``day``: counts and indexes from the day
    tally, each party's latest assessments up to then, milestones overdue then, the meetings
    held and the status changes in effect by then. What needs doing today (reviews waiting,
    milestones due soon, commitments without news) is today's page's."""
    tally = StatusHistory.visible_to(user).on(day)
    status_counts = tally.status_counts()
    commitments = Commitment.objects.visible_to(user)
    overdue = commitments.overdue_on(day)
    listed = reverse("agreements:commitment_list")
    return {
        "today": day,
        "as_of": day,
        "as_of_form": as_of,
        "index": tally.implementation_index(),
        "counting": sum(status_counts.values()),
        "status_rows": [
            {"label": ImplementationStatus(s).label, "status": s, "count": n}
            for s, n in status_counts.items()
        ],
        "stalled": tally.counting().total(is_stalled=True),
        "cancelled": tally.total(active=True, cancelled=True),
        "overdue": overdue.order_by()[: OVERDUE_CAP + 1].count(),
        "overdue_cap": OVERDUE_CAP,
        "by_theme": [
            row | {"url": f"{listed}?{urlencode({'theme': row['theme'], 'as_of': day})}"}
            for row in tally.index_by_theme()
        ],
        "by_party": [
            row
            | {
                "url": reverse("agreements:party_briefing", args=[row["party_id"]])
                + f"?{urlencode({'as_of': day})}"
            }
            for row in ComplianceHistory.visible_to(user).by_party(day)
        ],
        "by_body": _recent_bodies(user, day, past=True),
        "overdue_milestones": Milestone.objects.visible_to(user)
        .for_list()
        .overdue_on(day, LIST_LIMIT),
        "curve": dashboard_curve(user, day),
        "chart_url": chart_url("agreements:dashboard_chart", day=day),
        "recent_meetings": Meeting.objects.visible_to(user)
        .active()
        .held()
        .filter(start_date__lte=day)
        .for_list()[:5],
        "recent_changes": StatusChange.objects.visible_to(user)
        .filter(effective_on__lte=day)
        .select_related("commitment", "changed_by")
        .order_by("-effective_on", "-changed_at", "-pk")[:LIST_LIMIT],
    }


def _recent_bodies(user, today: datetime.date, *, past: bool = False) -> list[dict]:
    ids = list(
        ImplementationBody.objects.visible_to(user)
        .active()
        .order_by("-meeting__start_date", "-pk")
        .values_list("pk", flat=True)[:LIST_LIMIT]
    )
    bodies = ImplementationBody.objects.filter(pk__in=ids).for_list(today)
    if past:  # each one's index as it stood then, from the stored history
        then = StatusSpan.objects.index_by_body(ids, today)
        bodies = [b for b in bodies if b.meeting.start_date <= today]
        for body in bodies:
            body.mean_status, body.commitment_count = then.get(body.pk, (None, 0))
    return [
        {
            "key": f"{body.name} ({body.meeting.title})",
            "url": body.get_absolute_url(),
            "index": body.index,
            "count": body.commitment_count,
        }
        for body in sorted(bodies, key=lambda b: ids.index(b.pk))
        if body.commitment_count
    ]
