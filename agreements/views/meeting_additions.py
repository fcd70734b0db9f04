"""What editors add on a meeting's page: one registry, ``ADDITIONS``, an entry per kind of
record (its form, the action that saves it, the section that shows it, its title and what the
page says once it is added). A new kind of record is one entry here, and its section's place
in templates/agreements/meeting_detail.html."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .. import actions
from ..forms import (
    BodyForm,
    ContextEventForm,
    MeetingClaimForm,
    MeetingLinkForm,
    MilestoneForm,
    PlannedMeetingForm,
    SourceForm,
    StatementForm,
)
from ..models import Commitment, Meeting, Source
from .common import Outcome, PageAction


def team_sources(meeting: Meeting) -> QuerySet[Source]:
    return Source.objects.citable_in([meeting.team_id])


def _commitments(meeting: Meeting) -> QuerySet[Commitment]:
    return Commitment.objects.filter(meeting=meeting)


def _add_source(form: forms.BaseForm, meeting: Meeting, by) -> Source:
    """A source, and the copy of its document kept with it when one was given, together."""
    with transaction.atomic():
        source = actions.add_source(source=form.save(commit=False), meeting=meeting, by=by)
        if upload := form.cleaned_data.get("file"):
            actions.keep_file(
                source=source,
                upload=upload,
                retrieved_on=source.accessed_on or timezone.localdate(),
                by=by,
            )
    return source


@dataclass(frozen=True)
class Addition:
    """One kind of record added on a meeting's page: ``form(meeting, data)`` builds its form,
    ``save(form, meeting, by)`` writes it through its action; ``section`` is the partial of
    the page that shows it (and answers the action)."""

    kind: str
    title: Promise
    added: Promise
    section: str
    form: Callable[[Meeting, Any], forms.BaseForm]
    save: Callable[[forms.BaseForm, Meeting, Any], object]

    @property
    def action(self) -> str:
        return f"add_{self.kind}"

    def handle(self, request: HttpRequest, meeting: Meeting) -> Outcome:
        """The page action: the form's record saved, or the form again with its errors."""
        form = self.form(meeting, request.POST)
        form.files = request.FILES  # a form with a file field (a source's copy) reads it
        if not form.is_valid():
            return Outcome(forms={self.kind: form})
        try:
            self.save(form, meeting, request.user)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                raise  # a refusal of the whole action (run_action says why)
            form.add_error(None, error)  # a field's value, refused on saving: next to it
            return Outcome(forms={self.kind: form})
        return Outcome(notice=str(self.added))


ADDITIONS = {
    addition.kind: addition
    for addition in [
        Addition(
            "link",
            _("Link a related meeting"),
            _("Link added."),
            "related",
            form=lambda meeting, data: MeetingLinkForm(data, meeting=meeting),
            save=lambda form, meeting, by: actions.link_meetings(
                link=form.save(commit=False), by=by
            ),
        ),
        Addition(
            "planned",
            _("Name a planned follow-up meeting"),
            _("Planned meeting recorded, as this one's follow-up."),
            "related",
            form=lambda meeting, data: PlannedMeetingForm(data, meeting=meeting),
            save=lambda form, meeting, by: actions.plan_meeting(
                meeting=form.save(commit=False),
                parties=form.cleaned_data["parties"],
                follows=meeting,
                note=form.cleaned_data["note"],
                by=by,
            ),
        ),
        Addition(
            "milestone",
            _("Add a milestone"),
            _("Milestone added."),
            "commitments",
            form=lambda meeting, data: MilestoneForm(
                data, meeting=meeting, commitments=_commitments(meeting)
            ),
            save=lambda form, meeting, by: actions.add_milestone(
                milestone=form.save(commit=False), by=by
            ),
        ),
        Addition(
            "body",
            _("Record a body"),
            _("Body added."),
            "bodies",
            form=lambda meeting, data: BodyForm(data, meeting=meeting),
            save=lambda form, meeting, by: actions.add_body(
                body=form.save(commit=False), commitments=form.cleaned_data["commitments"], by=by
            ),
        ),
        Addition(
            "event",
            _("Add a context event"),
            _("Event added."),
            "events",
            form=lambda meeting, data: ContextEventForm(
                data, meeting=meeting, sources=team_sources(meeting)
            ),
            save=lambda form, meeting, by: actions.add_context_event(
                event=form.save(commit=False), sources=form.cleaned_data["sources"], by=by
            ),
        ),
        Addition(
            "statement",
            _("Add a statement"),
            _("Statement added."),
            "statements",
            form=lambda meeting, data: StatementForm(
                data,
                meeting=meeting,
                sources=team_sources(meeting),
                commitments=_commitments(meeting),
            ),
            save=lambda form, meeting, by: actions.add_statement(
                statement=form.save(commit=False),
                sources=form.cleaned_data["sources"],
                commitments=form.cleaned_data["commitments"],
                joint_parties=form.cleaned_data["joint_parties"],
                by=by,
            ),
        ),
        Addition(
            "claim",
            _("Add a claim"),
            _("Claim added."),
            "claims",
            form=lambda meeting, data: MeetingClaimForm(
                data,
                meeting=meeting,
                commitments=_commitments(meeting),
                sources=team_sources(meeting),
            ),
            save=lambda form, meeting, by: actions.add_claim(
                claim=form.save(commit=False), sources=form.cleaned_data["sources"], by=by
            ),
        ),
        Addition(
            "source",
            _("Add a source"),
            _("Source added."),
            "sources",
            form=lambda meeting, data: SourceForm(data, team=meeting.team),
            save=_add_source,
        ),
    ]
}

# The page actions that add each kind of record, answered by the section that shows it.
ADD_ACTIONS = {a.action: PageAction(a.handle, a.section) for a in ADDITIONS.values()}
