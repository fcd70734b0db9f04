"""What every page view shares: choosing between the page and one of its partials."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ..models import Archivable, VersionConflict


def wants_fragment(request: HttpRequest) -> bool:
    """A plain htmx request (not boosted, not a history restore) gets a partial, not the page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render ``template``, or only its ``partial`` for a plain htmx request.

    The server picks the partial (never a request parameter). A form with errors is answered
    with status 422, which the htmx config in base.html swaps in place.
    """
    name = f"{template}#{partial}" if partial and wants_fragment(request) else template
    return render(request, name, context, status=status)


def archive_record(request: HttpRequest, record: Archivable, page: str) -> HttpResponse:
    """Archive a record (never delete it) with the reason given, then show its page again."""
    try:
        record.archive(by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except VersionConflict:
        messages.error(request, "Someone else changed it meanwhile: look again, then archive.")
    else:
        messages.success(request, f"“{record}” archived: it has left the lists and averages.")
    return redirect(page, pk=record.pk)


def annotated_page(
    request: HttpRequest,
    queryset: QuerySet,
    annotate: Callable[[QuerySet], QuerySet],
    per_page: int = 25,
) -> Page:
    """Paginate on the ordered ids, then fetch and ``annotate`` only the rows shown: per-row
    figures (counts, indexes) then cost one page, not the whole table."""
    page = Paginator(queryset.values_list("pk", flat=True), per_page).get_page(
        request.GET.get("page")
    )
    ids = list(page.object_list)
    rows = {row.pk: row for row in annotate(queryset.model.objects.filter(pk__in=ids))}
    page.object_list = [rows[pk] for pk in ids]
    return page
