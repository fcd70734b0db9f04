"""The meeting pages' own forms: the list's filters and the meeting itself (its rows are in
``meeting_rows``, what its page adds in ``meeting_additions``)."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from .. import models as m
from .. import permissions
from ..ids import is_id
from .base import DATE, IdChoiceField, KeepsItsLanguage, MarksRequired, ModelForm, VersionedForm
from .selects import PICK_MEETING, PICK_PARTY, FastSelect, ListedNames, SearchCheckboxes, TeamNames


class MeetingFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"), max_length=200)
    party = IdChoiceField(
        kind="party",
        required=False,
        label=_("Party"),
        queryset=m.Party.objects.none(),
        empty_label=_("Any party"),
        widget=FastSelect,
    )
    team = IdChoiceField(
        kind="team",
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
        # Drawn from their names alone (Party, Team: ``name``), the teams' as the memberships
        # read them (``TeamNames``).
        self.fields["party"].widget.choices = ListedNames(self.fields["party"])
        self.fields["team"].widget.choices = TeamNames(self.fields["team"], user)
        # The years from the first meeting's to the last one's: two index probes, where a
        # DISTINCT over every meeting's year grows with the meetings.
        span = meetings.aggregate(first=Min("start_date"), last=Max("start_date"))
        years = range(span["last"].year, span["first"].year - 1, -1) if span["first"] else ()
        self.fields["year"].choices = [("", _("Any year")), *((year, year) for year in years)]

    def filter(self, meetings):
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("q"):  # each word, accents and case aside, as the meeting pickers find
            meetings = meetings.filter(m.found_by((*PICK_MEETING, "summary"), data["q"]))
        if data.get("party"):
            meetings = meetings.filter(parties=data["party"])
        if data.get("team"):
            meetings = meetings.filter(team=data["team"])
        if data.get("outcome_type"):
            meetings = meetings.filter(outcome_type=data["outcome_type"])
        if data.get("year"):
            meetings = meetings.filter(start_date__year=data["year"])
        return meetings.order_by("-start_date", "-pk")


class MeetingForm(MarksRequired, KeepsItsLanguage, VersionedForm):
    """The meeting; its parties are picked by search, and a party not in the tracker yet can be
    added here (``new_party_*``): it is created when the meeting is saved, and becomes one of
    its parties; the rows of the same form may name it at once (``NEW_PARTY``). A planned
    meeting (not held yet) may leave its outcome empty."""

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
            "planned",
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
            "parties": SearchCheckboxes(search_fields=PICK_PARTY),
            "outcome_note": forms.Textarea(attrs={"rows": 2}),
            "summary": forms.Textarea(attrs={"rows": 4}),
            "context_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = permissions.editable_teams(user)
        self.fields["team"].queryset = teams
        self.fields["parties"].required = False  # a party added below may be the only one
        self.fields["parties"].marked_required = True  # … but one there must be
        self.fields["outcome_type"].marked_required = True  # unless the meeting is planned
        self.fields["outcome_type"].choices = [
            ("", _("Not known yet (planned)")),
            *m.OutcomeType.choices,
        ]
        for name in ("new_party_name", "new_party_code"):  # to add a party, both are needed
            self.fields[name].marked_required = True
        if self.instance.pk is None and len(teams) == 1:
            self.initial["team"] = teams[0].pk
        self.near_parties: list[m.Party] = []

    def clean(self):
        cleaned = super().clean()
        cleaned["new_party"] = self._new_party(cleaned)
        if not cleaned.get("parties") and not cleaned["new_party"] and "parties" not in self.errors:
            self.add_error("parties", _("Pick at least one party, or add one below."))
        # A held meeting's outcome: the model's constraint says it (``meeting_held_has_outcome``).
        return cleaned

    def new_party_typed(self) -> str:
        """The name of the party being added on the form, as typed ("" for none)."""
        if not self.is_bound:
            return ""
        return (self["new_party_name"].value() or "").strip()

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

    def show_no_errors(self) -> None:
        """Being filled in, not saved: no field shows an error yet."""
        self._errors = ErrorDict()

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
