"""Where a change came from, stamped on every history record.

django-simple-history records who (the request's user) and when; this adds how: "web" for
the pages, "admin" for the Django admin, "command:<name>" for management commands, or what a
caller names with ``audit_via(...)``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

_via: ContextVar[str | None] = ContextVar("audit_via", default=None)


@contextmanager
def audit_via(via: str) -> Iterator[None]:
    """Name where the changes made inside the block come from (e.g. "review", "import")."""
    token = _via.set(via)
    try:
        yield
    finally:
        _via.reset(token)


def current_via() -> str:
    if via := _via.get():
        return via
    request = getattr(HistoricalRecords.context, "request", None)
    if request is not None:
        return "admin" if request.path.startswith("/admin/") else "web"
    if len(sys.argv) > 1 and sys.argv[0].endswith("manage.py"):
        return f"command:{sys.argv[1]}"
    return "system"


@receiver(pre_create_historical_record)
def stamp_via(sender, history_instance, **kwargs) -> None:
    history_instance.history_via = current_via()


def allow_citation_edits(by) -> None:
    """Within the current transaction, let a recorded edit remove citations of statements and
    claims. On PostgreSQL the database refuses their removal otherwise (a trigger, in
    migrations/_rules.py), so nothing removes one behind the record's back: only an edit that
    its history records, made by ``by``. (SQLite keeps the rule in the application only.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('agreements.citations_edited_by', %s, true)", [str(by.pk)]
            )
