from __future__ import annotations

import functools

from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import actions, export_lists, exports, permissions
from ..forms import ClaimFilterForm, ClaimVerificationForm
from ..models import OPEN_VERIFICATIONS, Claim, Source
from ..models.lines_made_once import visible_count, visible_rows
from ..models.made_once import generic_plans, rows_of_ids_made_once
from ..models.unions import orders_in_union
from .common import (
    Outcome,
    PageAction,
    picker_options,
    query_without,
    render_page,
    render_row,
    run_action,
)
from .list_reads import through_source
from .paging import CappedPaginator, capped_page, runs

PAGE_SIZE = 25


@require_http_methods(["GET", "POST"])
def claim_list(request: HttpRequest) -> HttpResponse:
    """Everything unconfirmed or disputed in the user's records; editors re-verify in place.

    Editors move a claim to another verification state (``ACTIONS``), citing a source when the
    state needs one; the answer is that claim's row (htmx) or a redirect back to the page. A
    row's form is fetched when its editor opens it (``?verify=<claim>``), so a page of claims
    renders no form.
    """
    if request.method == "POST":
        return run_action(
            request,
            ACTIONS,
            get=lambda permission: permissions.get_claim_for_user(
                request.user, request.POST.get("claim"), edit=permission == "edit"
            ),
            render=_render_row,
            page_url=lambda claim: reverse("agreements:claim_list"),
        )
    form = ClaimFilterForm(request.GET or None, user=request.user)
    if "_pick" in request.GET:
        # The source picker of a row: the sources of the teams the user edits (the form
        # checks, on saving, that the source is the claim's team's); the filters' pickers.
        editable_sources = Source.objects.citable_in(permissions.editable_teams(request.user))
        picker = ClaimVerificationForm(claim=Claim(), sources=editable_sources)
        if options := picker_options(request, picker, form):
            return options
    if "verify" in request.GET:
        return _open_form(request)

    def still_open() -> QuerySet[Claim]:
        return form.filter(Claim.objects.visible_to(request.user).still_open())

    if request.GET.get("format") == "csv":  # every open claim the filters select
        claims = still_open().select_related("team", "meeting", "commitment", "body")
        return exports.csv_response(
            "open-claims", export_lists.CLAIMS, claims.prefetch_related("sources")
        )

    # Read and counted along the index (team, verification, id), one run per team and open
    # state: at 100,000 commitments PostgreSQL otherwise sorts every open claim of the
    # reader's teams, or picks a join that walks a whole parent table to count them.
    open_claims = still_open()
    teams = permissions.visible_team_ids(request.user)
    # The page's rows with what they show alone (not the texts and stored words of the
    # records they are about); their sources' titles in one plain read.
    shown = _shown(open_claims)
    if teams and not form.chooses() and orders_in_union(shown):  # its runs made once
        paginator, parts = functools.partial(_Unfiltered, reader=request.user, teams=teams), None
    else:
        paginator = _CountedInTurn
        parts = runs(open_claims, team=teams, verification=list(OPEN_VERIFICATIONS))
    page = capped_page(request, shown, PAGE_SIZE, in_order=True, parts=parts, paginator=paginator)
    titles = _source_titles([claim.pk for claim in page.object_list])
    verify = reverse("agreements:claim_list") + "?verify="  # built once, not per row
    rows = [
        _listed(
            claim,
            permissions.edits_team(request.user, claim.team_id),
            verify,
            titles.get(claim.pk, []),
        )
        for claim in page.object_list
    ]
    context = {
        "form": form,
        "rows": rows,
        "page": page,
        "page_query": query_without(request, "page"),
    }
    return render_page(request, "agreements/claim_list.html", context, partial="claim-list")


class _CountedInTurn(CappedPaginator):
    """Counts the runs one after the other until the cap is passed: the first run of a large
    list (a team's unconfirmed claims) is then the only one counted, each claim counted
    costing a look at the records it hangs from (``active``). Its cap is lower than the
    other lists': past 200 open claims the page says "more than 200", which serves working
    through them as well as the exact figure, at a fifth of the cost (issue #27)."""

    CAP = 200

    @cached_property
    def counted(self) -> int:
        total = 0
        for part in self.parts:
            total += part[: self.cap + 1 - total].count()
            if total > self.cap:
                break
        return total


class _Unfiltered(_CountedInTurn):
    """Every open claim the reader sees, unfiltered (the page as first opened), on a database
    that takes a LIMIT inside a UNION: the same count and pages as ``_CountedInTurn``'s,
    each in one query of the runs (a ``UNION ALL``; counted, the runs merged by id along
    their indexes until the cap: at most the cap and a row a run), its SQL made once a
    process for the reader's number of teams (``visible_rows``) and run with PostgreSQL's
    generic plan (``generic_plans``: planning the runs' UNION anew took 1.3 ms a request,
    more than running it; ``tests/test_query_plans.py`` checks the plan). The ORM built and
    compiled the count, the union and the rows' read every request: about 3.5 ms of
    Python's 15 on this page at 100,000 (issue #27)."""

    def __init__(self, *args, reader, teams: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.reader = reader
        self.runs_of = {f"run_{n}": team for n, team in enumerate(teams)}

    def _runs(self, claims, given: dict) -> list[QuerySet]:
        """The runs of ``claims`` (the reader's) as the list reads them, of their ids."""
        ordered = claims.still_open().order_by("verification", "pk")
        teams = [given[name] for name in self.runs_of]
        return runs(ordered, team=teams, verification=list(OPEN_VERIFICATIONS))

    @cached_property
    def counted(self) -> int:
        cap = self.cap

        def read(claims, **given):
            firsts = [part.values_list("pk")[: cap + 1] for part in self._runs(claims, given)]
            # In the runs' order (by id: each run's state is one), merged along their indexes
            # until the cap: unordered, PostgreSQL's generic plan sorted a whole run first.
            return firsts[0].union(*firsts[1:], all=True)[: cap + 1]

        key = ("open claims counted", len(self.runs_of), cap)
        return visible_count(key, self.reader, Claim, read, **self.runs_of)

    def get_page(self, number) -> Page:
        with generic_plans(Claim):
            return super().get_page(number)

    def page(self, number) -> Page:
        number, bottom, top = self.bounds(number)

        def read(claims, **given):
            firsts = [
                part.values_list("verification", "pk")[:top] for part in self._runs(claims, given)
            ]
            merged = firsts[0].union(*firsts[1:], all=True)
            return merged.order_by("verification", "pk")[bottom:top]

        key = ("open claims page", len(self.runs_of), bottom, top)
        ids = []
        if top > bottom:  # else no claim: no run to read (a LIMIT 0 is the ORM's empty query)
            rows = visible_rows(key, self.reader, Claim, read, **self.runs_of)
            ids = [pk for _state, pk in rows]
        # The rows of ids the reader's open claims gave just now, by SQL made once for as many.
        shown = rows_of_ids_made_once(
            ("open claims shown",),
            ids,
            lambda given: _shown(Claim.objects.filter(pk__in=given)),
            records=True,
        )
        rows = {claim.pk: claim for claim in shown}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def _shown(claims: QuerySet) -> QuerySet:
    """``claims`` with what a row of the list shows of them and their records (``LISTED``)."""
    return claims.select_related("team", "meeting", "commitment", "body").only(*LISTED)


# What a row of the list shows of its claim and the records it is about.
LISTED = (
    "text",
    "verification",
    "verified_on",
    "team__name",
    "meeting__title",
    "commitment__title",
    "body__name",
)


def _source_titles(ids: list[int]) -> dict[int, list[str]]:
    """The titles of each claim's sources, in the sources' own order, for these claims (SQL
    made once a process for as many claims: ``rows_of_ids_made_once``)."""
    titles: dict[int, list[str]] = {}
    for claim, title in rows_of_ids_made_once(("claim_source_titles",), ids, _titles_of):
        titles.setdefault(claim, []).append(title)
    return titles


def _titles_of(ids: list[int]) -> QuerySet:
    return (
        Claim.sources.through.objects.filter(claim__in=ids)
        .order_by(*(through_source(field) for field in Source._meta.ordering))
        .values_list("claim", "source__title")
    )


def _listed(claim: Claim, editable: bool, verify: str, sources: list[str] | None = None) -> dict:
    """A claim's row as the list draws it, its words and links put together here once rather
    than by the template for each row. ``sources``: its sources' titles, when read for the
    page (``_source_titles``)."""
    if sources is None:
        sources = [source.title for source in claim.sources.all()]
    return {
        "claim": claim,
        "team": claim.team,
        "editable": editable,
        "subject": _subject(claim),
        "sources": "; ".join(sources),
        "verify_url": f"{verify}{claim.pk}",
    }


def _subject(claim: Claim) -> str:
    if claim.meeting_id:
        return _("About the meeting “%(title)s”") % {"title": claim.meeting.title}
    if claim.commitment_id:
        return _("About the commitment “%(title)s”") % {"title": claim.commitment.title}
    return _("About the body “%(name)s”") % {"name": claim.body.name}


def _open_form(request: HttpRequest) -> HttpResponse:
    """One row's form, opened by its editor: the form alone for htmx, else the page with that
    row and its form (as after a refused change without JavaScript)."""
    claim = permissions.get_claim_for_user(request.user, request.GET["verify"], edit=True)
    return _row(request, claim, _form(claim), partial="claim-form", outcome=Outcome())


def _verify(request: HttpRequest, claim: Claim) -> Outcome:
    form = _form(claim, request.POST)
    if not form.is_valid():
        return Outcome(forms={"form": form})
    actions.verify_claim(
        claim=claim,
        verification=form.cleaned_data["verification"],
        source=form.cleaned_data["source"],
        expected=form.cleaned_data["version"],
        by=request.user,
        on=form.cleaned_data["verified_on"],
    )
    return Outcome(
        notice=_("Claim marked %(state)s.") % {"state": claim.get_verification_display().lower()}
    )


ACTIONS = {"verify": PageAction(_verify, "claim-row")}


def _form(claim: Claim, data=None) -> ClaimVerificationForm:
    """A claim's verification form, citing one of its team's sources."""
    sources = Source.objects.citable_in([claim.team_id])
    return ClaimVerificationForm(data, claim=claim, sources=sources)


def _render_row(
    request: HttpRequest, claim: Claim, *, partial: str | None, outcome: Outcome
) -> HttpResponse:
    """One claim's row as it stands now; its form again unless the change was made."""
    form = outcome.forms.get("form")
    if form is None and outcome.status != 200:
        form = _form(claim)
    return _row(request, claim, form, partial=partial, outcome=outcome)


def _row(request: HttpRequest, claim: Claim, form, *, partial: str, outcome: Outcome):
    verify = reverse("agreements:claim_list") + "?verify="
    row = _listed(claim, True, verify) | {"form": form}
    return render_row(request, "agreements/claim_list.html", row, partial=partial, outcome=outcome)
