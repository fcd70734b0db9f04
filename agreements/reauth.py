"""Recent confirmation ("confirm it is you"): what changes how an account signs in, or makes
something that opens the tracker without a password, asks for the user's strongest proof
again unless they gave it within ``RECENT_CONFIRMATION_SECONDS`` (10 minutes).

The proof is a code from their authenticator app (or a recovery code) when they have two-factor
sign-in on, else their password. Signing in gives it (the code step, or the password for an
account without a second factor); ``/accounts/confirm/`` gives it again. Asked of: changing a
password (one's own, or an admin setting someone's), making an API key or a calendar address
(or a new one), turning two-factor sign-in on or off, making new recovery codes, and an
admin turning off someone's second factor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

CONFIRMED_KEY = "confirmed_at"


def mark_confirmed(request: HttpRequest) -> None:
    request.session[CONFIRMED_KEY] = int(time.time())


def confirmed_recently(request: HttpRequest) -> bool:
    confirmed = request.session.get(CONFIRMED_KEY)
    if not isinstance(confirmed, int):
        return False
    return 0 <= time.time() - confirmed <= settings.RECENT_CONFIRMATION_SECONDS


def confirmation_url(next_url: str) -> str:
    return f"{reverse('confirm_identity')}?{urlencode({'next': next_url})}"


def ask_to_confirm(request: HttpRequest, next_url: str | None = None) -> HttpResponse:
    """Off to "confirm it is you", then back to ``next_url`` (the page asked for; after a POST,
    the page it was posted from, to do it again). An htmx request gets a 401 that says why
    (tracker.js shows it) and keeps its page."""
    if getattr(request, "htmx", False):
        return HttpResponse(
            _("Confirm it is you first: reload the page."), status=401, content_type="text/plain"
        )
    if next_url is None:
        next_url = request.get_full_path() if request.method == "GET" else request.path
    return redirect(confirmation_url(next_url))


def confirm_first(view: Callable) -> Callable:
    """A view reached only with a recent confirmation (every method)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not confirmed_recently(request):
            return ask_to_confirm(request)
        return view(request, *args, **kwargs)

    return wrapped
