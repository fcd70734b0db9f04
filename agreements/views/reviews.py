from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from .. import actions, permissions
from ..forms import ReviewForm
from ..models import ProgressUpdate
from .common import render_page, wants_fragment


@require_http_methods(["GET", "POST"])
def review_queue(request: HttpRequest) -> HttpResponse:
    """Submitted updates the user may review, oldest first, with their evidence inline.

    POST approves or returns one (``decision``) and answers with its row (htmx) or a redirect.
    An approval that proposes a status makes it official, with its history entry.
    """
    if request.method == "POST":
        return _decide(request)
    updates = (
        ProgressUpdate.objects.reviewable_by(request.user)
        .awaiting_review()
        .select_related("commitment__meeting__team", "author", "revises")
        .prefetch_related("sources")
        .order_by("created_at", "pk")
    )
    rows = [{"update": u, "form": ReviewForm(update=u)} for u in updates]
    return render_page(request, "agreements/review_queue.html", {"rows": rows})


def _decide(request: HttpRequest) -> HttpResponse:
    update = permissions.get_update_for_review(request.user, request.POST.get("update"))
    form = ReviewForm(request.POST, update=update)
    decision = request.POST.get("decision")
    if decision not in ("approve", "return"):
        return HttpResponse("Choose approve or return.", status=400)
    if form.is_valid():
        comment = form.cleaned_data["comment"]
        try:
            if decision == "approve":
                actions.approve_update(update=update, by=request.user, comment=comment)
            else:
                actions.return_update(update=update, by=request.user, comment=comment)
        except ValidationError as error:
            form.add_error(None, error)
    if form.errors:
        row = {"update": update, "form": form}
        return render_page(
            request, "agreements/review_queue.html", {"row": row}, partial="review-row", status=422
        )
    notice = "Approved" if decision == "approve" else "Returned to its author"
    notice = f"{notice}: update on “{update.commitment.title}” by {update.author}."
    if wants_fragment(request):
        row = {"update": update, "form": None, "notice": notice}
        return render_page(
            request, "agreements/review_queue.html", {"row": row}, partial="review-row"
        )
    messages.success(request, notice)
    return redirect("agreements:review_queue")
