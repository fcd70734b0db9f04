"""Briefing reports: one printable page per meeting, per body and per party.

Each lists commitments with their official status, each party's latest assessment, overdue
milestones (and the next one due), open claims, and the sources cited, numbered. The print
stylesheet lays them out for A4 or Letter; on screen a "Print" button (static/js/tracker.js)
opens the browser's print dialog, which the browser's own menu does without JavaScript.
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import charts, permissions
from ..forms.as_of import AsOfForm
from ..models import (
    Claim,
    Commitment,
    Milestone,
    MilestoneStatus,
    compile_briefing,
    for_briefing,
)
from .charts import PARTY_LIMIT, chart_url, party_commitments, party_shown


@require_GET
def meeting_briefing(request: HttpRequest, pk: int) -> HttpResponse:
    """A meeting's commitments, as the meeting's page lists them (archived ones marked)."""
    meeting = permissions.get_meeting_for_user(request.user, pk)
    as_of, day = _as_of(request)
    today = day or timezone.localdate()
    commitments = for_briefing(Commitment.objects.filter(meeting=meeting), day).order_by(
        "position", "pk"
    )
    briefing = compile_briefing(
        commitments,
        today=today,
        sources=meeting.sources.all(),
        claims=Claim.objects.filter(meeting=meeting).still_open().prefetch_related("sources"),
        milestones=_planned(Milestone.objects.filter(meeting=meeting), day),
    )
    context = {
        "meeting": meeting,
        "parties": meeting.parties.all(),
        "briefing": briefing,
        "curve": charts.meeting_curve(meeting, today),
        "chart_url": chart_url("agreements:meeting_chart", meeting.pk, day),
        "teams": [meeting.team],
        "as_of": day,
        "as_of_form": as_of,
    }
    return render(request, "agreements/meeting_briefing.html", context)


@require_GET
def body_briefing(request: HttpRequest, pk: int) -> HttpResponse:
    """The commitments a body oversees, with the body's own overdue and next meetings and the
    open claims about it."""
    body = permissions.get_body_for_user(request.user, pk)
    as_of, day = _as_of(request)
    today = day or timezone.localdate()
    commitments = for_briefing(Commitment.objects.filter(bodies=body), day).order_by(
        "meeting__start_date", "position", "pk"
    )
    briefing = compile_briefing(
        commitments,
        today=today,
        sources=body.sources.all(),
        claims=Claim.objects.filter(body=body).still_open().prefetch_related("sources"),
        milestones=_planned(Milestone.objects.filter(body=body), day),
    )
    context = {
        "body": body,
        "briefing": briefing,
        "curve": charts.body_curve(body, today),
        "chart_url": chart_url("agreements:body_chart", body.pk, day),
        "teams": [body.meeting.team],
        "show_meeting": True,
        "as_of": day,
        "as_of_form": as_of,
    }
    return render(request, "agreements/body_briefing.html", context)


@require_GET
def party_briefing(request: HttpRequest, pk: int) -> HttpResponse:
    """The commitments in which the party has a role, among the records the user may see (their
    teams'; an admin's: all), newest meeting first, grouped by meeting; archived ones left out,
    as in every list."""
    party = permissions.get_party_for_user(request.user, pk)
    as_of, day = _as_of(request)
    today = day or timezone.localdate()
    commitments = party_commitments(request.user, party)
    if day:  # as it stood then: the commitments agreed by then
        commitments = commitments.filter(meeting_date__lte=day)
    total = commitments.count()
    shown = for_briefing(commitments, day).order_by("-meeting_date", "meeting", "position", "pk")
    briefing = compile_briefing(shown[:PARTY_LIMIT], today=today)
    context = {
        "party": party,
        "briefing": briefing,
        "curve": charts.party_curve(party_shown(request.user, party), party, today),
        "chart_url": chart_url("agreements:party_chart", party.pk, day),
        "total": total,
        "limit": PARTY_LIMIT,
        "show_meeting": True,
        # The header names the user's teams (``user_teams``, as the site header does), or
        # says an admin's report covers every team.
        "all_teams": request.user.is_superuser,
        "as_of": day,
        "as_of_form": as_of,
    }
    return render(request, "agreements/party_briefing.html", context)


def _planned(milestones, day: datetime.date | None):
    """A record's own milestones still planned (on a past ``day``: then), soonest first."""
    planned = Q(status=MilestoneStatus.PLANNED)
    if day:
        planned |= Q(status=MilestoneStatus.DONE, completed_on__gt=day)
    return milestones.filter(planned).with_moves().order_by("due_date", "pk")


def _as_of(request: HttpRequest) -> tuple[AsOfForm, datetime.date | None]:
    """The past day a report is read on (``?as_of=``), with its picker; None for today."""
    form = AsOfForm(request.GET)
    return form, form.day()
