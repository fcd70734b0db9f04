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

from typing import Annotated

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone
from ninja import NinjaAPI, Path, Query, Schema, Status
from ninja.security import HttpBearer

from . import models as m
from . import opendata, permissions
from .api_shapes import (
    LAST_PAGE,
    PAGE_SIZE,
    Bodies,
    Claims,
    Commitment,
    CommitmentFilters,
    Commitments,
    Error,
    Meeting,
    MeetingFilters,
    Meetings,
    MilestoneFilters,
    Milestones,
    PageNumber,
    Refused,
    Sources,
    record_id,
    record_number,
)
from .forms import CommitmentFilterForm, MeetingFilterForm, MilestoneFilterForm


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
