"""Implementation over time, as pictures, and the page comparing meetings' curves.

Each page's chart is an SVG image of its own (``agreements.charts``), asked for by the page's
``<img>`` with the page's ``?as_of=``. Each checks who may see its records, as the page does;
the page shows the same numbers in a table.

The picture carries pygal's stylesheet inside it. An SVG shown as an image runs no script and
loads nothing, so its own response allows inline styles (and nothing else): the pages' policy
stays as strict as ever.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from .. import chart_comparison, charts, permissions
from ..forms.as_of import AsOfForm
from ..forms.compare import CompareForm
from ..ids import number_in, typed_id
from ..models import Commitment, ComplianceHistory, StatusHistory
from .common import picker_options

IMAGE_POLICY = {"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE]}


def chart_url(name: str, pk: int | None = None, day=None, parties=None) -> str:
    """The address of a page's chart, on the page's day (drawing ``parties``' compliance)."""
    url = reverse(name, args=[pk] if pk is not None else [])
    drawn = (
        [("drawn", 1), *(("party", typed_id("party", p)) for p in parties)]
        if parties is not None
        else []
    )
    query = urlencode([*([("as_of", day)] if day else []), *drawn])
    return f"{url}?{query}" if query else url


def _svg(curve: charts.Curve | None, title: str) -> HttpResponse:
    if curve is None:
        raise Http404(_("Nothing to draw for this day."))
    return _image(charts.draw(curve, title=title))


def _image(svg: str) -> HttpResponse:
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-cache"  # drawn anew: the records may have moved
    return response


def _end(request: HttpRequest):
    return AsOfForm(request.GET).day() or timezone.localdate()


@require_GET
@csp_override(IMAGE_POLICY)
def dashboard_chart(request: HttpRequest) -> HttpResponse:
    # Parties by id (``party-3``, or a bare number), as the page chose them (``drawn``); one
    # that is no id, or that the teams never assessed, draws nothing.
    parties = [int(n) for p in request.GET.getlist("party") if (n := number_in(p, "party"))]
    curve = dashboard_curve(
        request.user, _end(request), parties if "drawn" in request.GET else None
    )
    return _svg(curve, _("Implementation index, your teams"))


def dashboard_curve(user, end, parties=None, names=None) -> charts.Curve | None:
    """The index of every commitment the user can see, from their teams' first meeting, and
    the compliance of ``parties`` (ids; else of the most assessed; ``names``: their names by
    id, when the caller has them)."""
    return charts.team_curve(
        StatusHistory.visible_to(user), ComplianceHistory.visible_to(user), end, parties, names
    )


@require_GET
@csp_override(IMAGE_POLICY)
def meeting_chart(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = permissions.get_meeting_for_user(request.user, pk)
    return _svg(charts.meeting_curve(meeting, _end(request)), meeting.title)


@require_GET
@csp_override(IMAGE_POLICY)
def body_chart(request: HttpRequest, pk: int) -> HttpResponse:
    body = permissions.get_body_for_user(request.user, pk)
    return _svg(charts.body_curve(body, _end(request)), body.name)


@require_GET
@csp_override(IMAGE_POLICY)
def party_chart(request: HttpRequest, pk: int) -> HttpResponse:
    party = permissions.get_party_for_user(request.user, pk)
    curve = charts.party_curve(party_shown(request.user, party), party, _end(request))
    return _svg(curve, party.name)


# A party's briefing (and its chart) covers its most recent commitments, so that the report
# stays printable and its cost bounded for a party with thousands; the page says how many were
# left out and where the full list is.
PARTY_LIMIT = 200


def party_commitments(user, party):
    """The commitments in which the party has a role, among those the user may see."""
    return Commitment.objects.visible_to(user).active().filter(party_roles__party=party)


def party_shown(user, party):
    """The party's most recent ``PARTY_LIMIT`` commitments, those its briefing shows."""
    newest = party_commitments(user, party).order_by("-meeting_date", "meeting", "position", "pk")
    return Commitment.objects.filter(pk__in=list(newest.values_list("pk", flat=True)[:PARTY_LIMIT]))


@require_GET
def meeting_comparison(request: HttpRequest) -> HttpResponse:
    """Several meetings' implementation side by side, each curve read from its own meeting's
    date ("years since the meeting"), as the Peace Accords Matrix compares accords."""
    form = CompareForm(request.GET or None, user=request.user)
    if options := picker_options(request, form):
        return options
    meetings = form.chosen()
    query = urlencode([("meetings", typed_id("meeting", meeting.pk)) for meeting in meetings])
    context = {
        "form": form,
        "meetings": meetings,
        "comparison": chart_comparison.compare_meetings(meetings, timezone.localdate()),
        "chart_url": f"{reverse('agreements:meeting_comparison_chart')}?{query}",
    }
    return render(request, "agreements/meeting_comparison.html", context)


@require_GET
@csp_override(IMAGE_POLICY)
def meeting_comparison_chart(request: HttpRequest) -> HttpResponse:
    meetings = CompareForm(request.GET, user=request.user).chosen()
    comparison = chart_comparison.compare_meetings(meetings, timezone.localdate())
    if comparison is None:
        raise Http404(_("Choose the meetings to compare."))
    return _image(
        chart_comparison.draw_comparison(
            comparison, title=_("Implementation index since each meeting")
        )
    )
