from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Prefetch, QuerySet
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from .. import actions, exports, permissions
from ..forms import (
    BodyForm,
    CommitmentRows,
    ContextEventForm,
    MeetingClaimForm,
    MeetingFilterForm,
    MeetingForm,
    MeetingLinkForm,
    MilestoneForm,
    ParticipantRows,
    SourceForm,
    StatementForm,
)
from ..forms.meetings import MAX_PARTICIPANTS, MAX_ROWS
from ..ids import is_id
from ..models import (
    BodyMembership,
    Claim,
    Commitment,
    ContextEvent,
    ImplementationBody,
    Meeting,
    Participant,
    Party,
    Person,
    Source,
    Statement,
    Theme,
    VersionConflict,
    compare_readouts,
)
from .common import (
    ARCHIVE,
    Outcome,
    PageAction,
    annotated_page,
    drawn_once,
    picker_options,
    render_drawn,
    render_page,
    run_action,
    wants_fragment,
)

PAGE_SIZE = 25


@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    """Meetings the user can see: search and filters swap the table and push the URL; the
    filters and the table are drawn once per revision of the records (``render_drawn``)."""

    def filtered() -> tuple[MeetingFilterForm, QuerySet]:
        form = MeetingFilterForm(request.GET or None, user=request.user)
        return form, form.filter(Meeting.objects.visible_to(request.user).active())

    if request.GET.get("format") == "csv":  # every meeting the filters select
        _, meetings = filtered()
        return exports.csv_response("meetings", exports.MEETINGS, meetings.for_list())

    def table() -> dict:
        form, meetings = filtered()
        query = request.GET.copy()
        query.pop("page", None)
        return {
            "form": form,
            "page": annotated_page(request, meetings, lambda rows: rows.for_list(), PAGE_SIZE),
            "page_query": query.urlencode(),
        }

    around = {"can_record": permissions.editable_teams(request.user).exists()}
    return render_drawn(
        request, "agreements/meeting_list.html", "meeting-table", table, whole="page", around=around
    )


# --- Recording and editing a meeting ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    """Record a meeting with its commitments, added row by row.

    ``?row=N`` (htmx, from "Add commitment") answers with one empty commitment row numbered N;
    without JavaScript, the "add_row" submit button re-renders the form with one more row.
    """
    if not permissions.editable_teams(request.user).exists():
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


# Submit buttons that redraw the form with what was typed, saving nothing: one more commitment
# row, one more participant row, the commitment rows' roles for the parties now chosen.
REDRAWS = ("add_row", "add_participant", "refresh")


def _meeting_form(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    if request.method == "GET" and wants_fragment(request):
        if "row" in request.GET:
            return _empty_row(request, meeting)
        if "participant_row" in request.GET:
            return _empty_participant(request, meeting)
        if "_pick" in request.GET and (options := _pick(request, meeting)):
            return options
    data = request.POST if request.method == "POST" else None
    if data is not None and "add_row" in data:
        data = _with_one_more_row(data)
    if data is not None and "add_participant" in data:
        data = _with_one_more_row(data, "participants")
    form = MeetingForm(data, instance=meeting, user=request.user)
    rows = _rows(data, meeting, form.parties_chosen())
    participants = _participants(request, data, meeting)
    redraw = request.method == "POST" and any(name in request.POST for name in REDRAWS)
    conflicts = []
    if request.method == "POST" and not redraw:
        if form.is_valid() and rows.is_valid() and participants.is_valid():
            try:
                meeting = _save_meeting(request, form, rows, participants)
            except VersionConflict:
                conflicts = _conflicts(form, rows)
                form, rows, participants = _on_top_of_current(request, meeting)
                status = 409
            except ValidationError as refusal:
                _show_refusal(refusal, form)
                status = 409
            else:
                messages.success(
                    request, _("Meeting “%(title)s” saved.") % {"title": meeting.title}
                )
                return redirect("agreements:meeting_detail", pk=meeting.pk)
        else:
            status = 422
    else:
        status = 200
        if redraw:
            _unfinished(form, rows, participants)
    participants.known_labels()
    context = {
        "form": form,
        "rows": rows,
        "participants": participants,
        "meeting": meeting if meeting.pk else None,
        "conflicts": conflicts,
    }
    # Parties chosen (htmx): each commitment row's roles, swapped out of band; nothing else.
    roles_only = request.method == "POST" and "refresh" in request.POST
    return render_page(
        request,
        "agreements/meeting_form.html",
        context | {"roles_oob": roles_only},
        partial="every-party-roles" if roles_only else None,
        status=status,
    )


def _unfinished(form: MeetingForm, *formsets) -> None:
    """A redrawn form is being filled in, not saved: its fields show no errors yet (what is
    wrong with the whole of it, a broken row count, still shows)."""
    form._errors = ErrorDict()
    for formset in formsets:
        formset.non_form_errors()  # cleans the rows
        for row in formset.forms:
            row._errors = ErrorDict()
        formset._errors = [row._errors for row in formset.forms]


def _show_refusal(refusal: ValidationError, form: MeetingForm) -> None:
    """A refusal of the save next to the field it names (the new party's, when someone added
    the same party meanwhile), else above the form."""
    if hasattr(refusal, "error_dict") and all(name in form.fields for name in refusal.error_dict):
        for name, errors in refusal.error_dict.items():
            form.add_error(name, errors)
    else:  # a rule of the whole save (or a field no longer on the form): above the form
        form.add_error(None, refusal.messages)


def _team_id(request: HttpRequest, data, meeting: Meeting) -> int | None:
    """The meeting's team as the form holds it: the team chosen on it, when the user may edit
    that team; else the meeting's; else the user's only team (None while there is no telling).
    """
    teams = permissions.editable_teams(request.user)
    chosen = (data if data is not None else request.GET).get("team", "")
    if is_id(chosen) and (found := teams.filter(pk=chosen).values_list("pk", flat=True).first()):
        return found
    if meeting.pk:
        return meeting.team_id
    only = list(teams.values_list("pk", flat=True)[:2])
    return only[0] if len(only) == 1 else None


def _participants(request: HttpRequest, data, meeting: Meeting):
    """The participant rows; a row's person is one of the meeting's team's persons only.

    A POST without the rows' management form (a form opened before participants were on it)
    leaves the participants as they are, rather than refusing the whole meeting."""
    if data is not None and "participants-TOTAL_FORMS" not in data:
        data = data.copy()
        data["participants-TOTAL_FORMS"] = data["participants-INITIAL_FORMS"] = "0"
    team_id = _team_id(request, data, meeting)
    persons = Person.objects.filter(team_id=team_id) if team_id else Person.objects.none()
    existing = Participant.objects.filter(meeting=meeting) if meeting.pk else Participant.objects
    return ParticipantRows(
        data,
        instance=meeting,
        prefix="participants",
        queryset=existing.select_related("person", "party").order_by("pk"),
        form_kwargs={"persons": persons},
    )


PICKED_ROW = re.compile(r"participants-(\d{1,4})-(person|party)")


def _pick(request: HttpRequest, meeting: Meeting) -> HttpResponse | None:
    """The options of the form's pickers: the meeting's parties, and a participant row's person
    (among the team's) or party, whichever row asks, added in place or not."""
    name = request.GET["_pick"]
    if match := PICKED_ROW.fullmatch(name):
        forms = [_participant_row(request, meeting, int(match[1]))]
    else:
        forms = [MeetingForm(instance=meeting, user=request.user)]
    return picker_options(request, *forms)


def _conflicts(form: MeetingForm, rows) -> list[dict]:
    """What changed under the user, record by record: stored values beside theirs."""
    found = []
    if form.instance.pk:
        found.append({"record": _("The meeting"), "fields": form.conflicts()})
    for row in rows.forms:
        if row.instance.pk and row.has_changed():
            found.append(
                {
                    "record": _("Commitment “%(title)s”") % {"title": row.instance.title},
                    "fields": row.conflicts(),
                }
            )
    return [c for c in found if c["fields"]]


def _on_top_of_current(request: HttpRequest, meeting: Meeting):
    """The user's submitted values, re-bound with the current versions, so that saving again
    applies them on top of the newer record (after the user has compared). (Participant rows
    carry no version: a row saved again says what the user typed.)"""
    data = request.POST.copy()
    meeting.refresh_from_db()
    data["version"] = meeting.version
    current = dict(Commitment.objects.filter(meeting=meeting).values_list("pk", "version"))
    for i in range(int(data.get("commitments-TOTAL_FORMS") or 0)):
        pk = data.get(f"commitments-{i}-id")
        if is_id(pk) and int(pk) in current:
            data[f"commitments-{i}-version"] = current[int(pk)]
    form = MeetingForm(data, instance=meeting, user=request.user)
    return form, _rows(data, meeting, form.parties_chosen()), _participants(request, data, meeting)


def _save_meeting(request: HttpRequest, form: MeetingForm, rows, participants) -> Meeting:
    """Hand the meeting, its changed rows (in the order shown) and its participants to the
    action that saves them together; an empty new row, or an existing one left as it was, is
    left out."""
    changed = []
    for position, row in enumerate(rows.forms, start=1):
        if row.has_changed():
            commitment = row.save(commit=False)
            if commitment.pk is None:
                commitment.position = position
            changed.append(
                actions.CommitmentRow(
                    commitment, row.cleaned_data.get("version"), row.party_roles()
                )
            )
    attending, removed = [], []
    for row in participants.forms:
        if row.instance.pk and participants._should_delete_form(row):
            removed.append(row.instance)
        elif row.has_changed() and not participants._should_delete_form(row):
            participant = row.save(commit=False)
            participant.office = row.cleaned_data["office"]
            participant.party = row.cleaned_data["party"]
            attending.append(actions.ParticipantRow(participant, row.cleaned_data["new_person"]))
    return actions.save_meeting(
        meeting=form.save(commit=False),
        expected=form.cleaned_data.get("version"),
        parties=form.cleaned_data["parties"],
        new_party=form.cleaned_data.get("new_party"),
        rows=changed,
        participants=attending,
        removed=removed,
        by=request.user,
    )


def _rows(data, meeting: Meeting, parties: list[Party]):
    """The commitment rows; every row offers a role for each of the meeting's parties (as the
    form holds them: fetched once, bounded by the meeting)."""
    existing = Commitment.objects.filter(meeting=meeting) if meeting.pk else Commitment.objects
    return CommitmentRows(
        data,
        instance=meeting,
        prefix="commitments",
        queryset=existing.prefetch_related("party_roles").order_by("position", "pk"),
        form_kwargs={"parties": parties, "themes": list(Theme.objects.all())},
    )


def _with_one_more_row(data, prefix: str = "commitments"):
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    total = data.get(key, "")
    # A total the formset cannot read stays as it is: the formset then says the form is broken.
    if total.isascii() and total.isdigit() and len(total) < 4:
        data[key] = str(int(total) + 1)
    return data


def _empty_row(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    try:
        index = max(0, min(int(request.GET["row"]), MAX_ROWS - 1))
    except ValueError:
        return HttpResponse(_("Bad row number."), status=400)
    rows = _rows(None, meeting, _parties_asked(request, meeting))
    # Built like the formset's empty_form, with a real row number in place of __prefix__.
    row = rows.form(
        auto_id=rows.auto_id,
        prefix=rows.add_prefix(index),
        empty_permitted=True,
        use_required_attribute=False,
        **rows.get_form_kwargs(None),
    )
    context = {
        "row": row,
        "index": index,
        "number": index + 1,
        "total": index + 1,
        "rows": rows,
        "oob": True,
    }
    return render_page(request, "agreements/meeting_form.html", context, partial="commitment-row")


def _parties_asked(request: HttpRequest, meeting: Meeting) -> list[Party]:
    """The parties an added commitment row offers roles for: those chosen on the form (sent
    along with "Add commitment"), else the meeting's."""
    form = MeetingForm(
        request.GET if "parties" in request.GET else None, instance=meeting, user=request.user
    )
    return form.parties_chosen()


def _participant_row(request: HttpRequest, meeting: Meeting, index: int):
    """An empty participant row numbered ``index``, built like the formset's empty form."""
    rows = _participants(request, None, meeting)
    return rows.form(
        auto_id=rows.auto_id,
        prefix=rows.add_prefix(index),
        empty_permitted=True,
        use_required_attribute=False,
        **rows.get_form_kwargs(None),
    )


def _empty_participant(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """``?participant_row=N`` (htmx, from "Add participant"): one empty participant row."""
    try:
        index = max(0, min(int(request.GET["participant_row"]), MAX_PARTICIPANTS - 1))
    except ValueError:
        return HttpResponse(_("Bad row number."), status=400)
    context = {
        "participant": _participant_row(request, meeting, index),
        "index": index,
        "number": index + 1,
        "total": index + 1,
        "oob": True,
    }
    return render_page(request, "agreements/meeting_form.html", context, partial="participant-row")


# --- A meeting's page -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything a meeting holds. Editors add milestones, statements, claims and sources in
    place (``ACTIONS``); each answers with its section (htmx) or a redirect."""
    if request.method == "POST":
        return run_action(
            request,
            ACTIONS,
            get=lambda permission: permissions.get_meeting_for_user(
                request.user, pk, edit=permission == "edit"
            ),
            render=_render_detail,
            page_url=lambda meeting: meeting.get_absolute_url(),
        )
    meeting = permissions.get_meeting_for_user(request.user, pk)
    if "_pick" in request.GET and can_edit(request.user, meeting):
        # An edit form's picker names its event: "event-<id>-sources".
        event_pk = request.GET["_pick"].removeprefix("event-").partition("-")[0]
        forms = [*_add_forms(meeting).values(), _event_form(meeting, event_pk)]
        if options := picker_options(request, *filter(None, forms)):
            return options
    if request.GET.get("add") in ADDITIONS and can_edit(request.user, meeting):
        return _open_add_form(request, meeting, request.GET["add"])
    if request.GET:  # an event's form opened without JavaScript (?edit_event=…)
        return _render_detail(request, meeting)
    # The page as it stands: the same for everyone who may edit it, and for everyone who may
    # not, so drawn once per revision of the records (the forms' CSRF token set in per view).
    editable = can_edit(request.user, meeting)
    template = "agreements/meeting_detail.html"
    # The path names the meeting; whether the reader may edit it is the rest of the key.
    drawn = drawn_once(
        request, template, "page", lambda: _detail_context(request, meeting, editable), editable
    )
    return render_page(request, template, {"meeting": meeting, "drawn": drawn})


def _open_add_form(request: HttpRequest, meeting: Meeting, kind: str) -> HttpResponse:
    """An add form, opened by its editor: the form alone for htmx (the page renders its add
    forms closed and empty, 41 fields it would otherwise draw on every view), else the page
    with that form open."""
    form = _add_form(meeting, kind)
    if wants_fragment(request):
        context = {
            "form": form,
            "kind": kind,
            "action": f"add_{kind}",
            "title": ADD_TITLES[kind],
            "target": ADDITIONS[kind],
        }
        return render_page(
            request, "agreements/includes/add_form.html", context, partial="add-form"
        )
    return _render_detail(request, meeting, opened={kind: form})


def can_edit(user, meeting: Meeting) -> bool:
    return permissions.is_editor(user, meeting.team) and not meeting.is_read_only


ADDED = {  # what the page says once a record of each kind is added
    "link": gettext_lazy("Link added."),
    "milestone": gettext_lazy("Milestone added."),
    "body": gettext_lazy("Body added."),
    "event": gettext_lazy("Event added."),
    "statement": gettext_lazy("Statement added."),
    "claim": gettext_lazy("Claim added."),
    "source": gettext_lazy("Source added."),
}
ADD_TITLES = {  # each add form's summary and button
    "link": gettext_lazy("Link a related meeting"),
    "milestone": gettext_lazy("Add a milestone"),
    "body": gettext_lazy("Record a body"),
    "event": gettext_lazy("Add a context event"),
    "statement": gettext_lazy("Add a statement"),
    "claim": gettext_lazy("Add a claim"),
    "source": gettext_lazy("Add a source"),
}
ADDITIONS = {  # what editors add on the page, and the section that shows it
    "link": "related",
    "milestone": "commitments",
    "body": "bodies",
    "event": "events",
    "statement": "statements",
    "claim": "claims",
    "source": "sources",
}


def _add(kind: str) -> Callable[[HttpRequest, Meeting], Outcome]:
    """The action adding one ``kind`` of record from its form on the meeting's page."""

    def handler(request: HttpRequest, meeting: Meeting) -> Outcome:
        form = _add_form(meeting, kind, request.POST)
        if not form.is_valid():
            return Outcome(forms={kind: form})
        try:
            _write_addition(kind, form, meeting, request.user)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                raise  # a refusal of the whole action (run_action says why)
            form.add_error(None, error)  # a field's value, refused on saving: next to it
            return Outcome(forms={kind: form})
        return Outcome(notice=str(ADDED[kind]))

    return handler


def _write_addition(kind: str, form, meeting: Meeting, by) -> object:
    record = form.save(commit=False)
    match kind:
        case "link":
            return actions.link_meetings(link=record, by=by)
        case "milestone":
            return actions.add_milestone(milestone=record, by=by)
        case "body":
            return actions.add_body(
                body=record, commitments=form.cleaned_data["commitments"], by=by
            )
        case "event":
            return actions.add_context_event(
                event=record, sources=form.cleaned_data["sources"], by=by
            )
        case "statement":
            return actions.add_statement(
                statement=record,
                sources=form.cleaned_data["sources"],
                commitments=form.cleaned_data["commitments"],
                by=by,
            )
        case "claim":
            return actions.add_claim(claim=record, sources=form.cleaned_data["sources"], by=by)
        case "source":
            return actions.add_source(source=record, meeting=meeting, by=by)
    raise ValueError(kind)


ACTIONS = {f"add_{kind}": PageAction(_add(kind), section) for kind, section in ADDITIONS.items()}
ACTIONS["archive"] = ARCHIVE


def _unlink(request: HttpRequest, meeting: Meeting) -> Outcome:
    """Remove a link of this meeting's, either way round (another id: not found)."""
    link = permissions.get_meeting_link_for_user(
        request.user, request.POST.get("link"), edit=True, meeting=meeting
    )
    actions.unlink_meetings(link=link, by=request.user)
    return Outcome(notice=_("Link removed."))


ACTIONS["unlink"] = PageAction(_unlink, "related")


def _event(request: HttpRequest, meeting: Meeting) -> ContextEvent:
    return permissions.get_context_event_for_user(
        request.user, request.POST.get("event"), edit=True, meeting=meeting
    )


def _edit_event(request: HttpRequest, meeting: Meeting) -> Outcome:
    """Correct one context event, from the form under it (prefixed with its id)."""
    event = _event(request, meeting)
    form = ContextEventForm(
        request.POST,
        instance=event,
        meeting=meeting,
        sources=_sources(meeting),
        prefix=f"event-{event.pk}",
    )
    if not form.is_valid():
        return Outcome(forms={"event_edit": form})
    actions.edit_record(
        record=form.save(commit=False),
        expected=form.opened_at(),
        sources=form.cleaned_data["sources"],
        by=request.user,
    )
    return Outcome(notice=_("“%(title)s” saved.") % {"title": event.title})


def _archive_event(request: HttpRequest, meeting: Meeting) -> Outcome:
    event = _event(request, meeting)
    actions.archive_record(record=event, by=request.user, reason=request.POST.get("reason", ""))
    return Outcome(notice=_("“%(title)s” archived.") % {"title": event.title})


ACTIONS["edit_event"] = PageAction(_edit_event, "events")
ACTIONS["archive_event"] = PageAction(_archive_event, "events")


def _sources(meeting: Meeting):
    return Source.objects.citable_in([meeting.team_id])


def _add_form(meeting: Meeting, kind: str, data=None):
    """The form adding one ``kind`` of record to the meeting (``ADDITIONS``)."""
    commitments = Commitment.objects.filter(meeting=meeting)
    match kind:
        case "link":
            return MeetingLinkForm(data, meeting=meeting)
        case "body":
            return BodyForm(data, meeting=meeting)
        case "event":
            return ContextEventForm(data, meeting=meeting, sources=_sources(meeting))
        case "milestone":
            return MilestoneForm(data, meeting=meeting, commitments=commitments)
        case "statement":
            return StatementForm(
                data, meeting=meeting, sources=_sources(meeting), commitments=commitments
            )
        case "claim":
            return MeetingClaimForm(
                data, meeting=meeting, commitments=commitments, sources=_sources(meeting)
            )
        case "source":
            return SourceForm(data, team=meeting.team)
    raise ValueError(kind)


def _add_forms(meeting: Meeting) -> dict:
    return {kind: _add_form(meeting, kind) for kind in ADDITIONS}


def _render_detail(
    request: HttpRequest,
    meeting: Meeting,
    *,
    partial: str | None = None,
    outcome: Outcome | None = None,
    opened: dict | None = None,
) -> HttpResponse:
    """The page. The add forms drawn open are the refused ones (``outcome.forms``) or the one
    its editor ``opened`` without JavaScript; the others are fetched when opened."""
    outcome = outcome or Outcome()
    context = _detail_context(request, meeting, can_edit(request.user, meeting), outcome, opened)
    return render_page(
        request, "agreements/meeting_detail.html", context, partial=partial, status=outcome.status
    )


def _detail_context(
    request: HttpRequest,
    meeting: Meeting,
    editable: bool,
    outcome: Outcome | None = None,
    opened: dict | None = None,
) -> dict:
    """What the page shows: the meeting and everything it holds, as the reader may act on it."""
    outcome = outcome or Outcome()
    opened = (opened or {}) | outcome.forms
    commitments = (
        Commitment.objects.filter(meeting=meeting)
        .select_related("theme")
        .prefetch_related("party_roles__party", "milestones")
        .order_by("position", "pk")
    )
    bodies = ImplementationBody.objects.filter(meeting=meeting).prefetch_related(
        Prefetch(
            "members",
            queryset=BodyMembership.objects.select_related("person", "party"),
        )
    )
    parties = list(meeting.parties.all())
    statements = list(
        Statement.objects.filter(meeting=meeting)
        .select_related("speaker", "party")
        .prefetch_related("commitments", "sources")
    )
    return {
        "meeting": meeting,
        "today": timezone.localdate(),
        "can_edit": editable,
        "parties": parties,
        "participants": Participant.objects.filter(meeting=meeting).select_related(
            "person", "party"
        ),
        "commitments": commitments,
        "bodies": bodies,
        "statements": statements,
        "readouts": compare_readouts(parties, statements, commitments),
        "claims": Claim.objects.filter(record_meeting=meeting)
        .select_related("commitment", "body")
        .prefetch_related("sources"),
        "links": meeting.related(),
        "chain": meeting.chain(),
        "events": _events(meeting),
        # The event form open on the page: the refused one, with what was typed, else the one
        # the editor asked for.
        "event_form": (
            outcome.forms.get("event_edit")
            or _event_form(meeting, request.GET.get("edit_event", ""))
        )
        if editable
        else None,
        "sources": meeting.sources.all(),
        "forms": opened if editable else {},
        "add_titles": ADD_TITLES,
        # The add form whose input was refused stays open, with the user's input in it.
        "open_form": next(iter(opened), ""),
        "outcome": outcome,
    }


def _events(meeting: Meeting) -> list[ContextEvent]:
    """The meeting's context events, archived ones last."""
    return list(
        ContextEvent.objects.filter(meeting=meeting)
        .select_related("actor")
        .prefetch_related("sources")
        .order_by(F("archived_at").asc(nulls_first=True), "occurred_on", "pk")
    )


def _event_form(meeting: Meeting, pk: str) -> ContextEventForm | None:
    """The edit form of one open context event of the meeting (``?edit_event=<id>``): the page
    opens one at a time, so it costs the same however many events the meeting has."""
    event = (
        ContextEvent.objects.filter(meeting=meeting).active().filter(pk=pk).first()
        if is_id(pk)
        else None
    )
    if event is None:
        return None
    return ContextEventForm(
        instance=event, meeting=meeting, sources=_sources(meeting), prefix=f"event-{event.pk}"
    )
