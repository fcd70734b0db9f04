"""The read API (``/api/v1/``, django-ninja): meetings, commitments, bodies, milestones and claims
as JSON, for scripts and data portals, with its OpenAPI 3 document at ``/api/v1/openapi.json``.

A request carries a user's API key (``Authorization: Bearer <key>``, see ``ApiToken``) and reads
exactly what that user would see on the pages: the same ``visible_to`` QuerySets, the same
filter forms, archived records left out. Records have the open-data export's shapes
(``opendata``). Lists come a page at a time (``?page=``, 50 a page) with the address of the
next page, never a count of the whole table.

The document is the truth: every closed vocabulary is an enum (the themes' codes
read from the database as the document is served), pages and text have their bounds, every
operation documents its 422 and its body, and a record is named by one id everywhere, the
open data's ``<kind>-<number>`` (``commitment-9``): lists return it, detail operations and the
filters that name a record (``party``, ``team``, ``body``) take it, and OpenAPI links say which
field of a list's answer a detail operation takes. That form, not the bare number, because the
open data needs an id that says what it names (``organizations`` holds parties and bodies;
Popolo's ``organization_id`` points at either). The pages' addresses use it too
(``/commitments/commitment-9/``): an id read anywhere opens the record everywhere.

Dated facts carry the day they happened beside when they were recorded: a commitment's status
changes (``effective_on``, ``recorded_at``) and ``status_since``, its approved progress
updates (``happened_on``), a milestone's ``completed_on`` and the moves of its date
(``moved_on``), a claim's ``verified_on``.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, NinjaAPI, Path, Query, Schema, Status
from ninja.security import HttpBearer

from . import models as m
from . import opendata, permissions
from .forms import CommitmentFilterForm, MeetingFilterForm, MilestoneFilterForm
from .ids import NUMBER

PAGE_SIZE = 50
# Past this, reading a page is a scan of every record before it: a client filters instead.
LAST_PAGE = 10_000


def record_id(kind: str) -> str:
    """The pattern of the id of a record of ``kind`` ("commitment" → ``commitment-9``)."""
    return f"^{kind}-{NUMBER}$"


def record_number(typed_id: str) -> int:
    """The record's number in an id its pattern has accepted: ``commitment-9`` → 9."""
    return int(typed_id.rpartition("-")[2])


class Key(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        return m.ApiToken.holder(token[:200])


class Api(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        """The document, with what only the database knows written in as it is served: the
        theme codes a ``theme`` filter takes (records admins add themes)."""
        schema = super().get_openapi_schema(**kwargs)
        themes = list(m.Theme.objects.order_by("code").values_list("code", flat=True))
        for path in schema["paths"].values():
            for operation in path.values():
                for parameter in operation.get("parameters", []):
                    if parameter["name"] == "theme" and themes:
                        parameter["schema"] = {"type": "string", "enum": themes}
        return schema


api = Api(
    title="Agreement tracker",
    version="1",
    description=__doc__,
    auth=Key(),
    docs_url=None,  # the OpenAPI document only: no third-party page served from here
    urls_namespace="api",
)


# --- Shapes (as ``opendata`` writes them) ---------------------------------------------------


def Id(kind: str):  # a type, read as one: hence its capital
    return Annotated[str, Field(pattern=record_id(kind))]


class Link(Schema):
    """A source with an address, as Popolo writes it."""

    url: str = Field(json_schema_extra={"format": "uri"})
    note: str


SourceIds = list[Annotated[str, Field(pattern=record_id("source"))]]


class Role(Schema):
    organization_id: Id("party")
    role: m.PartyRole


class Meeting(Schema):
    id: Id("meeting")
    name: str
    classification: Literal["meeting"]
    start_date: datetime.date
    end_date: datetime.date | None
    location: str
    organization_ids: list[Id("party")]
    outcome: m.OutcomeType | None = Field(description="None while a planned meeting is not held.")
    planned: bool = Field(description="Known before it happens: not held yet.")
    outcome_note: str
    summary: str
    language: str
    team: str
    sources: list[Link]
    source_ids: SourceIds


# A cancellation, or none ("").
Cancellation = Literal[("", *m.Cancellation.values)]


class StatusChange(Schema):
    effective_on: datetime.date = Field(description="The day the change took effect.")
    recorded_at: datetime.datetime = Field(description="When it was recorded.")
    from_status: m.ImplementationStatus
    to_status: m.ImplementationStatus
    from_stalled: bool
    to_stalled: bool
    from_cancellation: Cancellation
    to_cancellation: Cancellation
    # Open, not an enum: besides review, admin and import, a command writes its own name
    # ("command:…"), and a client made from today's document still reads tomorrow's changes.
    via: str = Field(description="review, admin, import, or a command (command:<name>).")
    reason: str
    progress_update_id: Id("update") | None = Field(
        description="The approved progress update that made it (in progress_updates), if any."
    )


class ProgressUpdate(Schema):
    id: Id("update")
    happened_on: datetime.date = Field(description="The day of the progress it reports.")
    recorded_at: datetime.datetime = Field(description="When it was written.")
    narrative: str
    proposed_status: m.ImplementationStatus | None
    proposed_stalled: bool | None
    sources: list[Link]
    source_ids: SourceIds


class Commitment(Schema):
    id: Id("commitment")
    event_id: Id("meeting")
    title: str
    reference: str
    text: str
    language: str
    # A theme's code; open here though closed in the ``theme`` filter, as records admins add
    # themes: a client made from today's document still reads tomorrow's commitments.
    theme: str
    status: m.ImplementationStatus
    status_label: str
    stalled: bool
    cancellation: Cancellation
    target_date: datetime.date | None
    lead_agency: str
    jurisdiction_note: str
    indicator: str
    party_roles: list[Role]
    sources: list[Link]
    source_ids: SourceIds
    status_since: datetime.date = Field(
        description="The day its official state took effect (its meeting's, if never changed)."
    )
    status_changes: list[StatusChange] = Field(description="In the order they took effect.")
    progress_updates: list[ProgressUpdate] = Field(description="Approved ones, by their day.")


class Body(Schema):
    id: Id("body")
    name: str
    classification: Literal["implementation body"]
    founding_event_id: Id("meeting")
    mandate: str
    cadence: str
    lifecycle: m.Lifecycle
    membership_note: str
    commitment_ids: list[Id("commitment")]
    sources: list[Link]
    source_ids: SourceIds


class Move(Schema):
    from_date: datetime.date
    to_date: datetime.date
    moved_on: datetime.date = Field(description="The day its date was moved.")
    recorded_at: datetime.datetime = Field(description="When the move was recorded.")
    name: str = Field(
        description="What the new date is called, if it has a name (“extended suspension ends”)."
    )
    reason: str


class Milestone(Schema):
    id: Id("milestone")
    meeting_id: Id("meeting") | None = Field(
        description="Set for a milestone of the meeting itself; else commitment_id or body_id."
    )
    commitment_id: Id("commitment") | None
    body_id: Id("body") | None
    title: str
    due_date: datetime.date
    first_due_date: datetime.date | None
    status: m.MilestoneStatus
    completed_on: datetime.date | None = Field(description="The day it was done.")
    owner: str
    moves: list[Move] = Field(description="Each move of its date, in the order recorded.")


class Claim(Schema):
    id: Id("claim")
    about_id: Annotated[str, Field(pattern=f"^(meeting|commitment|body)-{NUMBER}$")]
    text: str
    verification: m.Verification
    verified_on: datetime.date | None = Field(
        description="The day its verification state was established."
    )
    note: str
    sources: list[Link]
    source_ids: SourceIds


PageNumber = Annotated[int, Field(ge=1, le=LAST_PAGE)]


class KeptFile(Schema):
    """A document kept with a source: what it is, never its bytes (those go to its team, on
    the site)."""

    name: str
    type: str = Field(description="Its media type, read from its content.")
    size: int = Field(ge=1, description="In bytes.")
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    retrieved_on: datetime.date = Field(description="The day the copy was retrieved.")


class Source(Schema):
    id: Id("source")
    title: str
    url: str
    publisher: str
    published_on: datetime.date | None
    accessed_on: datetime.date | None
    reliability: Literal[("", *m.Reliability.values)]
    files: list[KeptFile]


class Page(Schema):
    page: PageNumber
    next: Annotated[str, Field(json_schema_extra={"format": "uri"})] | None


def Items(shape):  # a type, read as one: hence its capital
    return Annotated[list[shape], Field(max_length=PAGE_SIZE)]


class Meetings(Page):
    items: Items(Meeting)


class Commitments(Page):
    items: Items(Commitment)


class Bodies(Page):
    items: Items(Body)


class Milestones(Page):
    items: Items(Milestone)


class Claims(Page):
    items: Items(Claim)


class Sources(Page):
    items: Items(Source)


class Error(Schema):
    detail: str


class Problem(Schema):
    """One thing wrong with a request: where (``["query", "page"]``), what, and a code."""

    type: str
    loc: list[str | int]
    msg: str
    ctx: dict[str, Any] | None = None


class Refused(Schema):
    """A request the API cannot answer as it stands (422): a parameter outside its schema."""

    detail: list[Problem]


def _page(request: HttpRequest, records, shape, number: int) -> dict:
    """One page of ``records`` as ``shape`` gives them, and the next page's address (one row
    more is read to know whether there is one)."""
    start = (number - 1) * PAGE_SIZE
    rows = list(records[start : start + PAGE_SIZE + 1])
    following = None
    if len(rows) > PAGE_SIZE and number < LAST_PAGE:  # no address the API would refuse
        query = request.GET.copy()
        query["page"] = str(number + 1)
        following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"page": number, "next": following, "items": [shape(r) for r in rows[:PAGE_SIZE]]}


# The filters that name something (a party, a team, a body, a year): one that names nothing the
# user may see is a valid request that matches no record.
NAMING = {"party", "team", "body", "year"}


def _filtered(request: HttpRequest, form, filter_records, shape, number: int):
    """The page of what the valid ``form`` selects (``filter_records(form)``); an empty page
    when a filter names nothing the user may see; else 422, each problem by parameter."""
    if form.is_valid():
        return _page(request, filter_records(form), shape, number)
    errors = form.errors.as_data()
    if all(
        name in NAMING and all(e.code == "invalid_choice" for e in problems)
        for name, problems in errors.items()
    ):
        return {"page": number, "next": None, "items": []}
    return Status(
        422,
        {
            "detail": [
                {"type": e.code or "invalid", "loc": ["query", name], "msg": " ".join(e.messages)}
                for name, problems in errors.items()
                for e in problems
            ]
        },
    )


# --- Filters (the pages' own, as query parameters) -------------------------------------------


# Words to look for: as the pages' search box takes them (a NUL is never part of a text).
Words = Annotated[str | None, Field(max_length=200, pattern="^[^\\x00]*$")]
Year = Annotated[int | None, Field(ge=1, le=9999)]


def Named(kind: str):  # a type, read as one: hence its capital
    return Annotated[str | None, Field(pattern=record_id(kind))]


class MeetingFilters(Schema):
    q: Words = None
    party: Named("party") = None
    team: Named("team") = None
    outcome_type: m.OutcomeType | None = None
    year: Year = None
    page: PageNumber = 1


class CommitmentFilters(Schema):
    q: Words = None
    status: m.ImplementationStatus | None = None
    # One of the themes' codes: the document lists them as it is served (``Api``).
    theme: Annotated[str | None, Field(max_length=30)] = None
    party: Named("party") = None
    team: Named("team") = None
    body: Named("body") = None
    overdue: bool = False
    stalled: bool = False
    sort: Literal[tuple(CommitmentFilterForm.SORTS)] | None = None
    page: PageNumber = 1


class MilestoneFilters(Schema):
    q: Words = None
    status: m.MilestoneStatus | None = None
    when: Literal["overdue", "30", "90"] | None = None
    team: Named("team") = None
    page: PageNumber = 1


def _form_data(filters: Schema) -> dict:
    """The filters as the pages' forms read them: a named record by its number."""
    data = {}
    for key, value in filters.dict().items():
        if key == "page" or value in (None, False):
            continue
        if key in ("party", "team", "body"):
            value = record_number(value)
        data[key] = "on" if value is True else str(getattr(value, "value", value))
    return data


def _links(**targets: tuple[str, str]) -> dict:
    """OpenAPI links from a 200 answer: ``name=(operation id, JSON pointer of the field whose
    id the operation takes)``, so a client (or a fuzzer) follows them."""
    return {
        "responses": {
            200: {
                "links": {
                    name: {
                        "operationId": operation,
                        "parameters": {parameter: f"$response.body#{pointer}"},
                    }
                    for name, (operation, parameter, pointer) in targets.items()
                }
            }
        }
    }


# What every operation may answer besides 200.
ANSWERS = {401: Error, 422: Refused}


@api.get(
    "/meetings",
    response={200: Meetings, **ANSWERS},
    summary="Meetings",
    operation_id="list_meetings",
    openapi_extra=_links(meeting=("get_meeting", "meeting_id", "/items/0/id")),
)
def meetings(request: HttpRequest, filters: Query[MeetingFilters]):
    form = MeetingFilterForm(_form_data(filters), user=request.auth)
    return _filtered(
        request,
        form,
        lambda form: (
            form.filter(m.Meeting.objects.visible_to(request.auth).active())
            .select_related("team")
            .prefetch_related("parties", "sources")
        ),
        opendata.as_meeting,
        filters.page,
    )


@api.get(
    "/meetings/{meeting_id}",
    response={200: Meeting, 404: Error, **ANSWERS},
    summary="A meeting",
    operation_id="get_meeting",
)
def meeting(request: HttpRequest, meeting_id: Annotated[str, Path(pattern=record_id("meeting"))]):
    record = permissions.get_meeting_for_user(request.auth, record_number(meeting_id))
    if m.is_read_only(record):
        return Status(404, {"detail": "Not found."})
    return opendata.as_meeting(record)


@api.get(
    "/commitments",
    response={200: Commitments, **ANSWERS},
    summary="Commitments",
    operation_id="list_commitments",
    openapi_extra=_links(
        commitment=("get_commitment", "commitment_id", "/items/0/id"),
        meeting=("get_meeting", "meeting_id", "/items/0/event_id"),
    ),
)
def commitments(request: HttpRequest, filters: Query[CommitmentFilters]):
    form = CommitmentFilterForm(_form_data(filters), user=request.auth)
    visible = m.Commitment.objects.visible_to(request.auth).active()
    return _filtered(
        request,
        form,
        lambda form: opendata.with_dates(
            form.filter(visible, timezone.localdate()).prefetch_related("party_roles", "sources")
        ),
        opendata.as_commitment,
        filters.page,
    )


@api.get(
    "/commitments/{commitment_id}",
    response={200: Commitment, 404: Error, **ANSWERS},
    summary="A commitment",
    operation_id="get_commitment",
    openapi_extra=_links(meeting=("get_meeting", "meeting_id", "/event_id")),
)
def commitment(
    request: HttpRequest,
    commitment_id: Annotated[str, Path(pattern=record_id("commitment"))],
):
    record = permissions.get_commitment_for_user(request.auth, record_number(commitment_id))
    if m.is_read_only(record):
        return Status(404, {"detail": "Not found."})
    return opendata.as_commitment(record)


@api.get(
    "/bodies",
    response={200: Bodies, **ANSWERS},
    summary="Implementation bodies",
    operation_id="list_bodies",
    openapi_extra=_links(meeting=("get_meeting", "meeting_id", "/items/0/founding_event_id")),
)
def bodies(request: HttpRequest, page: PageNumber = 1):
    records = (
        m.ImplementationBody.objects.visible_to(request.auth)
        .active()
        .prefetch_related("commitments", "sources")
        .order_by("name", "pk")
    )
    return _page(request, records, opendata.as_body, page)


@api.get(
    "/milestones",
    response={200: Milestones, **ANSWERS},
    summary="Milestones",
    operation_id="list_milestones",
)
def milestones(request: HttpRequest, filters: Query[MilestoneFilters]):
    form = MilestoneFilterForm(_form_data(filters), user=request.auth)
    return _filtered(
        request,
        form,
        lambda form: form.filter(
            m.Milestone.objects.visible_to(request.auth).active(), timezone.localdate()
        ).prefetch_related("reschedules"),
        opendata.as_milestone,
        filters.page,
    )


@api.get(
    "/claims",
    response={200: Claims, **ANSWERS},
    summary="Claims",
    operation_id="list_claims",
)
def claims(request: HttpRequest, verification: m.Verification | None = None, page: PageNumber = 1):
    records = m.Claim.objects.visible_to(request.auth).active().prefetch_related("sources")
    if verification:
        records = records.filter(verification=verification)
    return _page(request, records.order_by("pk"), opendata.as_claim, page)


@api.get(
    "/sources",
    response={200: Sources, **ANSWERS},
    summary="Sources, with the documents kept with them",
    operation_id="list_sources",
)
def sources(request: HttpRequest, page: PageNumber = 1):
    records = (
        m.Source.objects.visible_to(request.auth)
        .prefetch_related(Prefetch("files", queryset=m.SourceFile.objects.for_list()))
        .order_by("pk")
    )
    return _page(request, records, opendata.as_source, page)


def urls():
    """The API's URL patterns. Each view checks the key itself, so the site's "sign in
    first" rule (``LoginRequiredMiddleware``) steps aside for them."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
