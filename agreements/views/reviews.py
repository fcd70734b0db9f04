from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .. import actions, permissions
from ..forms import ReviewForm
from ..models import ProgressUpdate
from .common import Outcome, PageAction, render_page, render_row, run_action, wants_fragment


@require_http_methods(["GET", "POST"])
def review_queue(request: HttpRequest) -> HttpResponse:
    """Submitted updates the user may review, oldest first, with their evidence inline.

    Each row approves or returns its update (``ACTIONS``) and answers with the row as the
    decision left it (htmx) or a redirect. An approval that proposes a status makes it
    official, with its history entry.
    """
    if request.method == "POST":
        return run_action(
            request,
            ACTIONS,
            get=lambda permission: permissions.get_update_for_review(
                request.user, request.POST.get("update")
            ),
            render=_render_row,
            page_url=lambda update: reverse("agreements:review_queue"),
        )
    updates = (
        _waiting(request)
        .select_related("commitment__meeting__team", "author", "revises")
        .prefetch_related("sources")
        .order_by("created_at", "pk")
    )
    rows = [{"update": u, "form": ReviewForm(update=u)} for u in updates]
    context = {"rows": rows, "waiting": len(rows)}
    return render_page(request, "agreements/review_queue.html", context)


def _waiting(request: HttpRequest):
    return ProgressUpdate.objects.reviewable_by(request.user).awaiting_review()


def _decide(decision: str):
    """The action approving or returning the update, with the reviewer's comment."""
    decide = actions.approve_update if decision == "approve" else actions.return_update
    done = (
        gettext_lazy("Approved: update on “%(title)s” by %(author)s.")
        if decision == "approve"
        else gettext_lazy("Returned to its author: update on “%(title)s” by %(author)s.")
    )

    def handler(request: HttpRequest, update: ProgressUpdate) -> Outcome:
        form = ReviewForm(request.POST, update=update, decision=decision)
        if not form.is_valid():
            return Outcome(forms={"form": form})
        decided = decide(update=update, by=request.user, comment=form.cleaned_data["comment"])
        return Outcome(
            notice=done % {"title": update.commitment.title, "author": update.author},
            record=decided,
        )

    return handler


ACTIONS = {
    "approve": PageAction(_decide("approve"), "review-row", permission="review"),
    "return": PageAction(_decide("return"), "review-row", permission="review"),
}


def _render_row(
    request: HttpRequest, update: ProgressUpdate, *, partial: str | None, outcome: Outcome
) -> HttpResponse:
    """One update's row as it stands now: the form again while it still awaits review."""
    form = outcome.forms.get("form")
    if form is None and update.awaits_review:
        form = ReviewForm(update=update)
    row = {"update": update, "form": form}
    # The queue's count follows the decision: out of band beside the row (htmx); without
    # JavaScript the redirect draws the page, and its count, anew.
    waiting = {"waiting": _waiting(request).count(), "waiting_oob": wants_fragment(request)}
    return render_row(
        request,
        "agreements/review_queue.html",
        row,
        partial=partial,
        outcome=outcome,
        extra=waiting,
    )
