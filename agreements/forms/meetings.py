"""The meeting pages: list filters, the meeting form with its commitment rows, additions."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from .. import models as m
from .. import permissions
from ..ids import is_id
from .base import (
    DATE,
    FastSelect,
    IdChoiceField,
    KeepsItsLanguage,
    ModelForm,
    SearchSelect,
    SearchSelectMultiple,
    VersionedForm,
    know_choices,
    known_labels,
)


class MeetingFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"), max_length=200)
    party = IdChoiceField(
        required=False,
        label=_("Party"),
        queryset=m.Party.objects.none(),
        empty_label=_("Any party"),
        widget=FastSelect,
    )
    team = IdChoiceField(
        required=False,
        label=_("Team"),
        queryset=m.Team.objects.none(),
        empty_label=_("Any team"),
        widget=FastSelect,
    )
    outcome_type = forms.ChoiceField(
        required=False,
        label=_("Outcome"),
        choices=[("", _("Any outcome")), *m.OutcomeType.choices],
        widget=FastSelect,
    )
    year = forms.TypedChoiceField(
        required=False,
        label=_("Year"),
        coerce=int,
        empty_value=None,
        choices=[],
        widget=FastSelect,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        meetings = m.Meeting.objects.visible_to(user)
        # Parties at the user's meetings: one index probe per party (a few hundred), not a
        # DISTINCT over every meeting's parties.
        at_their_meetings = m.Meeting.parties.through.objects.filter(
            party=OuterRef("pk"), meeting__in=meetings
        )
        self.fields["party"].queryset = m.Party.objects.filter(Exists(at_their_meetings))
        self.fields["team"].queryset = permissions.visible_teams(user)
        # The years from the first meeting's to the last one's: two index probes, where a
        # DISTINCT over every meeting's year grew with the meetings (14 ms at 100,000).
        span = meetings.aggregate(first=Min("start_date"), last=Max("start_date"))
        years = range(span["last"].year, span["first"].year - 1, -1) if span["first"] else ()
        self.fields["year"].choices = [("", _("Any year")), *((year, year) for year in years)]

    def filter(self, meetings):
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("q"):
            q = data["q"]
            meetings = meetings.filter(
                Q(title__icontains=q)
                | Q(city__icontains=q)
                | Q(venue__icontains=q)
                | Q(summary__icontains=q)
            )
        if data.get("party"):
            meetings = meetings.filter(parties=data["party"])
        if data.get("team"):
            meetings = meetings.filter(team=data["team"])
        if data.get("outcome_type"):
            meetings = meetings.filter(outcome_type=data["outcome_type"])
        if data.get("year"):
            meetings = meetings.filter(start_date__year=data["year"])
        return meetings.order_by("-start_date", "-pk")


class MeetingForm(KeepsItsLanguage, VersionedForm):
    """The meeting; its parties are picked by search, and a party not in the tracker yet can be
    added here (``new_party_*``): it is created when the meeting is saved, and becomes one of
    its parties."""

    new_party_name = forms.CharField(
        label=_("Name"), required=False, max_length=200, help_text=_("e.g. European Union")
    )
    new_party_kind = forms.ChoiceField(
        label=_("Kind"), choices=m.PartyKind.choices, initial=m.PartyKind.STATE, required=False
    )
    new_party_code = forms.CharField(
        label=_("Short code"),
        required=False,
        max_length=12,
        help_text=_("ISO 3166 alpha-2 or alpha-3 for a state (US, MEX); an acronym otherwise."),
    )
    new_party_anyway = forms.BooleanField(
        label=_("Add it anyway: it is not the same party"), required=False
    )

    class Meta(ModelForm.Meta):
        model = m.Meeting
        fields = [
            "team",
            "title",
            "start_date",
            "end_date",
            "city",
            "venue",
            "parties",
            "outcome_type",
            "outcome_note",
            "summary",
            "context_notes",
            "language",
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "parties": SearchSelectMultiple(search_fields=("name", "code")),
            "outcome_note": forms.Textarea(attrs={"rows": 2}),
            "summary": forms.Textarea(attrs={"rows": 4}),
            "context_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = permissions.editable_teams(user)
        self.fields["team"].queryset = teams
        self.fields["parties"].required = False  # a party added below may be the only one
        if self.instance.pk is None and len(teams) == 1:
            self.initial["team"] = teams[0].pk
        self.near_parties: list[m.Party] = []

    def clean(self):
        cleaned = super().clean()
        cleaned["new_party"] = self._new_party(cleaned)
        if not cleaned.get("parties") and not cleaned["new_party"] and "parties" not in self.errors:
            self.add_error("parties", _("Pick at least one party, or add one below."))
        return cleaned

    def _new_party(self, cleaned) -> m.Party | None:
        """The party to add (unsaved), when its name or code is typed; refused next to its
        field when it is already in the tracker, and held back for a confirmation when a party
        looks like it (``near_parties``)."""
        name = (cleaned.get("new_party_name") or "").strip()
        code = (cleaned.get("new_party_code") or "").strip()
        if not name and not code:
            return None
        kind = cleaned.get("new_party_kind") or m.PartyKind.STATE
        if kind == m.PartyKind.STATE:
            code = code.upper()  # ISO codes are uppercase: "mex" is MEX
        if not name:
            self.add_error("new_party_name", _("Give the party's name."))
        if not code:
            self.add_error("new_party_code", _("Give a short code."))
        if not name or not code:
            return None
        same = m.Party.objects.filter(Q(name__iexact=name) | Q(code__iexact=code))[:2]
        for party in same:
            field = "new_party_name" if party.name.lower() == name.lower() else "new_party_code"
            self.add_error(
                field,
                _("%(name)s is already in the tracker (%(code)s): pick it above.")
                % {"name": party.name, "code": party.code},
            )
        if same:
            return None
        party = m.Party(name=name, code=code, kind=kind)
        try:
            party.full_clean(validate_unique=False)
        except forms.ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(f"new_party_{field}" if field != "__all__" else None, messages)
            return None
        self.near_parties = list(m.Party.objects.near(name)[:5])
        if self.near_parties and not cleaned.get("new_party_anyway"):
            names = ", ".join(f"{p.name} ({p.code})" for p in self.near_parties)
            self.add_error(
                "new_party_name",
                _(
                    "Is it one already in the tracker: %(names)s? Pick it above, or tick "
                    "“Add it anyway”."
                )
                % {"names": names},
            )
            return None
        return party

    def parties_chosen(self) -> list[m.Party]:
        """The parties the commitment rows offer a role for: the meeting's parties as the form
        holds them (posted, or stored), and any party already holding a role in one of its
        commitments (so that a role is never kept out of sight). Bounded by what the meeting
        names, never every party in the tracker; one query, its conditions as subqueries over
        this meeting's rows (joining a party's roles and its meetings would multiply every
        meeting of the party by every role it holds: seconds at 100,000 commitments)."""
        ids = []
        if self.is_bound:
            values = self["parties"].value() or []
            ids = [v for v in map(str, values) if is_id(v)]
        chosen = Q(pk__in=ids)
        if self.instance.pk:
            roles = m.CommitmentParty.objects.filter(commitment__meeting=self.instance)
            chosen |= Q(pk__in=roles.values("party_id"))
            if not self.is_bound:
                listed = m.Meeting.parties.through.objects.filter(meeting=self.instance)
                chosen |= Q(pk__in=listed.values("party_id"))
        return list(m.Party.objects.filter(chosen).order_by("name"))


class MeetingRow:
    """A row of one meeting's records: a stored row sent back as it was holds what the
    database already took, so the model's checks (a query or two each) run only on the rows
    that changed and the new ones."""

    def _post_clean(self):
        if self.instance.pk is None or self.has_changed():
            super()._post_clean()


class CommitmentRowForm(MeetingRow, KeepsItsLanguage, VersionedForm):
    """One commitment row of the meeting form, with a role select for each party."""

    class Meta(ModelForm.Meta):
        model = m.Commitment
        fields = [
            "title",
            "reference",
            "text",
            "language",
            "theme",
            "target_date",
            "lead_agency",
            "jurisdiction_note",
            "indicator",
        ]
        widgets = {
            "target_date": DATE,
            "text": forms.Textarea(attrs={"rows": 2}),
            "jurisdiction_note": forms.Textarea(attrs={"rows": 2}),
            "indicator": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, parties: list[m.Party], themes: list[m.Theme], **kwargs):
        super().__init__(*args, **kwargs)
        self.parties = parties
        # The themes on offer, fetched once for every row; a row keeps its archived theme.
        kept = self.instance.theme_id
        theme = self.fields["theme"]
        theme.queryset = m.Theme.objects.offered(keep=kept)
        offered = [t for t in themes if not t.archived or t.code == kept]
        choices = [(t.code, str(t)) for t in offered]
        theme.widget = FastSelect(choices=[("", theme.empty_label), *choices])
        theme.known = {t.code: t for t in offered}  # a row's theme is not looked up again
        current = {}
        if self.instance.pk:
            current = {r.party_id: r.role for r in self.instance.party_roles.all()}
        for party in parties:
            self.fields[f"role_{party.pk}"] = forms.ChoiceField(
                label=party.name,
                required=False,
                choices=[("", _("Not a party to it")), *m.PartyRole.choices],
                initial=current.get(party.pk, ""),
            )

    def party_role_fields(self) -> list[forms.BoundField]:
        return [self[f"role_{party.pk}"] for party in self.parties]

    def party_roles(self) -> dict[m.Party, str]:
        """Each party offered, with the role chosen for it ("" for none)."""
        return {party: self.cleaned_data.get(f"role_{party.pk}") or "" for party in self.parties}


MAX_ROWS = 600


class MeetingRows(forms.BaseInlineFormSet):
    """Rows of one meeting's records (``not_ours``: the error of a row that is not one of
    them). The records chosen in ``known_fields`` are fetched for all the rows at once, before
    they are validated, so a form with many rows costs the queries of one with a few."""

    not_ours = _("This row is not one of this meeting's records.")
    known_fields = ("id",)

    def full_clean(self):
        if self.is_bound:
            for name in self.known_fields:
                know_choices([form[name] for form in self.forms])
        super().full_clean()

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # Django checks a row's id against every record in the database, so another team's id
        # would be told apart from an unknown one: only this meeting's rows are choices.
        pk = form.fields[self._pk_field.name]
        form.fields[self._pk_field.name] = IdChoiceField(
            self.get_queryset(),
            initial=pk.initial,
            required=False,
            widget=pk.widget,
            error_messages={"invalid_choice": self.not_ours},
        )


class BaseCommitmentRows(MeetingRows):
    not_ours = _("This row is not one of this meeting's commitments.")


CommitmentRows = forms.inlineformset_factory(
    m.Meeting,
    m.Commitment,
    form=CommitmentRowForm,
    formset=BaseCommitmentRows,
    extra=1,
    can_delete=False,
    # A peace accord may hold hundreds of stipulations; a posted total past this is refused
    # ("submit at most …") instead of rendering thousands of rows.
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
)


class ParticipantRowForm(MeetingRow, ModelForm):
    """One participant of the meeting form: a person of the meeting's team, picked by search or
    typed as a new name (created on saving, for the meeting's team), the office they held then,
    the party they acted for and their role at the meeting."""

    new_person = forms.CharField(
        label=_("Or a new person"),
        required=False,
        max_length=200,
        help_text=_("Their name, when they are not in the tracker yet."),
    )

    class Meta(ModelForm.Meta):
        model = m.Participant
        fields = ["person", "new_person", "office", "party", "role"]
        labels = {
            "office": _("Office held then"),
            "party": _("Acting for"),
            "role": _("Role at the meeting"),
        }
        widgets = {
            "person": SearchSelect(search_fields=("name", "current_office"), include="#id_team"),
            "party": SearchSelect(search_fields=("name", "code")),
        }

    def __init__(self, *args, persons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = persons
        self.fields["person"].required = False  # or a new person's name
        self.fields["person"].empty_label = _("Pick a person")
        self.fields["party"].queryset = m.Party.objects.all()
        self.fields["party"].required = False  # else the person's usual party
        self.fields["party"].empty_label = _("Their usual party")
        self.fields["office"].required = False  # else the person's current office
        self.fields["role"].choices = [("", _("Choose a role")), *m.ParticipantRole.choices]

    def clean(self):
        cleaned = super().clean()
        person, name = cleaned.get("person"), (cleaned.get("new_person") or "").strip()
        cleaned["new_person"] = name
        if person and name:
            self.add_error("new_person", _("Pick a person or type a new name, not both."))
        elif name and (same := list(self.fields["person"].queryset.filter(name__iexact=name)[:3])):
            # Offered in the list above, so that it is one choice away, with JavaScript or not.
            self.fields["person"].widget.offered = [(p.pk, str(p)) for p in same]
            self.add_error(
                "new_person",
                _(
                    "%(name)s is already in the tracker: pick them in the list above (for "
                    "someone else of that name, add what tells them apart, e.g. their office)."
                )
                % {"name": same[0].name},
            )
        elif not person and not name and "person" not in self.errors:
            self.add_error("person", _("Pick a person, or type a new person's name below."))
        # What the person's record says fills what a new row leaves empty (a saved row's
        # office is what they held then: emptied, it is asked for, not replaced by today's).
        if person and not cleaned.get("office") and self.instance.pk is None:
            cleaned["office"] = person.current_office
        if person and not cleaned.get("party") and "party" not in self.errors:
            cleaned["party"] = person.party
        if not cleaned.get("office") and "office" not in self.errors:
            self.add_error("office", _("Give the office they held at the meeting."))
        if not cleaned.get("party") and "party" not in self.errors:
            self.add_error("party", _("Pick the party they acted for."))
        return cleaned

    def _get_validation_exclusions(self):
        # Unique per meeting is checked across the rows (``BaseParticipantRows.clean``), with a
        # message on the row; the person may be new (no id yet).
        return {*super()._get_validation_exclusions(), "person", "meeting"}

    def label(self) -> str:
        """Who the row names, for its legend and messages."""
        if self.is_bound and hasattr(self, "cleaned_data"):
            person = self.cleaned_data.get("person")
            return str(person or self.cleaned_data.get("new_person") or "")
        return str(self.instance.person) if self.instance.person_id else ""


MAX_PARTICIPANTS = 200


class BaseParticipantRows(MeetingRows):
    not_ours = _("This row is not one of this meeting's participants.")
    known_fields = ("id", "person", "party")

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove from the meeting")

    def clean(self):
        """A person is at a meeting once: a second row naming them is refused on that row."""
        super().clean()
        seen: set = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            if not form.has_changed() and form.instance.pk is None:
                continue
            person = form.cleaned_data.get("person")
            name = form.cleaned_data.get("new_person", "")
            key = ("id", person.pk) if person else ("new", name.casefold()) if name else None
            if key is None:
                continue
            if key in seen:
                field = "person" if person else "new_person"
                form.add_error(
                    field,
                    _("%(person)s is listed twice: keep one row.") % {"person": person or name},
                )
            seen.add(key)

    def known_labels(self) -> None:
        """Fetch every row's chosen person and party at once (see ``known_labels``)."""
        for name in ("person", "party"):
            known_labels([form[name] for form in self.forms])

    def validate_unique(self):
        pass  # said per row, in ``clean``


ParticipantRows = forms.inlineformset_factory(
    m.Meeting,
    m.Participant,
    form=ParticipantRowForm,
    formset=BaseParticipantRows,
    extra=1,
    can_delete=True,
    can_delete_extra=False,
    max_num=MAX_PARTICIPANTS,
    absolute_max=MAX_PARTICIPANTS,
    validate_max=True,
)


class MilestoneForm(ModelForm):
    class Meta(ModelForm.Meta):
        model = m.Milestone
        fields = ["commitment", "title", "due_date", "owner"]
        widgets = {"due_date": DATE}

    def __init__(self, *args, meeting: m.Meeting, commitments, **kwargs):
        super().__init__(*args, prefix="milestone", **kwargs)
        self.fields["commitment"].queryset = commitments
        self.fields["commitment"].required = True


class StatementForm(ModelForm):
    class Meta(ModelForm.Meta):
        model = m.Statement
        fields = [
            "speaker",
            "speaker_office",
            "party",
            "kind",
            "text",
            "language",
            "said_on",
            "commitments",
            "sources",
        ]
        widgets = {
            "said_on": DATE,
            "text": forms.Textarea(attrs={"rows": 3}),
            "speaker": SearchSelect(search_fields=("name", "current_office")),
            "commitments": forms.CheckboxSelectMultiple,
            "sources": SearchSelectMultiple(search_fields=("title", "publisher")),
        }

    def __init__(self, *args, meeting: m.Meeting, sources, commitments, **kwargs):
        super().__init__(*args, prefix="statement", **kwargs)
        self.instance.meeting = meeting
        self.fields["said_on"].initial = meeting.start_date
        self.fields["speaker"].queryset = m.Person.objects.filter(team_id=meeting.team_id)
        self.fields["commitments"].queryset = commitments
        self.fields["sources"].queryset = sources

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == m.StatementKind.READOUT and not cleaned.get("party"):
            # Readouts are compared party by party on the meeting's page.
            self.add_error("party", _("A readout is a party's own account: say whose."))
        return cleaned


class MeetingClaimForm(ModelForm):
    """A claim about the meeting, or about one of its commitments."""

    class Meta(ModelForm.Meta):
        model = m.Claim
        fields = ["text", "verification", "commitment", "sources"]
        labels = {"commitment": _("About the commitment (else the meeting)")}
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "sources": SearchSelectMultiple(search_fields=("title", "publisher")),
        }

    def __init__(self, *args, meeting: m.Meeting, commitments, sources, **kwargs):
        super().__init__(*args, prefix="claim", **kwargs)
        self.meeting = meeting
        self.fields["commitment"].queryset = commitments
        self.fields["sources"].queryset = sources

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("verification"):
            error = m.Claim.sources_error(cleaned["verification"], cleaned.get("sources") or [])
            if error:
                self.add_error("sources", error)
        return cleaned

    def _post_clean(self):
        # The subject is set before the model's own validation runs.
        if not self.cleaned_data.get("commitment"):
            self.instance.meeting = self.meeting
        super()._post_clean()


class SourceForm(ModelForm):
    class Meta(ModelForm.Meta):
        model = m.Source
        fields = ["title", "url", "publisher", "published_on", "accessed_on", "reliability"]
        widgets = {"published_on": DATE, "accessed_on": DATE}

    def __init__(self, *args, team: m.Team, **kwargs):
        super().__init__(*args, prefix="source", **kwargs)
        self.instance.team = team

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if url and m.Source.objects.filter(team=self.instance.team, url=url).exists():
            raise forms.ValidationError(_("This team already has a source with this address."))
        return url


class MeetingLinkForm(ModelForm):
    """This meeting follows up, continues the series of, or supersedes another of its team."""

    class Meta(ModelForm.Meta):
        model = m.MeetingLink
        fields = ["relation", "other", "note"]
        widgets = {"other": SearchSelect(search_fields=("title", "city"))}

    def __init__(self, *args, meeting: m.Meeting, **kwargs):
        super().__init__(*args, prefix="link", **kwargs)
        self.instance.meeting = meeting
        self.fields["other"].queryset = m.Meeting.objects.filter(team_id=meeting.team_id).exclude(
            pk=meeting.pk
        )


class ContextEventForm(VersionedForm):
    """An event around the meeting: added from its page, and corrected there."""

    class Meta(ModelForm.Meta):
        model = m.ContextEvent
        fields = [
            "title",
            "relation",
            "occurred_on",
            "timing_note",
            "location",
            "actor",
            "fatalities",
            "description",
            "sources",
        ]
        widgets = {
            "occurred_on": DATE,
            "description": forms.Textarea(attrs={"rows": 2}),
            "sources": SearchSelectMultiple(search_fields=("title", "publisher")),
        }

    def __init__(self, *args, meeting: m.Meeting, sources, prefix="event", **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.instance.meeting = meeting
        self.fields["sources"].queryset = sources
        self.fields["actor"].queryset = m.Party.objects.order_by("name")
        self.fields["actor"].widget = FastSelect(choices=self.fields["actor"].choices)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("occurred_on") and not cleaned.get("timing_note", "").strip():
            self.add_error(
                "timing_note", _('Give a date, or say when it happened ("shortly before").')
            )
        return cleaned
