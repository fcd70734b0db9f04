from __future__ import annotations

import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..models import (
    Assessment,
    Commitment,
    ImplementationStatus,
    Meeting,
    Milestone,
    ProgressUpdate,
    StatusChange,
    Theme,
)

STALE_AFTER_DAYS = 90
DUE_SOON_DAYS = 30
LIST_LIMIT = 10


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The implementation index overall and by theme, party and body; what needs attention."""
    user = request.user
    today = timezone.localdate()
    commitments = Commitment.objects.visible_to(user)
    milestones = Milestone.objects.visible_to(user).for_list()
    stale_since = timezone.now() - datetime.timedelta(days=STALE_AFTER_DAYS)

    status_counts = commitments.status_counts()
    by_theme = commitments.index_by("theme")
    theme_labels = dict(Theme.choices)
    for row in by_theme:
        row["key"] = theme_labels.get(row["key"], row["key"])

    awaiting_review = (
        ProgressUpdate.objects.reviewable_by(user)
        .awaiting_review()
        .select_related("commitment", "author")
        .order_by("created_at", "pk")
    )
    context = {
        "today": today,
        "index": commitments.implementation_index(),
        "counting": sum(status_counts.values()),
        "status_rows": [
            {"label": ImplementationStatus(s).label, "status": s, "count": n}
            for s, n in status_counts.items()
        ],
        "stalled": commitments.counting().filter(is_stalled=True).count(),
        "cancelled": commitments.active().exclude(cancellation="").count(),
        "overdue": commitments.overdue(today).count(),
        "by_theme": by_theme,
        "by_party": Assessment.objects.visible_to(user).compliance_by_party(),
        "by_body": commitments.index_by("bodies__name"),
        "overdue_milestones": milestones.overdue(today)[:LIST_LIMIT],
        "due_soon": milestones.due_within(today, DUE_SOON_DAYS)[:LIST_LIMIT],
        "stale": commitments.without_update_since(stale_since)
        .select_related("meeting")
        .order_by("last_update", "pk")[:LIST_LIMIT],
        "stale_days": STALE_AFTER_DAYS,
        "due_soon_days": DUE_SOON_DAYS,
        "awaiting_review": awaiting_review[:LIST_LIMIT],
        "recent_meetings": Meeting.objects.visible_to(user).active().for_list()[:5],
        "recent_updates": ProgressUpdate.objects.visible_to(user)
        .filter(commitment__in=commitments.active())
        .select_related("commitment", "author")
        .order_by("-created_at", "-pk")[:LIST_LIMIT],
        "recent_changes": StatusChange.objects.visible_to(user)
        .select_related("commitment", "changed_by")
        .order_by("-changed_at", "-pk")[:LIST_LIMIT],
    }
    return render(request, "agreements/dashboard.html", context)
