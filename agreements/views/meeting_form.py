"""Recording a meeting, and changing one: the meeting with its commitments and participants in
one form (``forms.MeetingEditor``), rows added in place (htmx) or by a redraw without
JavaScript."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import permissions
from ..forms import MeetingEditor, MeetingForm
from ..forms.meeting_editor import (
    blank_body_row,
    blank_commitment_row,
    blank_participant_row,
    blank_statement_row,
)
from ..forms.meeting_extras import MAX_EXTRA_ROWS
from ..forms.meeting_rows import MAX_PARTICIPANTS, MAX_ROWS
from ..models import Meeting, VersionConflict
from .common import picker_options, render_page, wants_fragment


@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    """Record a meeting with its commitments, added row by row.

    ``?row=N`` (htmx, from "Add commitment") answers with one empty commitment row numbered N;
    without JavaScript, the "add_row" submit button re-renders the form with one more row.
    """
    if not permissions.edits_some_team(request.user):
        raise PermissionDenied
    return _meeting_form(request, Meeting())


@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a meeting and its commitments (the commitments' status has its own workflow)."""
    meeting = permissions.get_meeting_for_user(request.user, pk, edit=True)
    if meeting.is_archived:
        messages.error(
            request, _("This meeting is archived: it is read-only until an admin restores it.")
        )
        return redirect(meeting)
    return _meeting_form(request, meeting)


def _meeting_form(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    if request.method == "GET" and wants_fragment(request):
        if "row" in request.GET:
            return _empty_row(request, meeting)
        if "participant_row" in request.GET:
            return _empty_participant(request, meeting)
        if "body_row" in request.GET or "statement_row" in request.GET:
            return _empty_extra_row(request, meeting)
        if "_pick" in request.GET and (options := _pick(request, meeting)):
            return options
    data = request.POST if request.method == "POST" else None
    editor = MeetingEditor(data, meeting=meeting, user=request.user, asked=request.GET)
    status, conflicts = 200, []
    if data is not None and not editor.redrawing:
        if not editor.is_valid():
            status = 422
        else:
            try:
                saved = editor.save(by=request.user)
            except VersionConflict:
                conflicts = editor.conflicts()
                editor = editor.on_top_of_current()
                status = 409
            except ValidationError as refusal:
                editor.refuse(refusal)
                status = 409
            else:
                messages.success(request, _("Meeting “%(title)s” saved.") % {"title": saved.title})
                return redirect("agreements:meeting_detail", pk=saved.pk)
    # Parties chosen (htmx): each commitment row's roles, swapped out of band; nothing else.
    roles_only = data is not None and "refresh" in data
    context = editor.context() | {
        "meeting": meeting if meeting.pk else None,
        "conflicts": conflicts,
        "roles_oob": roles_only,
    }
    return render_page(
        request,
        "agreements/meeting_form.html",
        context,
        partial="every-party-roles" if roles_only else None,
        status=status,
    )


PICKED_ROW = re.compile(r"participants-(\d{1,4})-(person|party)")
PICKED_SPEAKER = re.compile(r"statements-(\d{1,4})-speaker")


def _pick(request: HttpRequest, meeting: Meeting) -> HttpResponse | None:
    """The options of the form's pickers: the meeting's parties, and a participant row's person
    (among the team's) or party, whichever row asks, added in place or not."""
    name = request.GET["_pick"]
    if match := PICKED_ROW.fullmatch(name):
        form = blank_participant_row(meeting, request.user, request.GET, int(match[1]))
    elif match := PICKED_SPEAKER.fullmatch(name):
        form = blank_statement_row(meeting, request.user, request.GET, int(match[1]))
    else:
        form = MeetingForm(instance=meeting, user=request.user)
    return picker_options(request, form)


def _row_number(request: HttpRequest, name: str, most: int) -> int | None:
    try:
        return max(0, min(int(request.GET[name]), most - 1))
    except ValueError:
        return None


def _empty_row(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """``?row=N`` (htmx, from "Add commitment"): one empty commitment row."""
    if (index := _row_number(request, "row", MAX_ROWS)) is None:
        return HttpResponse(_("Bad row number."), status=400)
    context = {
        "row": blank_commitment_row(meeting, request.user, request.GET, index),
        "index": index,
        "number": index + 1,
        "total": index + 1,
        "oob": True,
    }
    return render_page(request, "agreements/meeting_form.html", context, partial="commitment-row")


def _empty_participant(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """``?participant_row=N`` (htmx, from "Add participant"): one empty participant row."""
    if (index := _row_number(request, "participant_row", MAX_PARTICIPANTS)) is None:
        return HttpResponse(_("Bad row number."), status=400)
    context = {
        "participant": blank_participant_row(meeting, request.user, request.GET, index),
        "index": index,
        "number": index + 1,
        "total": index + 1,
        "oob": True,
    }
    return render_page(request, "agreements/meeting_form.html", context, partial="participant-row")


def _empty_extra_row(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """``?body_row=N`` or ``?statement_row=N`` (htmx, from "Add body", "Add statement"): one
    empty body or statement row."""
    kind = "body" if "body_row" in request.GET else "statement"
    if (index := _row_number(request, f"{kind}_row", MAX_EXTRA_ROWS)) is None:
        return HttpResponse(_("Bad row number."), status=400)
    if kind == "body":
        row = blank_body_row(meeting, index)
    else:
        row = blank_statement_row(meeting, request.user, request.GET, index)
    context = {kind: row, "index": index, "number": index + 1, "total": index + 1, "oob": True}
    return render_page(request, "agreements/meeting_form.html", context, partial=f"{kind}-row")
