"""The interface language: chosen from the switcher in every page's header (and on sign-in)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from ..middleware import LANGUAGE_KEY, second_step_pending
from ..models import Preference


@login_not_required
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language`` (the cookie, a safe ``next``), and for a signed-in user their
    Preference and session too, so the choice follows them to other devices and their emails.
    Before the second step of signing in, the cookie and session only: the account itself is
    not changed by someone who has only its password."""
    response = set_language(request)
    language = request.POST.get("language")
    if language in dict(settings.LANGUAGES) and request.user.is_authenticated:
        if second_step_pending(request) is None:
            Preference.choose(request.user, language)
        request.session[LANGUAGE_KEY] = language
    return response
