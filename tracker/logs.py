"""Structured logs: one JSON object per line on stdout, each carrying the request's id.

The request id comes from the proxy (a well-formed ``X-Request-ID``) or is made here (uuid4
hex); ``request_id_middleware`` keeps it in a context variable for the request's lifetime and
sends it back in the response's ``X-Request-ID``, ``RequestIdFilter`` puts it on every log
record, and ``JsonFormatter`` writes the record. Gunicorn's access log (tracker/gunicorn.conf.py)
uses the same formatter and reads the id from the response header, so a request's access line,
its errors and the proxy's log all share one id.

No Django import at module level: gunicorn's master process loads this before Django is set up.
A formatter of our own rather than a library's: the format is ~30 lines and we choose its fields.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import re
import uuid
from collections.abc import Callable

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy sends: nginx's $request_id (32 hex), a UUID, a ULID, dotted or colon-separated
# trace ids. Anything else (too long, spaces, quotes, control characters) is replaced, so a
# client cannot write into the logs through this header.
WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,100}")

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# The attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def request_id_for(incoming: str | None) -> str:
    """The incoming id when it is well-formed, else a new one."""
    if incoming and WELL_FORMED.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def request_id_middleware(get_response: Callable) -> Callable:
    """First in MIDDLEWARE, so every later middleware, the view and the streamed body of a
    download log with the id. The id stays set until the response is closed (``request_finished``,
    after the last chunk of a streamed download), then is cleared."""
    from django.core.signals import request_finished

    def forget(**kwargs) -> None:
        current_request_id.set(None)

    request_finished.connect(forget, weak=False, dispatch_uid="tracker.logs.forget_request_id")

    def middleware(request):
        request.request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))
        current_request_id.set(request.request_id)
        response = get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        return response

    return middleware


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on the record (None outside a request); keeps them all.
    A record that already has one (gunicorn's access log sets it from the response) keeps it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, request_id,
    then the record's ``extra`` fields that are plain values (Django's ``status_code``; not its
    ``request`` object), and the traceback as ``exception`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            plain = value is None or isinstance(value, str | int | float | bool)
            if plain and key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
