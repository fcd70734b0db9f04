from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import actions, feeds
from ..models import CalendarFeed, language_of
from ..reauth import ask_to_confirm, confirmed_recently
from .common import render_page


@require_http_methods(["GET", "POST"])
def calendar_page(request: HttpRequest) -> HttpResponse:
    """The user's private calendar address, to paste into a calendar app. A POST makes it, or
    makes a new one in place of the old: either asks for a recent confirmation (``reauth``),
    since the address reads the user's milestones without signing in."""
    feed = CalendarFeed.objects.filter(user=request.user).first()
    if request.method == "POST":
        if not confirmed_recently(request):
            messages.info(request, _("Confirm it is you, then make the address."))
            return ask_to_confirm(request)
        if feed is None:
            actions.make_calendar_address(user=request.user, request=request)
            messages.success(request, _("Your calendar address is made."))
        else:
            actions.reset_calendar_address(feed=feed, by=request.user, request=request)
            messages.success(request, _("New address made: the old one no longer works."))
        return redirect("agreements:calendar")
    context = {"feed": feed, "address": None, "webcal": None}
    if feed is not None:
        path = reverse("agreements:calendar_feed", args=[feed.token])
        context["address"] = request.build_absolute_uri(path)
        context["webcal"] = "webcal://" + context["address"].split("://", 1)[1]
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
