"""The meeting form's rows: its commitments and its participants, each row a form of one
record, fetched and checked for all the rows at once."""

from __future__ import annotations

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from .. import models as m
from .base import DATE, IdChoiceField, KeepsItsLanguage, MarksRequired, ModelForm, VersionedForm
from .people import known_person
from .selects import PICK_PARTY, PICK_PERSON, FastSelect, SearchSelect, know_choices, known_labels


class MeetingRow:
    """A row of one meeting's records: a stored row sent back as it was holds what the
    database already took, so the model's checks (a query or two each) run only on the rows
    that changed and the new ones."""

    def _post_clean(self):
        if self.instance.pk is None or self.has_changed():
            super()._post_clean()


# A row's choice of the party being added on the same form (``MeetingForm.new_party_*``),
# which has no id until the meeting is saved: one submit records the party and its rows.
NEW_PARTY = "new"


class CommitmentRowForm(MarksRequired, MeetingRow, KeepsItsLanguage, VersionedForm):
    """One commitment row of the meeting form, with a role select for each party, and one for
    the party being added on the form (``role_new``)."""

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

    def __init__(
        self, *args, parties: list[m.Party], themes: list[m.Theme], new_party: str = "", **kwargs
    ):
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
        # Always offered (so that, without JavaScript, a party typed above can be given a role
        # in the same submit); named after the party once its name is known.
        self.fields["role_new"] = forms.ChoiceField(
            label=_("%(party)s (added above)") % {"party": new_party}
            if new_party
            else _("The party added above, if any"),
            required=False,
            choices=[("", _("Not a party to it")), *m.PartyRole.choices],
        )

    def party_role_fields(self) -> list[forms.BoundField]:
        return [self[f"role_{party.pk}"] for party in self.parties]

    def party_roles(self) -> dict[m.Party, str]:
        """Each party offered, with the role chosen for it ("" for none)."""
        return {party: self.cleaned_data.get(f"role_{party.pk}") or "" for party in self.parties}

    def new_party_role(self) -> str:
        """The role chosen for the party added on the form ("" for none)."""
        return self.cleaned_data.get("role_new") or ""


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

    def new_row(self, index: int) -> forms.BaseForm:
        """An empty row numbered ``index``, built like the formset's ``empty_form`` with a
        real row number in place of ``__prefix__`` (a row added in place)."""
        return self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix(index),
            empty_permitted=True,
            use_required_attribute=False,
            **self.get_form_kwargs(None),
        )

    def show_no_errors(self) -> None:
        """Rows being filled in, not saved, show no errors yet (what is wrong with the whole
        of them, a broken row count, still shows)."""
        self.non_form_errors()  # cleans the rows
        for row in self.forms:
            row._errors = ErrorDict()
        self._errors = [row._errors for row in self.forms]

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


class PartyOrNewField(IdChoiceField):
    """A party of the tracker, or ``NEW_PARTY``: the one being added on the same form, which
    stands in as an unsaved party marked ``added_on_form`` until the meeting is saved."""

    def to_python(self, value):
        if str(value).strip() == NEW_PARTY:
            party = m.Party(name="", code=NEW_PARTY)
            party.added_on_form = True
            return party
        return super().to_python(value)

    def has_changed(self, initial, data) -> bool:
        return (str(data) == NEW_PARTY) or super().has_changed(initial, data)


def is_new_party(party) -> bool:
    return getattr(party, "added_on_form", False)


class ParticipantRowForm(MarksRequired, MeetingRow, ModelForm):
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
            "person": SearchSelect(search_fields=PICK_PERSON, include="#id_team"),
            "party": SearchSelect(search_fields=PICK_PARTY),
        }

    def __init__(self, *args, persons, new_party: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = persons
        self.fields["person"].required = False  # or a new person's name
        self.fields["person"].marked_required = True
        self.fields["person"].empty_label = _("Pick a person")
        party = self.fields["party"]
        self.fields["party"] = PartyOrNewField(
            queryset=m.Party.objects.all(),
            required=False,  # else the person's usual party
            empty_label=_("Their usual party"),
            label=party.label,
            help_text=party.help_text,
            widget=party.widget,
        )
        # The party being added above, one choice away, with JavaScript or not.
        label = _("%(party)s (added above)") % {"party": new_party} if new_party else None
        self.fields["party"].widget.offered = [
            (NEW_PARTY, label or _("The party added above (new)"))
        ]
        self.fields["office"].required = False  # else the person's current office
        # Reports rarely say a participant's role: "not stated" is a choice, and the default.
        self.fields["role"].choices = m.ParticipantRole.choices
        self.fields["role"].initial = m.ParticipantRole.NOT_STATED
        self.fields["role"].required = False  # none sent: not stated

    def clean_role(self) -> str:
        return self.cleaned_data.get("role") or m.ParticipantRole.NOT_STATED

    def clean(self):
        cleaned = super().clean()
        person, name = cleaned.get("person"), (cleaned.get("new_person") or "").strip()
        cleaned["new_person"] = name
        if person and name:
            self.add_error("new_person", _("Pick a person or type a new name, not both."))
        elif name and (known := known_person(self.fields["person"], name)):
            self.add_error("new_person", known)
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
        # The party being added on the form has no id yet: the save gives it one first.
        new = is_new_party(getattr(self, "cleaned_data", {}).get("party"))
        return {
            *super()._get_validation_exclusions(),
            "person",
            "meeting",
            *(["party"] if new else []),
        }

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

    def changed_rows(self) -> list[ParticipantRowForm]:
        """The rows to save: new or changed, and not marked for removal."""
        return [r for r in self.forms if r.has_changed() and not self._should_delete_form(r)]

    def removed(self) -> list[m.Participant]:
        """The stored participants marked for removal."""
        return [r.instance for r in self.forms if r.instance.pk and self._should_delete_form(r)]

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
