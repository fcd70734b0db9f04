"""The answer to a request that failed on the server (``handler500``)."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _

# Fields never echoed back: secrets and the machinery of the form.
NOT_ECHOED = {"csrfmiddlewaretoken", "password", "password1", "password2", "version"}


def server_error(request: HttpRequest) -> HttpResponse:
    """A page that reads nothing from the database, shows what the user sent (to copy) and
    the request's id, which the log's entry of the error carries too (``tracker.logs``).

    A database that did not answer (down, restarting, unreachable), wherever it failed: 503,
    nothing was saved. Anything else: 500; what was sent may have been saved before the error.
    An htmx request gets the message alone: tracker.js says so with the reference, and the
    page with what was typed stays as it is."""
    down = isinstance(sys.exc_info()[1], OperationalError | InterfaceError)
    reference = getattr(request, "request_id", "")
    if request.headers.get("HX-Request"):
        text = (
            _("The database did not answer; nothing was saved.")
            if down
            else _("The server failed to answer (reference %(reference)s).")
            % {"reference": reference}
        )
        response = HttpResponse(text, content_type="text/plain")
    else:
        typed = [
            (name, value)
            for name, values in request.POST.lists()
            if name not in NOT_ECHOED and not name.endswith(("TOTAL_FORMS", "INITIAL_FORMS"))
            for value in values
            if value.strip()
        ]
        context = {"typed": typed, "path": request.path, "reference": reference}
        response = HttpResponse(
            loader.render_to_string("503.html" if down else "500.html", context)
        )
    if down:
        response.status_code = 503
        response["Retry-After"] = "30"
    else:
        response.status_code = 500
    return response
