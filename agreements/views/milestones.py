from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import export_lists, exports
from ..forms import MilestoneFilterForm
from ..models import Milestone
from .common import render_page
from .paging import capped_page

PAGE_SIZE = 25


@require_GET
def milestone_list(request: HttpRequest) -> HttpResponse:
    """Every dated step the user can see (of commitments and of bodies), soonest first, with
    filters that swap the table in place; ``?format=csv`` downloads what they select."""
    today = timezone.localdate()
    form = MilestoneFilterForm(request.GET or None, user=request.user)
    milestones = form.filter(Milestone.objects.visible_to(request.user).active().for_list(), today)
    if request.GET.get("format") == "csv":
        return exports.csv_response("milestones", export_lists.MILESTONES, milestones)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": capped_page(request, milestones.with_moves(), PAGE_SIZE),
        "page_query": query.urlencode(),
        "today": today,
    }
    return render_page(
        request, "agreements/milestone_list.html", context, partial="milestone-table"
    )
