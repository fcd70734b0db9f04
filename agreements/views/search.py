from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from ..search import search
from .common import render_page


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """Meetings, commitments, statements and claims matching the words, best first."""
    words = request.GET.get("q", "").strip()[:200]
    context = {"q": words, "sections": search(request.user, words)}
    return render_page(request, "agreements/search.html", context, partial="results")
