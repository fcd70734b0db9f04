from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from ..search import search
from .common import render_drawn


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """Meetings, commitments, statements and claims matching the words, best first; the
    results drawn once per revision of the records for everyone who sees the same teams and
    asks the same (``render_drawn``)."""
    words = request.GET.get("q", "").strip()[:200]

    def results() -> dict:
        return {"q": words, "sections": search(request.user, words)}

    return render_drawn(request, "agreements/search.html", "results", results, around={"q": words})
