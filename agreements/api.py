"""The read API (``/api/v1/``, django-ninja): meetings, commitments, bodies, milestones and claims
as JSON, for scripts and data portals, with its OpenAPI 3 document at ``/api/v1/openapi.json``.

A request carries a user's API key (``Authorization: Bearer <key>``, see ``ApiToken``) and reads
exactly what that user would see on the pages: the same ``visible_to`` QuerySets, the same
filter forms, archived records left out. Records have the open-data export's shapes
(``opendata``). Lists come a page at a time (``?page=``, 50 a page) with the address of the
next page, never a count of the whole table.
"""

from __future__ import annotations

import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import NinjaAPI, Query, Schema
from ninja.security import HttpBearer

from . import models as m
from . import opendata, permissions
from .forms import CommitmentFilterForm, MeetingFilterForm, MilestoneFilterForm

PAGE_SIZE = 50


class Key(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        return m.ApiToken.holder(token[:200])


api = NinjaAPI(
    title="Agreement tracker",
    version="1",
    description=__doc__,
    auth=Key(),
    docs_url=None,  # the OpenAPI document only: no third-party page served from here
    urls_namespace="api",
)


# --- Shapes (as ``opendata`` writes them) ---------------------------------------------------


class Link(Schema):
    """A source with an address, as Popolo writes it."""

    url: str
    note: str


class Role(Schema):
    organization_id: str
    role: str


class Meeting(Schema):
    id: str
    name: str
    classification: Literal["meeting"]
    start_date: datetime.date
    end_date: datetime.date | None
    location: str
    organization_ids: list[str]
    outcome: str
    outcome_note: str
    summary: str
    language: str
    team: str
    sources: list[Link]
    source_ids: list[str]


class Commitment(Schema):
    id: str
    event_id: str
    title: str
    reference: str
    text: str
    language: str
    theme: str
    status: int
    status_label: str
    stalled: bool
    cancellation: str
    target_date: datetime.date | None
    lead_agency: str
    jurisdiction_note: str
    indicator: str
    party_roles: list[Role]
    sources: list[Link]
    source_ids: list[str]


class Body(Schema):
    id: str
    name: str
    classification: Literal["implementation body"]
    founding_event_id: str
    mandate: str
    cadence: str
    lifecycle: str
    membership_note: str
    commitment_ids: list[str]
    sources: list[Link]
    source_ids: list[str]


class Milestone(Schema):
    id: str
    commitment_id: str | None
    body_id: str | None
    title: str
    due_date: datetime.date
    first_due_date: datetime.date | None
    status: str
    completed_on: datetime.date | None
    owner: str


class Claim(Schema):
    id: str
    about_id: str
    text: str
    verification: str
    note: str
    sources: list[Link]
    source_ids: list[str]


class Page(Schema):
    page: int
    next: str | None


class Meetings(Page):
    items: list[Meeting]


class Commitments(Page):
    items: list[Commitment]


class Bodies(Page):
    items: list[Body]


class Milestones(Page):
    items: list[Milestone]


class Claims(Page):
    items: list[Claim]


class Error(Schema):
    detail: str


def _page(request: HttpRequest, records, shape, number: int) -> dict:
    """One page of ``records`` as ``shape`` gives them, and the next page's address (one row
    more is read to know whether there is one)."""
    number = max(1, min(number, 10_000))
    start = (number - 1) * PAGE_SIZE
    rows = list(records[start : start + PAGE_SIZE + 1])
    following = None
    if len(rows) > PAGE_SIZE:
        query = request.GET.copy()
        query["page"] = str(number + 1)
        following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"page": number, "next": following, "items": [shape(r) for r in rows[:PAGE_SIZE]]}


# --- Filters (the pages' own, as query parameters) -------------------------------------------


class MeetingFilters(Schema):
    q: str | None = None
    party: int | None = None
    team: int | None = None
    outcome_type: str | None = None
    year: int | None = None
    page: int = 1


class CommitmentFilters(Schema):
    q: str | None = None
    status: int | None = None
    theme: str | None = None
    party: int | None = None
    team: int | None = None
    body: int | None = None
    overdue: bool = False
    stalled: bool = False
    sort: str | None = None
    page: int = 1


class MilestoneFilters(Schema):
    q: str | None = None
    status: str | None = None
    when: Literal["overdue", "30", "90"] | None = None
    team: int | None = None
    page: int = 1


def _form_data(filters: Schema) -> dict:
    return {
        key: ("on" if value is True else str(value))
        for key, value in filters.dict().items()
        if key != "page" and value not in (None, False)
    }


@api.get("/meetings", response={200: Meetings, 401: Error}, summary="Meetings")
def meetings(request: HttpRequest, filters: Query[MeetingFilters]):
    form = MeetingFilterForm(_form_data(filters), user=request.auth)
    records = form.filter(m.Meeting.objects.visible_to(request.auth).active())
    records = records.select_related("team").prefetch_related("parties", "sources")
    return _page(request, records, opendata.as_meeting, filters.page)


@api.get("/meetings/{meeting_id}", response={200: Meeting, 401: Error, 404: Error})
def meeting(request: HttpRequest, meeting_id: int):
    record = permissions.get_meeting_for_user(request.auth, meeting_id)
    if m.is_read_only(record):
        return 404, {"detail": "Not found."}
    return opendata.as_meeting(record)


@api.get("/commitments", response={200: Commitments, 401: Error}, summary="Commitments")
def commitments(request: HttpRequest, filters: Query[CommitmentFilters]):
    form = CommitmentFilterForm(_form_data(filters), user=request.auth)
    visible = m.Commitment.objects.visible_to(request.auth).active()
    records = form.filter(visible, timezone.localdate()).prefetch_related("party_roles", "sources")
    return _page(request, records, opendata.as_commitment, filters.page)


@api.get("/commitments/{commitment_id}", response={200: Commitment, 401: Error, 404: Error})
def commitment(request: HttpRequest, commitment_id: int):
    record = permissions.get_commitment_for_user(request.auth, commitment_id)
    if m.is_read_only(record):
        return 404, {"detail": "Not found."}
    return opendata.as_commitment(record)


@api.get("/bodies", response={200: Bodies, 401: Error}, summary="Implementation bodies")
def bodies(request: HttpRequest, page: int = 1):
    records = (
        m.ImplementationBody.objects.visible_to(request.auth)
        .active()
        .prefetch_related("commitments", "sources")
        .order_by("name", "pk")
    )
    return _page(request, records, opendata.as_body, page)


@api.get("/milestones", response={200: Milestones, 401: Error}, summary="Milestones")
def milestones(request: HttpRequest, filters: Query[MilestoneFilters]):
    form = MilestoneFilterForm(_form_data(filters), user=request.auth)
    records = form.filter(
        m.Milestone.objects.visible_to(request.auth).active(), timezone.localdate()
    )
    return _page(request, records, opendata.as_milestone, filters.page)


@api.get("/claims", response={200: Claims, 401: Error}, summary="Claims")
def claims(request: HttpRequest, verification: m.Verification | None = None, page: int = 1):
    records = m.Claim.objects.visible_to(request.auth).active().prefetch_related("sources")
    if verification:
        records = records.filter(verification=verification)
    return _page(request, records.order_by("pk"), opendata.as_claim, page)


def urls():
    """The API's URL patterns. Each view checks the key itself, so the site's "sign in
    first" rule (``LoginRequiredMiddleware``) steps aside for them."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
