"""Rules for every signed-in request: the page is private, the session has limits, and the
second factor is given where it is on or required."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import user_has_device

from .models.teams import Preference, TeamRole, team_ids
from .reauth import mark_confirmed

SEEN_KEY, SIGNED_IN_KEY = "seen_at", "signed_in_at"
# The interface language the signed-in user chose (their Preference), copied in at sign-in.
LANGUAGE_KEY = "language"
# Whether the signed-in user has two-factor sign-in on, read once at sign-in (and set when they
# turn it on), so a request costs no device lookup until then.
TWO_FACTOR_KEY = "two_factor_on"
# Answered without a user: never a session read here (the benchmark's floors stay bare).
NO_USER = ("/healthz", "/readyz", "/static/")
# Reachable before the second step, and nothing else: signing in and out, the language, and
# either the code prompt (a user with a device) or setting one up, with "confirm it is you"
# by password should that take long (a user who must have one). Not the password change, API
# keys or anything else of /accounts/ or the admin.
BEFORE_SECOND_STEP = ("/accounts/login/", "/accounts/logout/", "/accounts/language/")
BEFORE_THE_CODE = (*BEFORE_SECOND_STEP, "/accounts/verify/")
BEFORE_SETTING_UP = (*BEFORE_SECOND_STEP, "/accounts/two-factor/", "/accounts/confirm/")


@receiver(user_logged_in)
def start_the_clock(sender, request, user, **kwargs) -> None:
    """The session's limits count from sign-in (written with the new session, no extra save)."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_KEY] = request.session[SEEN_KEY] = now
        request.session[TWO_FACTOR_KEY] = has_device = user_has_device(user, confirmed=True)
        if not has_device:  # the password is this account's strongest proof: just given
            mark_confirmed(request)
        chosen = Preference.objects.filter(user=user).values_list("language", flat=True).first()
        if chosen:
            request.session[LANGUAGE_KEY] = chosen


def user_language(get_response):
    """A signed-in user reads the tracker in the language they chose, on every device, whatever
    the browser asks for (LocaleMiddleware has already applied the cookie or Accept-Language)."""

    def middleware(request):
        user = getattr(request, "user", None)
        if request.path.startswith(NO_USER) or user is None or not user.is_authenticated:
            return get_response(request)
        language = request.session.get(LANGUAGE_KEY)
        if language and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return get_response(request)

    return middleware


def two_factor_required(user) -> bool:
    """Admins and editors sign in with a second factor, unless ``TWO_FACTOR_REQUIRED`` is off
    or the account is one of ``TWO_FACTOR_EXEMPT`` (the demo's)."""
    if not settings.TWO_FACTOR_REQUIRED or user.get_username() in settings.TWO_FACTOR_EXEMPT:
        return False
    return user.is_superuser or user.is_staff or bool(team_ids(user, role=TeamRole.EDITOR))


def second_step_pending(request) -> str | None:
    """What a signed-in session still owes before it reaches anything but signing in: the code
    ("verify", it has a device) or setting one up ("set_up", it must have one); else None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if request.session.get(TWO_FACTOR_KEY):
        return None if user.is_verified() else "verify"
    return "set_up" if two_factor_required(user) else None


def two_factor(get_response):
    """Until the second step is done, a signed-in session reaches only signing in and out, the
    language, and the code prompt when it has a device or the set-up page when it must have
    one: never the password change, API keys, a calendar address, the admin or any page."""

    def middleware(request):
        if request.path.startswith(NO_USER):  # first: no session read for these
            return get_response(request)
        pending = second_step_pending(request)
        if pending is None:
            return get_response(request)
        if pending == "verify":
            if request.path.startswith(BEFORE_THE_CODE):
                return get_response(request)
            where, why = "two_factor_verify", _("Enter the code from your authenticator app.")
        else:
            if request.path.startswith(BEFORE_SETTING_UP):
                return get_response(request)
            where, why = "two_factor", _("Set up two-factor sign-in to go on.")
        if request.htmx:
            return HttpResponse(why, status=401, content_type="text/plain")
        return redirect(f"{reverse(where)}?{urlencode({'next': request.get_full_path()})}")

    return middleware


def private_pages(get_response):
    """Signed-in pages hold team records: never stored by a browser's cache or a proxy."""

    def middleware(request):
        response = get_response(request)
        if request.path.startswith(NO_USER):
            return response
        user = getattr(request, "user", None)
        # The API reads as its key's user, not the session's: its answers are private too.
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            patch_cache_control(response, no_store=True, private=True)
        return response

    return middleware


def session_limits(get_response):
    """End a session after ``SESSION_IDLE_SECONDS`` without a request, ``SESSION_COOKIE_AGE``
    after sign-in whatever the activity, and as soon as its user belongs to no team (an admin
    aside). A deactivated user is signed out by Django itself: ``ModelBackend`` refuses them on
    the next request. The times are written at most once a minute, not on every request."""

    def middleware(request):
        user = getattr(request, "user", None)
        if request.path.startswith(NO_USER) or user is None or not user.is_authenticated:
            return get_response(request)
        session, now = request.session, int(time.time())
        signed_in = session.setdefault(SIGNED_IN_KEY, now)
        seen = session.get(SEEN_KEY, now)
        reason = ""
        if now - seen > settings.SESSION_IDLE_SECONDS:
            reason = _("You were signed out after a while without activity. Sign in again.")
        elif now - signed_in > settings.SESSION_COOKIE_AGE:
            reason = _("Your session reached its time limit. Sign in again.")
        elif not user.is_superuser and not team_ids(user):
            reason = _("Your account belongs to no team any more: ask an admin to add you to one.")
        if reason:
            logout(request)
            messages.info(request, reason)
            if request.htmx:  # the page stays, with what was typed in it; tracker.js says why
                return HttpResponse(reason, status=401, content_type="text/plain")
            return redirect_to_login(request.get_full_path())
        if now - seen >= 60 or SEEN_KEY not in session:
            session[SEEN_KEY] = now
        return get_response(request)

    return middleware


def admin_refuses_nul(get_response):
    """A request to the admin with a NUL character in its address or query is a 400. No id,
    search or filter value holds one, PostgreSQL cannot compare text that does, and the admin's
    own lookups (autocomplete, list filters, ids in the address) hand what they are given to
    the database. (The pages and the API check their parameters themselves.)"""

    def middleware(request):
        admin_root = reverse("admin:index")
        if request.path.startswith(admin_root) and (
            "\x00" in request.path
            or any("\x00" in value for name in request.GET for value in request.GET.getlist(name))
        ):
            return HttpResponseBadRequest(
                _("A NUL character is never part of an address."), content_type="text/plain"
            )
        return get_response(request)

    return middleware
