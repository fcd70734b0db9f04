"""Changelists whose cost is a page, whatever the size of the table (issue #27, point 7).

- No count of the whole table: ``show_full_result_count`` is off, and the paginator counts at
  most ``CappedPaginator.CAP`` rows, or as far as the page asked for and the one after it (the
  list then says "more than", ``templates/admin/pagination.html``).
- A page past the cap is read as its keys first (``KeysFirstPaginator``), along the index of
  the list's order alone, then its rows with the records they name: a deep page skips index
  entries, not joined rows. That read of keys is also the count: nothing else walks the list
  up to the page.
- Pages are numbered as far as ``KeysFirstPaginator.WALKED`` rows (the 1,000th page of 50):
  a page asked by a number past them is not walked to (the 5,000th of a million commitments
  skipped 250,000 entries, 20 ms of PostgreSQL's time, more than the rest of the page); it
  shows no rows, the first page's links and says how to reach rows further on (a search, a
  filter, the other order), ``templates/admin/pagination.html``.
- No facets (a count of every filter's every choice). A filter by a related record reads its
  choices by SQL made once a process (``RelatedOnce``).
- Search through the stored words the site search reads (``search_vector``, GIN-indexed) on
  PostgreSQL, the record's own or those of the record it belongs to (``words_of``), instead of
  ``icontains`` over joined tables, which reads every row. Elsewhere (SQLite) the admin's own
  ``search_fields`` search as Django does.
- No ``date_hierarchy`` on the large tables (meetings, commitments, milestones, statements,
  events, status changes, updates, review events, assessments): it lists the distinct years of every
  row. A date filter (``DateFieldListFilter``: today, past 7 days, this month, this year)
  takes its place and costs no query.
- Every changelist selects the records its columns name with its rows (``list_select_related``)
  and orders along an index; the tests (tests/test_admin_at_scale.py) explain each one.
- A list whose SQL depends on nothing but its address (``sql_of_address``: the commitments')
  compiles its count and its page's rows once a process for each set of parameters, the
  search's words and a page's keys given to that SQL as values (``made_once``'s
  ``count_of_built_once``, ``records_of_built_once``).
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from functools import cached_property
from operator import attrgetter

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR, ChangeList
from django.contrib.postgres.search import SearchQuery
from django.core.paginator import Page
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from .. import search
from ..models.made_once import count_of_built_once, records_of_built_once, records_of_made_once
from ..views.paging import MAX_PAGE, CappedPaginator

# What an empty cell shows, translated once for the changelist being drawn: Django's admin
# translates it again for every cell of the page (a lazy text, read through the catalogues).
EMPTY_SHOWN: ContextVar[str | None] = ContextVar("empty_shown", default=None)
# The text of the query the changelist being drawn searches its stored words with, None when
# it does not (``AtScale.get_search_results``).
SEARCHED: ContextVar[str | None] = ContextVar("searched", default=None)


class AtScale:
    """Mixed into every records admin (``base.RecordsAdmin``, ``base.AppendOnlyAdmin``).

    ``words_of`` names whose stored words the search reads: ``""`` the record's own, a path
    (``"commitment"``, ``"update__commitment"``) a related record's; ``None`` keeps Django's
    search over ``search_fields`` (small tables: parties, themes, teams).
    """

    show_full_result_count = False
    # Rows drawn a column at a time (``admin/rows.py``), the rest as Django's.
    change_list_template = "admin/records_change_list.html"
    # Facets count every choice of every filter over the whole table: not offered.
    show_facets = admin.ShowFacets.NEVER
    words_of: str | None = None
    # The columns a page's rows are read with (``QuerySet.only``), the records they name
    # included; () for all of them. Only the page's rows: an action is given whole records.
    list_only: tuple[str, ...] = ()
    # Whether the list's SQL depends on nothing but its address (its queryset and filters
    # read nothing of the reader or of the time): then its count and its page's rows are
    # compiled once a process for each set of parameters (``shape``), the search's words
    # and the page's keys given as values, where Django's ORM compiled them on every request.
    sql_of_address = False
    # What of a list's admin its SQL depends on, with its address (``shape``).
    SHAPING = (
        *("list_display", "list_filter", "list_only", "list_select_related", "ordering"),
        *("sortable_by", "list_per_page", "list_max_show_all", "search_fields", "words_of"),
        "date_hierarchy",
    )

    def changelist_view(self, request, extra_context=None):
        # ``_`` asks for a never-sent address (a browser's or a script's cache-buster, the
        # benchmark's cold reads), as the tracker's pages allow: no lookup, so not an error.
        if "_" in request.GET:
            request.GET = request.GET.copy()
            del request.GET["_"]
        token = EMPTY_SHOWN.set(mark_safe(str(super().get_empty_value_display())))
        searched = SEARCHED.set(None)
        try:
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):  # drawn here, where its empty text is known
                response.render()
            return response
        finally:
            SEARCHED.reset(searched)
            EMPTY_SHOWN.reset(token)

    def shape(self, request) -> tuple[tuple, dict] | None:
        """What the list's SQL depends on (``sql_of_address``): this admin and the address's
        parameters but the page (its rows' places are added to the key) and the words
        searched, which are a value (the query's text); None where it depends on more."""
        if not self.sql_of_address:
            return None
        given = sorted(  # the filters, the order, ...: all but the page and the search
            (k, tuple(v)) for k, v in request.GET.lists() if k not in (PAGE_VAR, SEARCH_VAR)
        )
        # What of this admin shapes the query, as it is now (a test changes some of it).
        shaping = [repr(getattr(self, name)) for name in self.SHAPING]
        # A moment's filter is read in the reader's time zone.
        zone = timezone.get_current_timezone_name()
        key = (type(self).__module__, type(self).__qualname__, *shaping, zone, *given)
        words = SEARCHED.get()
        if words is not None:
            return (*key, SEARCH_VAR), {"words": words}
        return (*key, SEARCH_VAR, request.GET.get(SEARCH_VAR, "")), {}

    def get_changelist(self, request, **kwargs):
        return PageList

    def get_list_filter(self, request):
        return [related_once(self.model, entry) for entry in super().get_list_filter(request)]

    def get_empty_value_display(self):
        shown = EMPTY_SHOWN.get()
        return super().get_empty_value_display() if shown is None else shown

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj, label: str | None = None):
        """Django's row checkbox, written out: the same markup, without rendering a form
        widget's template for every row. ``label``: its words, when translated once for the
        page's rows (``admin/rows.py``)."""
        if label is None:
            label = gettext("Select this object for an action - {}")
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(label, str(obj)),
        )

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            number = min(max(int(request.GET.get(PAGE_VAR, 1)), 1), MAX_PAGE)
        except (TypeError, ValueError):
            number = 1
        return KeysFirstPaginator(queryset, per_page, number=number, shape=self.shape(request))

    def get_search_results(self, request, queryset, search_term):
        if self.words_of is None or connection.vendor != "postgresql":
            return super().get_search_results(request, queryset, search_term)
        if not search_term.strip():
            return queryset, False
        words = whole_words(search_term)
        if words is None:  # only words no language indexes ("the", "de")
            return queryset.none(), False
        # The query's text, a parameter of the list's SQL (``shape``).
        SEARCHED.set(words.get_source_expressions()[-1].value)  # after its configuration
        if self.words_of == "":
            return queryset.filter(search_vector=words), False
        owner = words_owner(self.model, self.words_of)
        matched = owner.objects.filter(search_vector=words)
        return queryset.filter(**{f"{self.words_of}__in": matched.values("pk")}), False


class RelatedOnce(admin.RelatedFieldListFilter):
    """Django's filter by a related record, its choices read by SQL made once a process
    (``records_of_made_once``): the related model's rows, as its default manager gives them
    in its admin's order, are the same query for every list and request, which cost more to
    build and compile than to run (two on the commitments' list: themes and teams)."""

    def field_choices(self, field, request, model_admin):
        ordering = tuple(self.field_admin_ordering(field, request, model_admin) or ())
        if field.get_limit_choices_to() or not all(isinstance(o, str) for o in ordering):
            return super().field_choices(field, request, model_admin)  # a shape of its own
        related = field.remote_field.model
        value = attrgetter(field.remote_field.get_related_field().attname)

        def rows():  # as ``Field.get_choices`` reads them
            rows = related._default_manager.all()
            return rows.order_by(*ordering) if ordering else rows

        made = records_of_made_once(("admin_choices", related._meta.label, ordering), rows)
        return [(value(row), str(row)) for row in made]


def related_once(model, entry):
    """An entry of ``model``'s ``list_filter``: a related record's field named alone is
    filtered by ``RelatedOnce`` (where Django's admin chooses ``RelatedFieldListFilter``,
    for every field to another record); any other entry as it is."""
    if not isinstance(entry, str):
        return entry
    field = get_fields_from_path(model, entry)[-1]
    if isinstance(field, models.ForeignKey | models.ManyToManyField):
        return (entry, RelatedOnce)
    return entry


# The characters an address's parameters are written with as they are (``quote_plus``).
_UNQUOTED = re.compile(r"[A-Za-z0-9_.~-]*")


class PageList(ChangeList):
    """Django's changelist, with each row's link written from one reversed address: Django
    reverses the change page's address for every row."""

    MARK = "__pk__"

    @cached_property
    def change_url(self) -> str:
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_change"
        return reverse(name, args=(self.MARK,), current_app=self.model_admin.admin_site.name)

    def get_results(self, request):
        """Django's, the page's rows read with the model admin's ``list_only`` columns (not
        an editable list's: its forms save what they read)."""
        super().get_results(request)
        only = getattr(self.model_admin, "list_only", ())
        if only and not self.list_editable and isinstance(self.result_list, models.QuerySet):
            self.result_list = self.result_list.only(*only)
        shape = getattr(self.paginator, "shape", None)
        if shape and not self.list_editable and isinstance(self.result_list, models.QuerySet):
            key, values = shape
            keys = self.paginator.page_keys
            if keys is None:  # a slice of the list: its places are in its SQL
                query = self.result_list.query
                key = (*key, "rows", query.low_mark, query.high_mark)
            else:  # the page's rows by their keys, each a value
                key = (*key, "keys", len(keys))
                values = values | {f"id_{n}": pk for n, pk in enumerate(keys)}
            self.result_list = records_of_built_once(key, self.result_list, **values)

    def get_query_string(self, new_params=None, remove=None) -> str:
        """Django's (the list's parameters, less those ``remove`` starts, with ``new_params``,
        sorted and encoded), each parameter encoded once a page (``_encoded``): every link of
        the filters, the headers and the pages asks for the list's own parameters again,
        about 70 times a page."""
        params = self.filter_params.copy()
        for start in remove or ():
            for key in [key for key in params if key.startswith(start)]:
                del params[key]
        for key, value in (new_params or {}).items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        encoded = [self._encoded(key, value) for key, value in sorted(params.items())]
        return "?" + "&".join(piece for piece in encoded if piece)

    def _encoded(self, key, value) -> str:
        """``urlencode([(key, value)], doseq=True)``: a text or a list of texts (a parameter
        as the request gave it) encoded once a page, anything else each time."""
        if type(value) is str:
            if _UNQUOTED.fullmatch(key) and _UNQUOTED.fullmatch(value):
                return f"{key}={value}"  # what ``quote_plus`` leaves as it is
            kept = (key, value)
        elif type(value) is list and all(type(item) is str for item in value):
            kept = (key, tuple(value), list)
        else:
            return urlencode([(key, value)], doseq=True)
        try:
            return self._encodings[kept]
        except KeyError:
            encoded = self._encodings[kept] = urlencode([(key, value)], doseq=True)
            return encoded

    @cached_property
    def _encodings(self) -> dict:
        return {}

    def url_for_result(self, result) -> str:
        pk = str(getattr(result, self.pk_attname))
        if not pk.isdigit():  # a text key is quoted as the admin does (``quote``)
            return super().url_for_result(result)
        return self.change_url.replace(f"/{self.MARK}/", f"/{pk}/", 1)


class KeysFirstPaginator(CappedPaginator):
    """A changelist's pages, ``number`` the one asked for. Past ``CAP``, its keys are read
    first, in the list's order (along the order's index, without the joined records:
    PostgreSQL then skips the rows before a deep page in the index alone), then its rows,
    with the records they name, by key. Within the cap, a page is one query, as Django's.

    A page that starts past ``CAP`` is counted by that same read: its keys and the next
    page's, and one more to know whether there are more (the list then says "more than").
    A page past the end reads no key, and is out of range as in Django's admin.

    A page that starts past ``WALKED`` rows is ``unwalked``: no key is read, the list is
    counted as its first page is, and the page holds no rows, ``past`` the numbered pages
    (a list of one page is shown whole, as Django's admin shows it whatever the number)."""

    # How many rows a page asked by number may skip: 50,000 index entries are 4 ms of
    # PostgreSQL's time at most (0.08 µs an entry, read from memory), a fifth of a page's.
    WALKED = 50_000

    def __init__(self, object_list, per_page, *, number: int, shape: tuple | None = None):
        self.start = (number - 1) * per_page
        self.unwalked = self.start >= self.WALKED
        super().__init__(object_list, per_page, reach=(1 if self.unwalked else number) * per_page)
        self.number = number
        # The list's key and values (``AtScale.shape``) when its SQL is compiled once.
        self.shape = shape
        # The keys of the page asked for, when read first (``window``).
        self.page_keys: list | None = None

    @property
    def past(self) -> bool:
        """Asked for a page past the numbered ones, of a list of more than one page."""
        return self.unwalked and self.count > self.per_page

    @property
    def last_numbered(self) -> int:
        """The last page a number reaches (a list that long)."""
        return self.WALKED // self.per_page

    @cached_property
    def window(self) -> list | None:
        """The keys from the page asked for on, when it starts past the cap (else None)."""
        if self.start < self.CAP or self.unwalked:
            return None
        stop = self.start + 2 * self.per_page + 1
        keys = self.keys()[self.start : stop]
        if self.shape is None:
            return list(keys)
        key, values = self.shape
        return records_of_built_once((*key, "window", self.start, stop), keys, **values)

    @cached_property
    def counted(self) -> int:
        if self.window is not None:
            return self.start + len(self.window)
        if self.shape is None:
            return super().counted
        # ``CappedPaginator``'s count (unordered, up to the cap), compiled once.
        key, values = self.shape
        rows = self.object_list.order_by()[: self.cap + 1]
        return count_of_built_once((*key, "count", self.cap), rows, **values)

    def keys(self):
        return self.object_list.values_list("pk", flat=True)

    def page(self, number) -> Page:
        if self.unwalked and number == self.number:
            return Page([], number, self)  # not walked to: the template says so
        number = self.validate_number(number)
        if number != self.number or self.window is None:
            return super().page(number)  # within the cap: one query, a short walk
        # Still the list's queryset (ordered, its records selected): only these rows.
        keys = self.page_keys = self.window[: self.per_page]
        return self._get_page(self.object_list.filter(pk__in=keys), number, self)

    def get_elided_page_range(self, number=1, **kwargs):
        """Past the numbered pages, the first page's links: what the list's count reaches."""
        if self.unwalked and number == self.number:
            number = 1
        return super().get_elided_page_range(number, **kwargs)


def whole_words(words: str) -> SearchQuery | None:
    """Every word typed, as a whole word read as the site's search reads it (in each record's
    language: "borders" finds border). Not as a prefix, as the site's search-as-you-type does:
    PostgreSQL estimates how many rows hold a whole word from its statistics, and a prefix at
    a fixed 2%, which for a word most records hold (65% of the synthetic commitments say
    "border") makes it read every match first, where walking the list's order finds a page in
    a few rows."""
    return search.query(words, prefix=False)


def words_owner(model, path: str) -> type:
    """The model at the end of ``path`` (``update__commitment`` from a review event)."""
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    if model not in search.SEARCHED:
        raise ValueError(f"{model.__name__} keeps no stored words")
    return model
