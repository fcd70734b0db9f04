from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .. import actions, permissions
from ..forms import DrawnReviewForms, ReviewFilterForm, ReviewForm
from ..models import ProgressUpdate
from ..models.reviews import QUEUE_ORDER
from .common import (
    Outcome,
    PageAction,
    picker_options,
    query_without,
    render_page,
    render_row,
    run_action,
    wants_fragment,
)
from .list_reads import update_sources
from .paging import CappedPaginator, annotated_page, runs

PAGE_SIZE = 25


@require_http_methods(["GET", "POST"])
def review_queue(request: HttpRequest) -> HttpResponse:
    """Submitted updates the user may review, oldest first, with their evidence inline, 25 at a
    time (issue #27: a reviewer of a busy team drew 30,000 of them, 56 MB). Narrowed by team
    and meeting (``ReviewFilterForm``, swapped in place); says how many wait, counted up to
    ``CappedPaginator.CAP``; "Show more" appends the next rows in place (htmx), and without
    JavaScript the same link opens the page after these (``?after=<id>``, keyset).

    Each row approves or returns its update (``ACTIONS``) and answers with the row as the
    decision left it (htmx) or a redirect to the queue as it was filtered (the form posts to
    the page's address, filters and all). An approval that proposes a status makes it
    official, with its history entry.
    """
    form = _filters(request)
    if request.method == "POST":
        return run_action(
            request,
            ACTIONS,
            get=lambda permission: permissions.get_update_for_review(
                request.user, request.POST.get("update")
            ),
            render=lambda request, update, **drawn: _render_row(request, update, form, **drawn),
            page_url=lambda update: _address(request),
        )
    if options := picker_options(request, form):
        return options
    waiting, split = _queue(request, form)
    page = annotated_page(
        request,
        waiting,
        lambda rows: rows.for_review(),
        PAGE_SIZE,
        split=split,
        order=QUEUE_ORDER,
        in_order=True,  # counted along the runs' index: not by hashing the team's commitments
        made=("review_rows",),  # the rows' SQL (five tables joined) made once a process
    )
    forms = DrawnReviewForms()
    cited = update_sources([update.pk for update in page.object_list])
    rows = [
        {"update": update, "form": forms.blank(update.pk), "sources": cited.get(update.pk, [])}
        for update in page.object_list
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "waiting": page.paginator,
        "waiting_oob": wants_fragment(request),
        "page_query": query_without(request, "page", "after"),
        "action_url": _address(request),  # where the rows' decisions post
        # With htmx, the rows after the cursor are appended to those shown ("Show more").
        "appended": "after" in request.GET and wants_fragment(request),
    }
    partial = "review-more" if "after" in request.GET else "review-list"
    return render_page(request, "agreements/review_queue.html", context, partial=partial)


def _filters(request: HttpRequest) -> ReviewFilterForm:
    """The queue's filters as the page's address gives them (a decision posts to it too)."""
    teams = permissions.reviewed_teams(request.user)
    return ReviewFilterForm(request.GET or None, teams=teams)


def _queue(request: HttpRequest, form: ReviewFilterForm):
    """The updates waiting for the user's review as filtered, in the queue's order, and the
    runs they are read in (``ProgressUpdateQuerySet.queue_of``)."""
    waiting, split = ProgressUpdate.objects.queue_of(request.user, form.team_ids())
    return form.filter(waiting).order_by(*QUEUE_ORDER), split


def _count(request: HttpRequest, form: ReviewFilterForm) -> CappedPaginator:
    """How many updates wait in the queue as filtered: each run counted up to the cap, along
    its index, as the page counts them."""
    waiting, split = _queue(request, form)
    ids = waiting.values_list("pk", flat=True)
    return CappedPaginator(ids, PAGE_SIZE, in_order=True, parts=runs(ids, **split))


def _address(request: HttpRequest) -> str:
    """The queue as the reader had it filtered: where its decisions post, and redirect."""
    query = query_without(request, "page", "after")
    return reverse("agreements:review_queue") + (f"?{query}" if query else "")


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
    request: HttpRequest,
    update: ProgressUpdate,
    filters: ReviewFilterForm,
    *,
    partial: str | None,
    outcome: Outcome,
) -> HttpResponse:
    """One update's row as it stands now: the form again while it still awaits review."""
    form = outcome.forms.get("form")  # bound to what was posted, with its errors
    if form is not None:
        form = DrawnReviewForms.drawn(form)
    elif update.awaits_review:
        form = DrawnReviewForms().blank(update.pk)
    row = {
        "update": update,
        "form": form,
        "sources": update_sources([update.pk]).get(update.pk, []),
    }
    # The queue's count follows the decision: out of band beside the row (htmx); without
    # JavaScript the redirect draws the page, and its count, anew.
    waiting = {
        "waiting": _count(request, filters),
        "waiting_oob": wants_fragment(request),
        "page_query": query_without(request, "page", "after"),
        "action_url": _address(request),
        "form": filters,
    }
    return render_row(
        request,
        "agreements/review_queue.html",
        row,
        partial=partial,
        outcome=outcome,
        extra=waiting,
    )
