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
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django import forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.query import ModelIterable
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .. import actions
from ..forms.base import SearchSelect
from ..ids import is_id, number_in
from ..models import Archivable, VersionConflict, crosses_many, found_by
from ..models.unions import orders_in_union


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
    # The section that answers an action shows its outcome (includes/outcome.html).
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


def runs(queryset: QuerySet, **values: list) -> list[QuerySet]:
    """``queryset`` (ordered) split into one run per combination of ``values`` (a field and
    the values it takes in the list: the teams the reader sees, a claim's open verifications).

    Each run is read along an index that leads with those fields, in the list's order, and
    stops at the rows a page needs; the list as one query over several teams is sorted in
    full first (PostgreSQL reads an index in order for one value of its leading column, not
    for a list of them): 90,000 rows sorted for a page of 25 (issue #27)."""
    names = list(values)
    return [
        queryset.filter(**dict(zip(names, combination, strict=True)))
        for combination in itertools.product(*values.values())
    ]


def merged(queryset: QuerySet, parts: list[QuerySet], start: int, stop: int) -> list:
    """The primary keys of ``queryset[start:stop]``, read from its ``parts`` (``runs``): the
    first ``stop`` of each run, merged.

    On PostgreSQL the database merges them, in one query (``UNION ALL`` of the runs, each
    along its index, merged in the list's order) that answers only the page's ids: a deep
    page (the 400th: 10,000 rows of a run) costs a walk of the index, not 10,000 rows sent to
    Python. Elsewhere (SQLite takes no ORDER BY or LIMIT inside a UNION), ordered by numbers
    and dates that are never empty, they are merged here on their sort values; else those
    few rows are put in the list's order by the database (its own order of texts and empty
    values, which Python's would not match)."""
    parts = [part for part in parts if not part.query.is_empty()]  # ``none()``: no rows
    if stop <= start or not parts:  # an empty list (``[:0]`` would be ``none()`` too)
        return []
    if len(parts) == 1:
        return list(parts[0].values_list("pk", flat=True)[start:stop])
    order = queryset.query.order_by
    names = [c.removeprefix("-") for c in order if isinstance(c, str)]
    if (
        orders_in_union(queryset)
        and names
        and len(names) == len(order)
        and names[-1] == "pk"
        # Not by an annotation (a past day's status): a list of ids selects none of them.
        and not any(name in queryset.query.annotations for name in names)
    ):
        firsts = [part.values_list(*names)[:stop] for part in parts]
        rows = firsts[0].union(*firsts[1:], all=True).order_by(*order)[start:stop]
        return [row[-1] for row in rows]
    if _merges_here(queryset.model, order):
        names = [column.removeprefix("-") for column in order]
        descending = [column.startswith("-") for column in order]

        def key(row: tuple) -> tuple:
            return tuple(_Reversed(v) if d else v for v, d in zip(row, descending, strict=True))

        rows = heapq.merge(*(part.values_list(*names)[:stop] for part in parts), key=key)
        return [row[-1] for row in itertools.islice(rows, start, stop)]
    firsts = [pk for part in parts for pk in part.values_list("pk", flat=True)[:stop]]
    return list(queryset.filter(pk__in=firsts).values_list("pk", flat=True)[start:stop])


class _Reversed:
    """A sort value in descending order (``merged``)."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and other.value == self.value


def _merges_here(model, order) -> bool:
    """Whether rows in ``order`` (column names, the last the primary key) sort the same in
    Python as in the database: numbers, dates and times, none of them ever empty."""
    if not order or not all(isinstance(column, str) for column in order):
        return False
    names = [column.removeprefix("-") for column in order]
    if names[-1] != "pk":
        return False
    for name in names[:-1]:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False  # an annotation: the database's to sort
        target = field.target_field if field.many_to_one else field
        numeric = isinstance(target, models.IntegerField | models.AutoField | models.DateField)
        if field.null or not numeric or field.many_to_many or field.one_to_many:
            return False
    return True


def rows_of(queryset: QuerySet, ids: list) -> list:
    """The rows of ``queryset`` with these primary keys, in their order, with whatever it
    selects and prefetches (ids as they are when it yields no model instances)."""
    if not issubclass(queryset._iterable_class, ModelIterable):
        return ids
    rows = {row.pk: row for row in queryset.filter(pk__in=ids)}
    return [rows[pk] for pk in ids]


def first_rows(queryset: QuerySet, parts: list[QuerySet], count: int) -> list:
    """The first ``count`` rows of ``queryset``, read from its ``parts`` (``runs``)."""
    return rows_of(queryset, merged(queryset, parts, 0, count))


def after_row(queryset: QuerySet, order: tuple[str, ...], pk: object) -> Q | None:
    """The rows of ``queryset`` (in ``order``, which ends with the primary key) after the one
    with primary key ``pk``: a keyset cursor (``?after=<id>``), so the next page starts where
    the last one ended, along the index, instead of walking every row before it (a list's
    400th page: 10,000 rows). None when the row is not in the list (any more), or when a
    column of the order may be empty (its place among the rest is the database's to say):
    the list is then paged by number."""
    names = [field.removeprefix("-") for field in order]
    if not is_id(pk) or not _keyed(queryset.model, order):
        return None
    row = queryset.filter(pk=pk).values(*names).first()
    if row is None:
        return None
    after, equal = Q(pk__in=[]), Q()
    for column, name in zip(order, names, strict=True):
        beyond = "lt" if column.startswith("-") else "gt"
        after |= equal & Q(**{f"{name}__{beyond}": row[name]})
        equal &= Q(**{name: row[name]})
    # The first column's bound on its own too: where the index walk starts.
    lead = "lte" if order[0].startswith("-") else "gte"
    return Q(**{f"{names[0]}__{lead}": row[names[0]]}) & after


def _keyed(model, order: tuple[str, ...]) -> bool:
    """Whether a list in ``order`` may be paged by cursor (``after_row``)."""
    names = [field.removeprefix("-") for field in order]
    return names[-1] == "pk" and not any(model._meta.get_field(n).null for n in names[:-1])


class CappedPaginator(Paginator):
    """Counts at most ``CAP`` rows, or as far as the page asked for and the one after it, so a
    list's size costs a bounded walk of its index, never a count of the whole table. Past
    the cap the list says "more than" and offers the next page while there is one.

    ``count``, when given, is the list's exact size read from stored state (the commitment
    tallies): nothing is counted then. ``in_order`` counts along the list's order, for a list
    whose order is its index's (the open claims: team, verification, id), where the unordered
    count lets PostgreSQL pick a join that walks a whole parent table instead.

    ``parts``: the list split into ``runs`` (a queryset of ids each): a page is ``merged``
    from them and the count is theirs, each along its own index."""

    CAP = 1_000

    def __init__(
        self,
        object_list,
        per_page,
        *,
        reach: int = 0,
        count: int | None = None,
        in_order: bool = False,
        parts: list[QuerySet] | None = None,
        after: Q | None = None,
    ):
        super().__init__(object_list, per_page)
        self.cap = max(self.CAP, reach + per_page)
        self.known = count
        self.in_order = in_order
        self.parts = parts
        self.after = after

    def page(self, number) -> Page:
        if not self.parts and self.after is None:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows, parts = self.object_list, self.parts or [self.object_list]
        if self.after is not None:  # the page after the cursor's row, numbered as asked
            rows, parts = rows.filter(self.after), [part.filter(self.after) for part in parts]
            bottom, top = 0, self.per_page
        return self._get_page(rows_of(rows, merged(rows, parts, bottom, top)), number, self)

    @cached_property
    def counted(self) -> int:
        if self.known is not None:
            return self.known
        if self.parts:  # each run counted on its own (along its index when in order)
            parts = self.parts if self.in_order else [part.order_by() for part in self.parts]
            return sum(part[: self.cap + 1].count() for part in parts)
        # Any cap + 1 rows count the same as the first cap + 1: unordered, the database stops
        # at the first rows it finds instead of sorting every match (docs/benchmarks.md).
        rows = self.object_list
        if hasattr(rows, "order_by") and not self.in_order:
            rows = rows.order_by()
        return rows[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return self.counted if self.known is not None else min(self.counted, self.cap)

    @property
    def capped(self) -> bool:
        return self.known is None and self.counted > self.cap


MAX_PAGE = 1_000_000


def capped_page(
    request: HttpRequest,
    queryset: QuerySet,
    per_page: int = 25,
    count: int | None = None,
    *,
    in_order: bool = False,
    parts: list[QuerySet] | None = None,
    after: Q | None = None,
    paginator: type[CappedPaginator] = CappedPaginator,
) -> Page:
    """The page of ``queryset`` asked for (``?page=``), counted by ``paginator`` (a
    ``CappedPaginator``, or a list's own kind of one)."""
    number = request.GET.get("page")
    try:
        # Past the end of any list, and a LIMIT every database takes (a page number of 20
        # digits overflowed SQLite's integers).
        reach = min(max(int(number), 1), MAX_PAGE) * per_page
    except (TypeError, ValueError):
        reach = 0
    return paginator(
        queryset, per_page, reach=reach, count=count, in_order=in_order, parts=parts, after=after
    ).get_page(number)


def annotated_page(
    request: HttpRequest,
    queryset: QuerySet,
    annotate: Callable[[QuerySet], QuerySet],
    per_page: int = 25,
    count: int | None = None,
    *,
    split: dict[str, list] | None = None,
    order: tuple[str, ...] | None = None,
) -> Page:
    """Paginate on the ordered ids, then fetch and ``annotate`` only the rows shown: per-row
    figures (counts, indexes) and joins then cost one page, not every row skipped on the way
    to a deep page. ``split``: the ``runs`` the ids are read in (e.g. ``{"team": [1, 3]}``).
    ``order``: the list's order, when its pages may follow a cursor (``?after=<id>``, the
    last row of the page before: ``after_row``); the page then offers its own last row as the
    next page's (``page.next_after``)."""
    ids = queryset.values_list("pk", flat=True)
    parts = runs(ids, **split) if split else None
    after = request.GET.get("after")
    after = after_row(queryset, order, after) if order and after else None
    page = capped_page(request, ids, per_page, count, parts=parts, after=after)
    ids = list(page.object_list)
    keyed = order is not None and _keyed(queryset.model, order)
    page.next_after = ids[-1] if keyed and ids and page.has_next() else None
    rows = {row.pk: row for row in annotate(queryset.model.objects.filter(pk__in=ids))}
    page.object_list = [rows[pk] for pk in ids]
    return page
