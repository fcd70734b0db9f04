"""Changelists whose cost is a page, whatever the size of the table (issue #27, point 7).

- No count of the whole table: ``show_full_result_count`` is off, and the paginator counts at
  most ``CappedPaginator.CAP`` rows, or as far as the page asked for and the one after it (the
  list then says "more than", ``templates/admin/pagination.html``).
- No facets (a count of every filter's every choice).
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
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.postgres.search import SearchQuery
from django.db import connection

from .. import search
from ..views.common import MAX_PAGE, CappedPaginator


class AtScale:
    """Mixed into every records admin (``base.RecordsAdmin``, ``base.AppendOnlyAdmin``).

    ``words_of`` names whose stored words the search reads: ``""`` the record's own, a path
    (``"commitment"``, ``"update__commitment"``) a related record's; ``None`` keeps Django's
    search over ``search_fields`` (small tables: parties, themes, teams).
    """

    show_full_result_count = False
    # Facets count every choice of every filter over the whole table: not offered.
    show_facets = admin.ShowFacets.NEVER
    words_of: str | None = None

    def changelist_view(self, request, extra_context=None):
        # ``_`` asks for a never-sent address (a browser's or a script's cache-buster, the
        # benchmark's cold reads), as the tracker's pages allow: no lookup, so not an error.
        if "_" in request.GET:
            request.GET = request.GET.copy()
            del request.GET["_"]
        return super().changelist_view(request, extra_context)

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            reach = min(max(int(request.GET.get(PAGE_VAR, 1)), 1), MAX_PAGE) * per_page
        except (TypeError, ValueError):
            reach = 0
        return CappedPaginator(queryset, per_page, reach=reach)

    def get_search_results(self, request, queryset, search_term):
        if self.words_of is None or connection.vendor != "postgresql":
            return super().get_search_results(request, queryset, search_term)
        if not search_term.strip():
            return queryset, False
        words = whole_words(search_term)
        if words is None:  # only words no language indexes ("the", "de")
            return queryset.none(), False
        if self.words_of == "":
            return queryset.filter(search_vector=words), False
        owner = words_owner(self.model, self.words_of)
        matched = owner.objects.filter(search_vector=words)
        return queryset.filter(**{f"{self.words_of}__in": matched.values("pk")}), False


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
