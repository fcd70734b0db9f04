from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import feeds
from ..models import CalendarFeed, language_of
from .common import render_page


@require_http_methods(["GET", "POST"])
def calendar_page(request: HttpRequest) -> HttpResponse:
    """The user's private calendar address, to paste into a calendar app; POST resets it."""
    feed = CalendarFeed.of(request.user)
    if request.method == "POST":
        feed.reset()
        messages.success(request, _("New address made: the old one no longer works."))
        return redirect("agreements:calendar")
    path = reverse("agreements:calendar_feed", args=[feed.token])
    address = request.build_absolute_uri(path)
    context = {
        "feed": feed,
        "address": address,
        "webcal": "webcal://" + address.split("://", 1)[1],
    }
    return render_page(request, "agreements/calendar.html", context)


@login_not_required  # calendar apps cannot sign in: the secret address is the credential
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The milestones a user can see, as iCalendar; 404 for an address reset or unknown, or
    for a deactivated user."""
    feed = (
        CalendarFeed.objects.select_related("user__preference")
        .filter(token=token, user__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404
    milestones = feeds.milestones_for(feed.user, timezone.localdate())
    with translation.override(language_of(feed.user)):  # a calendar app asks in no language
        content = feeds.calendar(milestones, request)
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"  # a team's records: never kept by proxies
    response["Content-Disposition"] = 'inline; filename="milestones.ics"'
    return response
