"""The answer to a request that failed on the server (``handler500``)."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

# Fields never echoed back: secrets and the machinery of the form.
NOT_ECHOED = {"csrfmiddlewaretoken", "password", "password1", "password2", "version"}


def server_error(request: HttpRequest) -> HttpResponse:
    """A database that did not answer (down, restarting, unreachable), wherever it failed: 503,
    nothing saved, and what the user sent shown back to copy once it answers again. The page
    reads nothing from the database. An htmx request gets the 503 alone: tracker.js says so,
    and the page with what was typed stays as it is. Anything else: Django's plain 500."""
    error = sys.exc_info()[1]
    if not isinstance(error, OperationalError | InterfaceError):
        return django_server_error(request)
    if request.headers.get("HX-Request"):
        response = HttpResponse(
            _("The database did not answer; nothing was saved."), content_type="text/plain"
        )
    else:
        typed = [
            (name, value)
            for name, values in request.POST.lists()
            if name not in NOT_ECHOED and not name.endswith(("TOTAL_FORMS", "INITIAL_FORMS"))
            for value in values
            if value.strip()
        ]
        html = loader.render_to_string("503.html", {"typed": typed, "path": request.path})
        response = HttpResponse(html)
    response.status_code = 503
    response["Retry-After"] = "30"
    return response
