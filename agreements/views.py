"""Function views, one per page; each serves its page and that page's htmx partials."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .models import Commitment, Meeting


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    meetings = Meeting.objects.visible_to(request.user).for_list()
    commitments = Commitment.objects.visible_to(request.user)
    return render(
        request,
        "agreements/dashboard.html",
        {
            "meetings": meetings[:20],
            "commitment_count": commitments.count(),
            "index": commitments.implementation_index(),
        },
    )
