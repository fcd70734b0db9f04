"""The meetings: their list, and a meeting's page with everything it holds (what editors add
there is ``meeting_additions.ADDITIONS``; what each section shows, row by row,
``meeting_rows`` and ``meeting_statements``; recording and changing a meeting is
``meeting_form``)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import actions, charts, export_lists, exports, permissions
from ..forms import ContextEventForm, KeepFileForm, MeetingFilterForm
from ..forms.as_of import AsOfForm
from ..ids import address_of, is_id
from ..models import (
    Commitment,
    ContextEvent,
    Meeting,
    as_index,
    compare_readouts,
)
from ..models.made_once import records_of_made_once
from .charts import chart_url
from .common import (
    ARCHIVE,
    Outcome,
    PageAction,
    add_form_partial,
    picker_options,
    render_page,
    run_record_action,
    wants_fragment,
)
from .list_reads import meeting_figures, meeting_parties
from .meeting_additions import ADD_ACTIONS, ADDITIONS, team_sources
from .meeting_rows import (
    bodies_of,
    body_rows,
    claim_rows,
    claim_sources,
    claims_of,
    commitment_query,
    commitments_of,
    event_form,
    event_rows,
    events_of,
    meeting_milestones_of,
    milestone_rows,
    participant_rows,
    participants_of,
    parties_of,
    shown_commitments,
    source_rows,
    sources_of,
)
from .meeting_sections import (
    COMMITMENTS_SHOWN,
    FirstPages,
    fragment_of,
    page_number,
    shown,
)
from .meeting_statements import (
    joint_names,
    mentioned_titles,
    readouts_of,
    statement_rows,
    statements_of,
)
from .milestone_checklist import checklist_actions, opened_reschedule
from .paging import annotated_page
from .source_files import KEEP_FILE

PAGE_SIZE = 25


@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    """Meetings the user can see: search and filters swap the table and push the URL."""
    form = MeetingFilterForm(request.GET or None, user=request.user)
    meetings = form.filter(Meeting.objects.visible_to(request.user).active())
    if request.GET.get("format") == "csv":  # every meeting the filters select
        return exports.csv_response("meetings", export_lists.MEETINGS, meetings.for_list())
    query = request.GET.copy()
    query.pop("page", None)
    page = annotated_page(
        request,
        meetings,
        lambda rows: rows.select_related("team").only(*LISTED),
        PAGE_SIZE,
        split={"team": permissions.visible_team_ids(request.user)},
        made=("meeting_rows",),
    )
    _listed(page.object_list)
    context = {
        "form": form,
        "page": page,
        "page_query": query.urlencode(),
        "can_record": permissions.edits_some_team(request.user),
    }
    return render_page(request, "agreements/meeting_list.html", context, partial="meeting-table")


# What a row of the list shows of its meeting: these columns alone, not its texts.
LISTED = (
    "title",
    "planned",
    "start_date",
    "end_date",
    "city",
    "venue",
    "outcome_type",
    "team__name",
)


def _listed(meetings: list[Meeting]) -> None:
    """Each listed meeting's link, dates, parties, number of commitments and index, put
    together here once for the page's rows (templates/jinja2/agreements/meeting_rows.html).

    The figures and the parties of the page's meetings are read at once, in a plain row
    each: the figures ``for_list()`` reads as two subqueries a meeting, and its parties as a
    prefetch, cost more to put together than to run."""
    ids = [meeting.pk for meeting in meetings]
    figures, parties = meeting_figures(ids), meeting_parties(ids)  # SQL made once a process
    link = address_of("agreements:meeting_detail")
    for meeting in meetings:
        meeting.link = link(meeting.pk)
        meeting.dates = date_format(meeting.start_date, "j M Y")
        if meeting.end_date and meeting.end_date != meeting.start_date:
            meeting.dates += " – " + date_format(meeting.end_date, "j M Y")
        meeting.listed_parties = parties.get(meeting.pk, [])
        meeting.commitment_count, meeting.mean_status = figures.get(meeting.pk, (0, None))
        index = meeting.index
        meeting.index_shown = "–" if index is None else f"{floatformat(index, 0)}%"


# --- A meeting's page -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything a meeting holds. Editors add milestones, statements, claims and sources in
    place (``ACTIONS``); each answers with its section (htmx) or a redirect."""
    if request.method == "POST":
        return run_record_action(
            request, ACTIONS, fetch=permissions.get_meeting_for_user, pk=pk, render=_render_detail
        )
    meeting = permissions.get_meeting_for_user(request.user, pk)
    if "_pick" in request.GET and permissions.may_edit(request.user, meeting):
        # An edit form's picker names its event: "event-<id>-sources".
        event_pk = request.GET["_pick"].removeprefix("event-").partition("-")[0]
        forms = [a.form(meeting, None) for a in ADDITIONS.values()]
        forms.append(event_form(meeting, event_pk))
        if options := picker_options(request, *filter(None, forms)):
            return options
    if request.GET.get("add") in ADDITIONS and permissions.may_edit(request.user, meeting):
        return _open_add_form(request, meeting, request.GET["add"])
    if is_id(request.GET.get("keep", "")) and permissions.may_edit(request.user, meeting):
        return _open_keep_form(request, meeting, request.GET["keep"])
    if moving := opened_reschedule(
        request,
        meeting,
        "meeting",
        target="#commitments",
        render_page_with=lambda opened: _render_detail(request, meeting, opened=opened),
    ):
        return moving
    # A long section's next rows (``?<section>_page=``): that section alone for htmx.
    return _render_detail(request, meeting, partial=fragment_of(request))


def _open_add_form(request: HttpRequest, meeting: Meeting, kind: str) -> HttpResponse:
    """An add form, opened by its editor: the form alone for htmx (the page renders its add
    forms closed and empty, 41 fields it would otherwise draw on every view), else the page
    with that form open."""
    addition = ADDITIONS[kind]
    form = addition.form(meeting, None)
    if wants_fragment(request):
        return add_form_partial(request, addition, form)
    return _render_detail(request, meeting, opened={kind: form})


def _open_keep_form(request: HttpRequest, meeting: Meeting, pk: str) -> HttpResponse:
    """The form keeping a file with one of the meeting's sources, opened (another source: not
    found): alone for htmx, else the page with it open."""
    source = permissions.get_source_for_user(request.user, pk, edit=True)
    if not meeting.sources.filter(pk=source.pk).exists():
        raise Http404(_("No %(kind)s matches the given query.") % {"kind": _("source")})
    form = KeepFileForm(source_pk=source.pk)
    if wants_fragment(request):
        context = {"source": source, "form": form}
        return render_page(
            request, "agreements/includes/keep_file_form.html", context, partial="keep-file-form"
        )
    return _render_detail(request, meeting, opened={"keep": form})


# The meeting's own milestones are ticked and moved in its commitments' section.
ACTIONS = {**ADD_ACTIONS, **checklist_actions("meeting", "commitments"), "archive": ARCHIVE}


def _unlink(request: HttpRequest, meeting: Meeting) -> Outcome:
    """Remove a link of this meeting's, either way round (another id: not found)."""
    link = permissions.get_meeting_link_for_user(
        request.user, request.POST.get("link"), edit=True, meeting=meeting
    )
    actions.unlink_meetings(link=link, by=request.user)
    return Outcome(notice=_("Link removed."))


ACTIONS["unlink"] = PageAction(_unlink, "related")


def _event(request: HttpRequest, meeting: Meeting) -> ContextEvent:
    return permissions.get_context_event_for_user(
        request.user, request.POST.get("event"), edit=True, meeting=meeting
    )


def _edit_event(request: HttpRequest, meeting: Meeting) -> Outcome:
    """Correct one context event, from the form under it (prefixed with its id)."""
    event = _event(request, meeting)
    form = ContextEventForm(
        request.POST,
        instance=event,
        meeting=meeting,
        sources=team_sources(meeting),
        prefix=f"event-{event.pk}",
    )
    if not form.is_valid():
        return Outcome(forms={"event_edit": form})
    actions.edit_record(
        record=form.save(commit=False),
        expected=form.opened_at(),
        sources=form.cleaned_data["sources"],
        by=request.user,
    )
    return Outcome(notice=_("“%(title)s” saved.") % {"title": event.title})


def _archive_event(request: HttpRequest, meeting: Meeting) -> Outcome:
    event = _event(request, meeting)
    actions.archive_record(record=event, by=request.user, reason=request.POST.get("reason", ""))
    return Outcome(notice=_("“%(title)s” archived.") % {"title": event.title})


ACTIONS["edit_event"] = PageAction(_edit_event, "events")
ACTIONS["keep_file"] = KEEP_FILE
ACTIONS["archive_event"] = PageAction(_archive_event, "events")


def _render_detail(
    request: HttpRequest,
    meeting: Meeting,
    *,
    partial: str | None = None,
    outcome: Outcome | None = None,
    opened: dict | None = None,
) -> HttpResponse:
    """The page. The add forms drawn open are the refused ones (``outcome.forms``) or the one
    its editor ``opened`` without JavaScript; the others are fetched when opened."""
    outcome = outcome or Outcome()
    context = _detail_context(
        request,
        meeting,
        permissions.may_edit(request.user, meeting),
        outcome,
        opened,
        whole=not (partial and wants_fragment(request)),  # as ``render_page`` picks
    )
    return render_page(
        request, "agreements/meeting_detail.html", context, partial=partial, status=outcome.status
    )


def _detail_context(
    request: HttpRequest,
    meeting: Meeting,
    editable: bool,
    outcome: Outcome | None = None,
    opened: dict | None = None,
    *,
    whole: bool = True,
) -> dict:
    """What the page shows: the meeting and everything it holds, as the reader may act on it;
    on a past day (``?as_of=``), its commitments and milestones as they stood then, read-only.
    Its long sections are a page of rows each (``meeting_sections``), each read only when the
    template draws it (a section's next rows draw that section alone); drawn ``whole``, the
    sections of plain rows at their first page are read together (``FirstPages``)."""
    outcome = outcome or Outcome()
    opened = (opened or {}) | outcome.forms
    as_of = AsOfForm(request.GET)
    day = as_of.day()
    if day:
        editable = False  # a past day is read, not written
    commitments = SimpleLazyObject(
        lambda: shown(
            request,
            "commitments",
            lambda of, day=None: commitment_query(commitments_of(of), day),
            size=COMMITMENTS_SHOWN,
            finish=lambda rows: shown_commitments(rows, day, day or timezone.localdate()),
            key=("then",) if day else ("today",),  # a past day's state: SQL of its own
            values={"of": meeting.pk, "day": day} if day else {"of": meeting.pk},
        )
    )
    # How many commitments, and their index: read with their first rows (windows over all).
    figures = SimpleLazyObject(
        lambda: {
            "total": commitments.total,
            "index": as_index(commitments.rows[0].mean_status) if commitments.rows else None,
        }
    )
    links = SimpleLazyObject(meeting.related)

    # The page drawn whole draws each section: those of plain rows or of records of one model
    # are read in one query (``FirstPages``), with the meeting's parties.
    together = FirstPages(("meeting",), {"of": meeting.pk}) if whole else None
    if together is not None:
        together.add("bodies", bodies_of)
        together.add("parties", parties_of)
    parties = SimpleLazyObject(
        lambda: (
            together.page("parties")
            if together is not None
            else records_of_made_once(("meeting_parties",), parties_of, of=meeting.pk)
        )
    )

    def section(
        name: str, rows_of, *, in_one: bool = False, links_of: dict | None = None, **options
    ) -> SimpleLazyObject:
        """The section ``name``'s page of ``rows_of(meeting's id)``, read when drawn; its
        first page by SQL made once (``shown``: the same for every meeting but its id), with
        the other sections read ``in_one`` query where the page is drawn whole, and what
        its rows link (``links_of``: a name, and its read of the rows' ids) with them."""
        if in_one and together is not None and page_number(request, name) == 1:
            together.add(name, rows_of, paged=True)
            for links, read in (links_of or {}).items():
                together.add_links(links, name, read)
        return SimpleLazyObject(
            lambda: shown(
                request,
                name,
                rows_of,
                key=(),
                values={"of": meeting.pk},
                together=together,
                **options,
            )
        )

    def linked(name: str) -> list | None:
        """The rows of links ``name`` read with their section's, else None."""
        return together.links(name) if together is not None else None

    statements_shown = section(
        "statements",
        statements_of,
        in_one=True,
        links_of={"joint_names": joint_names, "mentioned_titles": mentioned_titles},
        finish=lambda rows: statement_rows(rows, linked("joint_names"), linked("mentioned_titles")),
    )

    def readouts():
        """Every readout, compared over every commitment of the meeting (titles only); not
        read when the statements counted none."""
        if not statements_shown.rows or not statements_shown.rows[0]["readouts"]:
            return None
        said = readouts_of(meeting)
        titles = Commitment.objects.filter(meeting=meeting).only("pk", "title", "meeting_id")
        return compare_readouts(parties, list(said), titles.order_by("position", "pk"))

    return {
        "meeting": meeting,
        "today": day or timezone.localdate(),
        "as_of": day,
        "as_of_form": as_of,
        # Read only where the whole page is drawn (``over_time``), not for its partials.
        "curve": SimpleLazyObject(
            lambda: charts.meeting_curve(meeting, day or timezone.localdate())
        ),
        "chart_url": chart_url("agreements:meeting_chart", meeting.pk, day),
        "figures": figures,  # how many commitments, their index
        "can_edit": editable,
        "parties": parties,
        "participants": section(
            "participants", participants_of, in_one=True, finish=participant_rows
        ),
        "commitments": commitments,
        # The meeting's own milestones (its deadlines as a whole), as a checklist for its editors.
        "milestones": section(
            "milestones",
            meeting_milestones_of,
            in_one=True,
            finish=lambda rows: milestone_rows(rows, day, editable=editable, forms=opened),
        ),
        "bodies": SimpleLazyObject(lambda: body_rows(meeting, together)),
        "statements": statements_shown,
        "readouts": SimpleLazyObject(readouts),
        "claims": section(
            "claims",
            claims_of,
            in_one=True,
            links_of={"claim_sources": claim_sources},
            finish=lambda rows: claim_rows(rows, linked("claim_sources")),
        ),
        "links": links,
        # Its first step each way is among the links read already.
        "chain": SimpleLazyObject(lambda: meeting.chain(links=[link for *_, link in links])),
        "events": section("events", events_of, finish=event_rows),
        # The event form open on the page: the refused one, with what was typed, else the one
        # the editor asked for.
        "event_form": (
            outcome.forms.get("event_edit")
            or event_form(meeting, request.GET.get("edit_event", ""))
        )
        if editable
        else None,
        "sources": section(
            "sources",
            sources_of,
            in_one=True,
            finish=lambda rows: source_rows(rows, editable, opened.get("keep")),
        ),
        "forms": opened if editable else {},
        "additions": ADDITIONS,
        # The add form whose input was refused stays open, with the user's input in it.
        "open_form": next(iter(opened), ""),
        "outcome": outcome,
    }
