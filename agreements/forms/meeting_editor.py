"""The meeting form with its commitment rows and its participant rows, as one form: the view
that records or edits a meeting asks it ``is_valid()``, ``save(by=…)``, and on a conflict
``conflicts()`` and ``on_top_of_current()``; it never reaches into the row formsets."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _

from .. import actions, permissions
from .. import models as m
from ..ids import is_id
from .meeting_extras import body_rows, statement_rows
from .meeting_rows import NEW_PARTY, CommitmentRows, ParticipantRows, is_new_party
from .meetings import MeetingForm

# Submit buttons that redraw the form with what was typed, saving nothing: one more commitment
# row, one more participant, body or statement row, the commitment rows' roles (and the
# statement rows' parties) for the parties now chosen.
REDRAWS = ("add_row", "add_participant", "add_body", "add_statement", "refresh")
MORE_ROWS = {
    "add_row": "commitments",
    "add_participant": "participants",
    "add_body": "bodies",
    "add_statement": "statements",
}


class MeetingEditor:
    """A meeting (new, or stored) with its commitments and participants, as one form.

    ``data`` is what was posted (None to open the form); ``asked`` the query string of a form
    being opened (a team chosen before the form is drawn). A post through one of ``REDRAWS``
    is ``redrawing``: the form comes back with what was typed and one more row, showing no
    errors yet, and nothing is saved."""

    def __init__(self, data: QueryDict | None, *, meeting: m.Meeting, user, asked=None):
        self.meeting, self.user = meeting, user
        self.redrawing = data is not None and any(name in data for name in REDRAWS)
        for button, prefix in MORE_ROWS.items():
            if data is not None and button in data:
                data = with_one_more_row(data, prefix)
        self.data = data
        self.form = MeetingForm(data, instance=meeting, user=user)
        new_party = self.form.new_party_typed()
        chosen = self.form.parties_chosen()
        self.rows = commitment_rows(data, meeting, chosen, new_party)
        team_id = meeting_team(user, data if data is not None else (asked or {}), meeting)
        self.participants = participant_rows(data, meeting, team_id, new_party)
        self.bodies = body_rows(data, meeting)
        self.statements = statement_rows(data, chosen, team_id, new_party)
        if self.redrawing:
            for form in self._parts():
                form.show_no_errors()

    def _parts(self) -> tuple:
        return (self.form, self.rows, self.participants, self.bodies, self.statements)

    def is_valid(self) -> bool:
        valid = all([form.is_valid() for form in self._parts()])
        return self._new_party_named() and valid

    def _new_party_named(self) -> bool:
        """Rows naming the party being added (a participant acting for it, a role in a
        commitment) need it typed above: else each such row says so."""
        if self.form.new_party_typed() or (
            self.form.is_bound and self.form["new_party_code"].value()
        ):
            return True  # typed: the meeting form checks it (and refuses the save if wrong)
        fine = True
        for row in self.participants.forms:
            if is_new_party(getattr(row, "cleaned_data", {}).get("party")):
                row.add_error(
                    "party", _("Type the new party above (name and short code), or pick one.")
                )
                fine = False
        for row in self.rows.forms:
            if getattr(row, "cleaned_data", {}).get("role_new"):
                row.add_error(
                    "role_new",
                    _("Type the new party above (name and short code), or choose no role."),
                )
                fine = False
        for row in self.statements.forms:
            if NEW_PARTY in getattr(row, "cleaned_data", {}).get("parties", ()):
                row.add_error(
                    "parties", _("Type the new party above (name and short code), or untick it.")
                )
                fine = False
        return fine

    def save(self, *, by) -> m.Meeting:
        """Save the meeting, its changed commitment rows (in the order shown; an empty new row,
        or a stored one sent back as it was, is left out) and its participants, together
        (``actions.save_meeting``). Raises ``VersionConflict`` when someone saved one of them
        since the form was opened, ``ValidationError`` when the save breaks a rule."""
        changed = []
        for position, row in enumerate(self.rows.forms, start=1):
            if row.has_changed():
                commitment = row.save(commit=False)
                if commitment.pk is None:
                    commitment.position = position
                version = row.cleaned_data.get("version")
                changed.append(
                    actions.CommitmentRow(
                        commitment, version, row.party_roles(), row.new_party_role()
                    )
                )
        attending = []
        for row in self.participants.changed_rows():
            participant = row.save(commit=False)
            participant.office = row.cleaned_data["office"]
            party = row.cleaned_data["party"]
            for_new_party = is_new_party(party)
            if not for_new_party:
                participant.party = party
            attending.append(
                actions.ParticipantRow(participant, row.cleaned_data["new_person"], for_new_party)
            )
        bodies = [
            actions.BodyRow(row.body(), row.cleaned_data["oversees_all"])
            for row in self.bodies.changed_rows()
        ]
        statements = [
            actions.StatementRow(row.statement(), row.signatories(), row.for_new_party())
            for row in self.statements.changed_rows()
        ]
        form = self.form
        return actions.save_meeting(
            meeting=form.save(commit=False),
            expected=form.cleaned_data.get("version"),
            parties=form.cleaned_data["parties"],
            new_party=form.cleaned_data.get("new_party"),
            rows=changed,
            participants=attending,
            removed=self.participants.removed(),
            bodies=bodies,
            statements=statements,
            by=by,
        )

    def refuse(self, refusal: ValidationError) -> None:
        """A refusal of the save, next to the field it names (the new party's, when someone
        added the same party meanwhile), else above the form."""
        form = self.form
        if hasattr(refusal, "error_dict") and all(
            name in form.fields for name in refusal.error_dict
        ):
            for name, errors in refusal.error_dict.items():
                form.add_error(name, errors)
        else:  # a rule of the whole save (or a field no longer on the form): above the form
            form.add_error(None, refusal.messages)

    def conflicts(self) -> list[dict]:
        """What changed under the user, record by record: stored values beside theirs."""
        found = []
        if self.form.instance.pk:
            found.append({"record": _("The meeting"), "fields": self.form.conflicts()})
        for row in self.rows.forms:
            if row.instance.pk and row.has_changed():
                title = row.instance.title
                record = _("Commitment “%(title)s”") % {"title": title}
                found.append({"record": record, "fields": row.conflicts()})
        return [c for c in found if c["fields"]]

    def on_top_of_current(self) -> MeetingEditor:
        """The user's submitted values, bound to the current versions, so that saving again
        applies them on top of the newer records (once the user has compared). Participant rows
        carry no version: a row saved again says what the user typed."""
        data = self.data.copy()
        meeting = self.meeting
        meeting.refresh_from_db()
        data["version"] = meeting.version
        current = dict(m.Commitment.objects.filter(meeting=meeting).values_list("pk", "version"))
        for i in range(self.rows.total_form_count()):
            pk = data.get(f"commitments-{i}-id")
            if is_id(pk) and int(pk) in current:
                data[f"commitments-{i}-version"] = current[int(pk)]
        return MeetingEditor(data, meeting=meeting, user=self.user)

    def context(self) -> dict:
        """What the meeting form's template draws."""
        self.participants.known_labels()
        self.statements.known_labels()
        return {
            "form": self.form,
            "rows": self.rows,
            "participants": self.participants,
            "bodies": self.bodies,
            "statements": self.statements,
        }


def blank_commitment_row(meeting: m.Meeting, user, asked, index: int):
    """An empty commitment row numbered ``index``, added in place ("Add commitment"), offering
    roles for the parties chosen on the form (``asked``: sent along), else the meeting's."""
    chosen = MeetingForm(asked if "parties" in asked else None, instance=meeting, user=user)
    new_party = (asked.get("new_party_name") or "").strip()
    return commitment_rows(None, meeting, chosen.parties_chosen(), new_party).new_row(index)


def blank_participant_row(meeting: m.Meeting, user, asked, index: int):
    """An empty participant row numbered ``index``, added in place ("Add participant"), its
    persons those of the team chosen on the form (``asked``)."""
    new_party = (asked.get("new_party_name") or "").strip()
    team = meeting_team(user, asked, meeting)
    return participant_rows(None, meeting, team, new_party).new_row(index)


def blank_body_row(meeting: m.Meeting, index: int):
    """An empty body row numbered ``index``, added in place ("Add body")."""
    return body_rows(None, meeting).new_row(index)


def blank_statement_row(meeting: m.Meeting, user, asked, index: int):
    """An empty statement row numbered ``index``, added in place ("Add statement"), offering
    the parties chosen on the form (``asked``), its speakers the team's persons."""
    chosen = MeetingForm(asked if "parties" in asked else None, instance=meeting, user=user)
    new_party = (asked.get("new_party_name") or "").strip()
    team = meeting_team(user, asked, meeting)
    return statement_rows(None, chosen.parties_chosen(), team, new_party).new_row(index)


def meeting_team(user, chosen, meeting: m.Meeting) -> int | None:
    """The meeting's team as the form holds it (``chosen``: posted or asked): the team chosen
    on it, when the user may edit that team; else the meeting's; else the user's only team
    (None while there is no telling)."""
    teams = permissions.editable_teams(user)
    team = chosen.get("team", "")
    if is_id(team) and (found := teams.filter(pk=team).values_list("pk", flat=True).first()):
        return found
    if meeting.pk:
        return meeting.team_id
    only = list(teams.values_list("pk", flat=True)[:2])
    return only[0] if len(only) == 1 else None


def commitment_rows(
    data, meeting: m.Meeting, parties: list[m.Party], new_party: str = ""
) -> CommitmentRows:
    """The commitment rows; every row offers a role for each of the meeting's parties (as the
    form holds them: fetched once, bounded by the meeting)."""
    existing = m.Commitment.objects.filter(meeting=meeting) if meeting.pk else m.Commitment.objects
    return CommitmentRows(
        data,
        instance=meeting,
        prefix="commitments",
        queryset=existing.prefetch_related("party_roles").order_by("position", "pk"),
        form_kwargs={
            "parties": parties,
            "themes": list(m.Theme.objects.all()),
            "new_party": new_party,
        },
    )


def participant_rows(
    data, meeting: m.Meeting, team_id: int | None, new_party: str = ""
) -> ParticipantRows:
    """The participant rows; a row's person is one of the meeting's team's persons only.

    A post without the rows' management form (a form opened before participants were on it)
    leaves the participants as they are, rather than refusing the whole meeting."""
    if data is not None and "participants-TOTAL_FORMS" not in data:
        data = data.copy()
        data["participants-TOTAL_FORMS"] = data["participants-INITIAL_FORMS"] = "0"
    persons = m.Person.objects.filter(team_id=team_id) if team_id else m.Person.objects.none()
    existing = (
        m.Participant.objects.filter(meeting=meeting) if meeting.pk else m.Participant.objects
    )
    return ParticipantRows(
        data,
        instance=meeting,
        prefix="participants",
        queryset=existing.select_related("person", "party").order_by("pk"),
        form_kwargs={"persons": persons, "new_party": new_party},
    )


def with_one_more_row(data: QueryDict, prefix: str) -> QueryDict:
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    total = data.get(key, "")
    # A total the formset cannot read stays as it is: the formset then says the form is broken.
    if total.isascii() and total.isdigit() and len(total) < 4:
        data[key] = str(int(total) + 1)
    return data
