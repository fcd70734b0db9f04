from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import permissions
from ..history import history_of, participants_history

# The records with a page of their own, and so a History view: getter and page URL name.
RECORDS = {
    "meeting": (permissions.get_meeting_for_user, "agreements:meeting_detail"),
    "commitment": (permissions.get_commitment_for_user, "agreements:commitment_detail"),
    "body": (permissions.get_body_for_user, "agreements:body_detail"),
}


@require_GET
def record_history(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Every change to a record: who (or which command), when, from where, why, and each
    field's old and new value, newest first."""
    if kind not in RECORDS:
        raise Http404(_("No such kind of record."))
    get_for_user, page = RECORDS[kind]
    record = get_for_user(request.user, pk)
    entries = history_of(record)
    if kind == "meeting":  # who attended is part of the meeting's record
        entries = sorted(entries + participants_history(record), key=lambda e: e.when, reverse=True)
    context = {
        "record": record,
        "record_url": reverse(page, args=[record.pk]),
        "entries": entries,
    }
    return render(request, "agreements/record_history.html", context)
