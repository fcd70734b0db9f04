"""The answer to a request that failed on the server (``handler500``)."""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Fields never echoed back: the machinery of the forms, and anything secret by its name
# (passwords old and new, two-factor and recovery codes). A view marked with Django's
# ``sensitive_post_parameters`` (sign-in, password change, two-factor) echoes nothing at all.
NOT_ECHOED = {"csrfmiddlewaretoken", "version"}
SECRET_WORDS = ("password", "code", "token", "secret")


def server_error(request: HttpRequest) -> HttpResponse:
    """A page that reads nothing from the database, shows what the user sent (to copy) and
    the request's id, which the log's entry of the error carries too (``tracker.logs``).

    A database that did not answer (down, restarting, unreachable), wherever it failed: 503,
    nothing was saved. Anything else: 500; what was sent may have been saved before the error.
    An htmx request gets the message alone: tracker.js says so with the reference, and the
    page with what was typed stays as it is. Should the page itself fail to render (a static
    file missing from the manifest, say), the message alone, as plain text."""
    down = isinstance(sys.exc_info()[1], OperationalError | InterfaceError)
    reference = getattr(request, "request_id", "")
    if down:
        text = _("The database did not answer; nothing was saved.")
    elif reference:
        text = _("The server failed to answer (reference %(reference)s).") % {
            "reference": reference
        }
    else:
        text = _("The server failed to answer.")
    html = None
    if not request.headers.get("HX-Request"):
        context = {
            "typed": _typed(request),
            "sent": request.method == "POST",
            "path": request.get_full_path() if request.method == "GET" else request.path,
            "reference": reference,
        }
        try:
            html = loader.render_to_string("503.html" if down else "500.html", context)
        except Exception:  # the answer must not fail too: logged, and the text alone
            logger.exception("The error page could not be drawn")
    if html is None:
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    else:
        response = HttpResponse(html)
    response.status_code = 503 if down else 500
    if down:
        response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"  # it may show what the user typed
    return response


def _typed(request: HttpRequest) -> list[tuple[str, str]]:
    """What the user sent, field by field, except what must never be shown back."""
    if getattr(request, "sensitive_post_parameters", None) == "__ALL__":
        return []
    hidden = set(getattr(request, "sensitive_post_parameters", ()) or ())
    return [
        (name, value)
        for name, values in request.POST.lists()
        if name not in NOT_ECHOED
        and name not in hidden
        and not any(word in name.lower() for word in SECRET_WORDS)
        and not name.endswith(("TOTAL_FORMS", "INITIAL_FORMS"))
        for value in values
        if value.strip()
    ]
