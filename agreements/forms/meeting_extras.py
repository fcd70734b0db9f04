"""The meeting form's rows of new records set up or said at the meeting: the implementation
bodies it created and the statements made there, saved with the meeting in its one save.

Stored bodies and statements are changed on their own pages: these rows only add new ones
(an empty row is left out)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import models as m
from .base import DATE, TEXT_LIMIT, IdChoiceField
from .meeting_rows import NEW_PARTY
from .selects import PICK_PERSON, SearchSelect, know_choices, known_labels

MAX_EXTRA_ROWS = 50


class BodyRowForm(forms.Form):
    """A body the meeting set up: its name, its mandate, and whether it oversees the
    commitments recorded on the same form (all of them, or none yet: ticked one by one on the
    body's page)."""

    name = forms.CharField(label=_("Name of the body"), max_length=200, required=False)
    mandate = forms.CharField(
        label=_("Mandate"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    oversees_all = forms.BooleanField(
        label=_("Oversees all the commitments of this meeting"),
        required=False,
        help_text=_("Else none yet: tick them one by one on the body's page."),
    )

    def __init__(self, *args, meeting: m.Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting

    def clean(self):
        cleaned = super().clean()
        name = (cleaned.get("name") or "").strip()
        cleaned["name"] = name
        if not name and "name" not in self.errors and self.has_changed():
            self.add_error("name", _("Give the body's name, or leave the row empty."))
        elif name and self.meeting.pk and self.meeting.bodies.filter(name=name).exists():
            self.add_error("name", _("This meeting has a body of this name already."))
        return cleaned

    def body(self) -> m.ImplementationBody:
        """The body (unsaved; its meeting set on saving)."""
        data = self.cleaned_data
        return m.ImplementationBody(name=data["name"], mandate=data["mandate"].strip())


class PartyChoices(forms.MultipleChoiceField):
    """The parties a statement is attributed to, among the meeting's as the form holds them
    (``NEW_PARTY``: the one added on the same form)."""

    widget = forms.CheckboxSelectMultiple


class StatementRowForm(forms.Form):
    """A statement made at the meeting: its kind, the day it was said, its words, the parties
    it is attributed to (several: a joint statement, which counts as each one's own readout;
    the party added on the same form may be one) and, optionally, its speaker."""

    kind = forms.ChoiceField(
        label=_("Kind"), choices=m.StatementKind.choices, initial=m.StatementKind.READOUT
    )
    said_on = forms.DateField(label=_("Said on"), required=False, widget=DATE)
    text = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The exact words, ellipses as published."),
    )
    parties = PartyChoices(
        label=_("Attributed to"),
        required=False,
        help_text=_("Tick several for a joint statement."),
    )
    speaker = IdChoiceField(
        label=_("Speaker"),
        queryset=m.Person.objects.none(),
        required=False,
        empty_label=_("Not said"),
        widget=SearchSelect(search_fields=PICK_PERSON, include="#id_team"),
    )

    def __init__(
        self, *args, parties: list[m.Party], persons, new_party: str = "", **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.offered = {str(p.pk): p for p in parties}
        label = _("%(party)s (added above)") % {"party": new_party} if new_party else None
        self.fields["parties"].choices = [
            *((str(p.pk), p.name) for p in parties),
            (NEW_PARTY, label or _("The party added above, if any")),
        ]
        self.fields["speaker"].queryset = persons

    def has_changed(self) -> bool:
        """A row is filled in when anything but its kind (always sent) is."""
        return any(name != "kind" for name in self.changed_data)

    def clean(self):
        cleaned = super().clean()
        if not self.has_changed():
            return cleaned
        text = (cleaned.get("text") or "").strip()
        cleaned["text"] = text
        if not text and "text" not in self.errors:
            self.add_error("text", _("Give the words said, or leave the row empty."))
        if not cleaned.get("said_on") and "said_on" not in self.errors:
            self.add_error("said_on", _("Give the day it was said."))
        chosen = cleaned.get("parties") or []
        if cleaned.get("kind") == m.StatementKind.READOUT and not chosen:
            self.add_error("parties", _("A readout is a party's own account: say whose."))
        elif not chosen and not cleaned.get("speaker") and "speaker" not in self.errors:
            self.add_error("parties", _("Say whose words these are: a party, or a speaker."))
        return cleaned

    def for_new_party(self) -> bool:
        """Attributed (among others) to the party added on the same form."""
        return NEW_PARTY in self.cleaned_data["parties"]

    def signatories(self) -> list[m.Party]:
        """The parties of the tracker it is attributed to, in the order offered."""
        chosen = self.cleaned_data["parties"]
        return [party for key, party in self.offered.items() if key in chosen]

    def statement(self) -> m.Statement:
        """The statement (unsaved; its meeting and parties set on saving)."""
        data = self.cleaned_data
        speaker = data.get("speaker")
        return m.Statement(
            kind=data["kind"],
            said_on=data["said_on"],
            text=data["text"],
            speaker=speaker,
            speaker_office=speaker.current_office if speaker else "",
        )


class ExtraRows(forms.BaseFormSet):
    """New rows only: an empty row is left out of the save."""

    def changed_rows(self) -> list[forms.Form]:
        return [row for row in self.forms if row.has_changed()]

    def new_row(self, index: int) -> forms.Form:
        return self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix(index),
            empty_permitted=True,
            use_required_attribute=False,
            **self.get_form_kwargs(None),
        )

    def show_no_errors(self) -> None:
        self.non_form_errors()
        for row in self.forms:
            row._errors = forms.utils.ErrorDict()
        self._errors = [row._errors for row in self.forms]


class BaseBodyRows(ExtraRows):
    def clean(self):
        """Two rows naming the same body: refused on the second."""
        seen = set()
        for row in self.forms:
            name = getattr(row, "cleaned_data", {}).get("name", "")
            if name and name.casefold() in seen:
                row.add_error("name", _("%(name)s is listed twice: keep one row.") % {"name": name})
            seen.add(name.casefold())


class BaseStatementRows(ExtraRows):
    def full_clean(self):
        if self.is_bound:
            know_choices([row["speaker"] for row in self.forms])
        super().full_clean()

    def known_labels(self) -> None:
        """Fetch every row's chosen speaker at once (see ``known_labels``)."""
        known_labels([row["speaker"] for row in self.forms])


def extra_rows(form, formset):
    return forms.formset_factory(
        form,
        formset=formset,
        extra=1,
        max_num=MAX_EXTRA_ROWS,
        absolute_max=MAX_EXTRA_ROWS,
        validate_max=True,
    )


BodyRows = extra_rows(BodyRowForm, BaseBodyRows)
StatementRows = extra_rows(StatementRowForm, BaseStatementRows)


def managed(data, prefix: str):
    """A post without the rows' management form (a form opened before these rows were on it)
    adds none, rather than refusing the whole meeting."""
    if data is not None and f"{prefix}-TOTAL_FORMS" not in data:
        data = data.copy()
        data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = "0"
    return data


def body_rows(data, meeting: m.Meeting) -> BaseBodyRows:
    return BodyRows(managed(data, "bodies"), prefix="bodies", form_kwargs={"meeting": meeting})


def statement_rows(data, parties, team_id: int | None, new_party: str = "") -> BaseStatementRows:
    persons = m.Person.objects.filter(team_id=team_id) if team_id else m.Person.objects.none()
    return StatementRows(
        managed(data, "statements"),
        prefix="statements",
        form_kwargs={"parties": parties, "persons": persons, "new_party": new_party},
    )
