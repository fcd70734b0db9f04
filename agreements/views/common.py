"""What every page view shares: choosing between the page and one of its partials, and
answering a page's actions.

A page that changes things names its actions in one registry, ``ACTIONS = {"name":
PageAction(handler, partial, permission)}``, posted as the ``action`` field. ``run_action``
fetches the record with that permission, calls the handler (which parses input and calls one
function of ``actions``) and answers, the same way on every page: the changed section for htmx,
else a message and a redirect; a refused action or a form with errors gets the section again,
with the reason or the errors, at 409 or 422 (the whole page without JavaScript).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .. import actions
from ..forms.selects import SearchSelect
from ..ids import number_in
from ..models import Archivable, VersionConflict, crosses_many, found_by


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
    # The section that answers an action shows its outcome (the ``action_outcome`` tag).
    context = {"answered": partial or "page", **context}
    response = render(request, name, context, status=status)
    if partial:  # one URL, two answers: caches must key on the header that picks one
        patch_vary_headers(response, ["HX-Request"])
    return response


def add_form_partial(request: HttpRequest, adding: Any, form: Any) -> HttpResponse:
    """An add form of a record's page, opened in place (``?add=<kind>``, htmx): the form alone,
    the partial ``add-form`` of includes/add_form.html (``adding``: its kind, action, title,
    section). The page itself draws its add forms closed and empty."""
    context = {"adding": adding, "form": form}
    return render_page(request, "agreements/includes/add_form.html", context, partial="add-form")


@dataclass
class Outcome:
    """What a page action did: a notice for the user, or the forms it could not accept
    (``forms``, by their context name), or why it was refused (``refusal``). ``record`` is the
    record as the action left it, when the page must show that one rather than the record
    fetched before the action (a progress update's review state is read with the record)."""

    notice: str = ""
    forms: dict[str, Any] = field(default_factory=dict)
    refusal: str = ""
    record: Any = None

    @property
    def status(self) -> int:
        if self.refusal:
            return 409
        return 422 if self.forms else 200


type Permission = Literal["view", "edit", "review"]
type Handler = Callable[[HttpRequest, Any], Outcome]


@dataclass(frozen=True)
class PageAction:
    """One thing a page lets a user do: who may (``permission`` on the page's record), what
    does it (``handler``), and which section of the page answers (``partial``; None for the
    whole page)."""

    handler: Handler
    partial: str | None
    permission: Permission = "edit"


def run_action(
    request: HttpRequest,
    registry: dict[str, PageAction],
    *,
    get: Callable[[Permission], Any],
    render: Callable[..., HttpResponse],
    page_url: Callable[[Any], str],
) -> HttpResponse:
    """Answer the POSTed ``action`` of a page (see the module's docstring).

    ``get(permission)`` fetches the record through ``permissions`` (404 for what the user
    cannot see, 403 for what they cannot do); ``render(request, record, partial=, outcome=)``
    draws the page or the section; ``page_url(record)`` is where a done action redirects.
    """
    action = registry.get(request.POST.get("action", ""))
    if action is None:
        get("view")  # 404 for a record the user cannot see, as for every action
        return HttpResponseBadRequest(_("Unknown action."))
    record = get(action.permission)
    try:
        outcome = action.handler(request, record)
    except VersionConflict as conflict:
        outcome = Outcome(
            refusal=_(
                "Someone else changed “%(record)s” since you opened the page: here is how it "
                "stands now. Nothing was changed."
            )
            % {"record": conflict.record}
        )
    except ValidationError as error:
        outcome = Outcome(refusal=" ".join(error.messages))
    if outcome.record is not None:
        record = outcome.record
    elif outcome.refusal and hasattr(record, "refresh_from_db"):
        record.refresh_from_db()  # the handler may have changed it in memory before refusing
    if outcome.status == 200 and not wants_fragment(request):
        messages.success(request, outcome.notice)
        return redirect(page_url(record))
    return render(request, record, partial=action.partial, outcome=outcome)


def run_record_action(
    request: HttpRequest,
    registry: dict[str, PageAction],
    *,
    fetch: Callable[..., Any],
    pk: object,
    render: Callable[..., HttpResponse],
) -> HttpResponse:
    """``run_action`` for a record's own page, the same on every one: the record fetched by
    ``fetch(user, pk, edit=…/review=…)`` of ``permissions`` with the action's permission, and a
    done action redirected (without JavaScript) to the record's page."""

    def get(permission: Permission):
        needs = {} if permission == "view" else {permission: True}
        return fetch(request.user, pk, **needs)

    return run_action(
        request, registry, get=get, render=render, page_url=lambda record: record.get_absolute_url()
    )


def render_row(
    request: HttpRequest,
    template: str,
    row: dict,
    *,
    partial: str | None,
    outcome: Outcome,
    extra: dict | None = None,
) -> HttpResponse:
    """The row of a list that answered an action (``partial``), with the action's outcome;
    without JavaScript, the page with that row. ``extra``: more of the page's context (what
    the row's answer also redraws out of band)."""
    row = row | {"outcome": outcome, "answered": partial}
    context = {"row": row, "rows": [row], **(extra or {})}
    return render_page(request, template, context, partial=partial, status=outcome.status)


def archive(request: HttpRequest, record: Archivable) -> Outcome:
    """The "archive" action of a record's page: archived with the reason given, never deleted."""
    actions.archive_record(record=record, by=request.user, reason=request.POST.get("reason", ""))
    return Outcome(
        notice=_("“%(record)s” archived: it has left the lists and averages.") % {"record": record}
    )


ARCHIVE = PageAction(archive, partial=None)


def posted_day(request: HttpRequest, name: str) -> datetime.date | None:
    """A day posted beside an action (an optional date input), None when left empty; one that
    is not a date refuses the action with the field's message."""
    return forms.DateField(required=False).clean(request.POST.get(name, ""))


def version_of(request: HttpRequest, name: str = "version") -> int:
    """The version a form was opened at, as posted (0, which never matches, when missing)."""
    value = request.POST.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 0


def query_without(request: HttpRequest, *keys: str) -> str:
    """The page's query string but ``keys``: a list's filters, kept by its pagination, sort
    and CSV links."""
    query = request.GET.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()


PICK_LIMIT = 20


def picker_options(request: HttpRequest, *forms_on_page: forms.BaseForm) -> HttpResponse | None:
    """The options of a search-as-you-type picker (``SearchSelect``) of one of the page's forms,
    when its search box asks (``?_pick=<field's name>&find=<words>``): the chosen ones, then up
    to ``PICK_LIMIT`` matches among what the field offers (already limited to what the user may
    see). None for any other request: the page renders as usual."""
    name = request.GET.get("_pick", "")
    picker = next(
        (
            field
            for form in forms_on_page
            for field_name, field in form.fields.items()
            if form.add_prefix(field_name) == name
        ),
        None,
    )
    if not request.htmx or picker is None or not isinstance(picker.widget, SearchSelect):
        return None
    find = request.GET.get("find", "").replace("\x00", "").strip()[:100]  # no NUL in SQL text
    kind = getattr(picker, "kind", "")
    chosen = [n for v in request.GET.getlist(name) if (n := number_in(v, kind))]
    empty = getattr(picker, "empty_label", None)
    multiple = picker.widget.allow_multiple_selected
    rows = [] if multiple or empty is None else [("", empty, False)]
    picked = list(picker.queryset.filter(pk__in=chosen))
    label = picker.widget.label_of
    rows += [(obj.pk, label(picker, obj), True) for obj in picked]
    if find:
        # Each word typed in one of the fields, accents and case aside ("méx 2025").
        fields = picker.widget.search_fields
        matches = picker.queryset.filter(found_by(fields, find))
        if crosses_many(matches.model, fields):  # a party's aliases: one row each
            matches = matches.distinct()
        matches = matches.exclude(pk__in=[o.pk for o in picked])
        rows += [(o.pk, label(picker, o), False) for o in matches[:PICK_LIMIT]]
    # Each option's value as the field writes its ids (``party-3``, or a bare number).
    rows = [(picker.prepare_value(pk) if pk != "" else pk, *rest) for pk, *rest in rows]
    if hasattr(picker.widget, "options_html"):  # a picker of ticked boxes (``SearchCheckboxes``)
        return HttpResponse(picker.widget.options_html(name, rows))
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((pk, mark_safe(" selected") if selected else "", label) for pk, label, selected in rows),
    )
    return HttpResponse(options)
