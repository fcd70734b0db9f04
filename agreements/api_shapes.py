"""The read API's shapes (``api``): its records as ``opendata`` writes them, its pages, its
answers to a request it refuses, and its filters (the pages' own, as query parameters). Each
closed vocabulary is an enum and each id a pattern, so the OpenAPI document says them."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from . import models as m
from .forms import CommitmentFilterForm
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
