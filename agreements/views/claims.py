from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from .. import permissions
from ..forms import ClaimVerificationForm
from ..models import Claim, Source, Verification, VersionConflict
from .common import render_page, wants_fragment

OPEN_STATES = [Verification.UNCONFIRMED, Verification.DISPUTED]
PAGE_SIZE = 25


@require_http_methods(["GET", "POST"])
def claim_list(request: HttpRequest) -> HttpResponse:
    """Everything unconfirmed or disputed in the user's records; editors re-verify in place.

    A POST changes one claim's verification state (citing a source when the state needs one)
    and answers with that claim's row (htmx) or a redirect back to the page.
    """
    if request.method == "POST":
        return _verify(request)
    claims = (
        Claim.objects.visible_to(request.user)
        .filter(verification__in=OPEN_STATES, archived_at__isnull=True)
        .select_related("meeting__team", "commitment__meeting__team", "body__meeting__team")
        .prefetch_related("sources")
        .order_by("verification", "pk")
    )
    page = Paginator(claims, PAGE_SIZE).get_page(request.GET.get("page"))
    editable = permissions.editable_teams(request.user)
    sources_by_team: dict[int, list[Source]] = {}
    for source in Source.objects.filter(team__in=editable).order_by("title", "pk"):
        sources_by_team.setdefault(source.team_id, []).append(source)
    editable_ids = set(sources_by_team) | set(editable.values_list("pk", flat=True))
    rows = []
    for claim in page.object_list:
        team = claim.team
        form = None
        if team.pk in editable_ids:
            form = ClaimVerificationForm(claim=claim, sources=sources_by_team.get(team.pk, []))
        rows.append({"claim": claim, "team": team, "form": form})
    context = {"rows": rows, "page": page, "page_query": ""}
    return render_page(request, "agreements/claim_list.html", context, partial="claim-list")


def _verify(request: HttpRequest) -> HttpResponse:
    claim = permissions.get_claim_for_user(request.user, request.POST.get("claim"), edit=True)
    team = claim.team
    form = ClaimVerificationForm(
        request.POST, claim=claim, sources=list(Source.objects.filter(team=team))
    )
    if not form.is_valid():
        row = {"claim": claim, "team": team, "form": form}
        return render_page(
            request, "agreements/claim_list.html", {"row": row}, partial="claim-row", status=422
        )
    claim.verification = form.cleaned_data["verification"]
    try:
        with transaction.atomic():
            claim.save_versioned(
                expected=form.cleaned_data["version"], update_fields=["verification"]
            )
            if form.cleaned_data["source"]:
                claim.sources.add(form.cleaned_data["source"])
    except VersionConflict:
        claim.refresh_from_db()
        form = ClaimVerificationForm(claim=claim, sources=list(Source.objects.filter(team=team)))
        notice = "Someone else changed this claim since you opened the page: here it is now."
        row = {"claim": claim, "team": team, "form": form, "notice": notice}
        return render_page(
            request, "agreements/claim_list.html", {"row": row}, partial="claim-row", status=409
        )
    notice = f"Claim marked {claim.get_verification_display().lower()}."
    if wants_fragment(request):
        row = {"claim": claim, "team": team, "form": None, "notice": notice}
        return render_page(request, "agreements/claim_list.html", {"row": row}, partial="claim-row")
    messages.success(request, notice)
    return redirect("agreements:claim_list")
