"""The meetings a comparison sets side by side (``?meetings=meeting-1&meetings=meeting-2``)."""

from __future__ import annotations

from django import forms
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from .. import models as m
from ..charts import PARTIES_DRAWN
from ..escaping import escaped
from ..ids import typed_id
from .base import IdMultipleChoiceField, IdTypedMultipleChoiceField
from .selects import PICK_MEETING, SearchSelectMultiple

MOST = 6  # curves a chart keeps legible


class CompareForm(forms.Form):
    meetings = IdMultipleChoiceField(
        kind="meeting",
        queryset=m.Meeting.objects.none(),
        required=False,
        label=_("Meetings"),
        help_text=_("Up to six, each read from its own date."),
        widget=SearchSelectMultiple(search_fields=PICK_MEETING),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meetings"].queryset = (
            m.Meeting.objects.visible_to(user).active().order_by("-start_date", "pk")
        )

    def clean_meetings(self):
        meetings = self.cleaned_data["meetings"]
        if len(meetings) > MOST:
            raise forms.ValidationError(
                _("Choose at most %(most)s meetings: more curves cannot be told apart.")
                % {"most": MOST}
            )
        return meetings

    def chosen(self) -> list[m.Meeting]:
        """The meetings chosen, oldest first; none while the form is empty or invalid."""
        if not self.is_bound or not self.is_valid():
            return []
        return sorted(self.cleaned_data["meetings"], key=lambda meeting: meeting.start_date)


class CheckboxList(forms.CheckboxSelectMultiple):
    """``CheckboxSelectMultiple``, its HTML (that of Django's templates for it, attribute for
    attribute) written here in one pass: the dashboard offers a box for every party its
    teams assessed, some thirty, which Django's nested templates (a few each) draw in about
    3 ms. Options in groups are left to Django's templates."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        if any(group for group, _options, _index in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)
        boxes = "".join(
            f"<div>\n    {_option(option)}</div>"
            for _group, options, _index in widget["optgroups"]
            for option in options
        )
        outer = widget["attrs"]
        ident = f' id="{escaped(outer["id"])}"' if outer.get("id") else ""
        css = f' class="{escaped(outer["class"])}"' if outer.get("class") else ""
        return mark_safe(f"<div{ident}{css}>{boxes}\n</div>")


def _option(option: dict) -> str:
    """One box (django/forms/widgets/input_option.html, input.html and attrs.html)."""
    attrs = "".join(
        f" {name}" if value is True else f' {name}="{escaped(value)}"'
        for name, value in option["attrs"].items()
        if value is not False
    )
    value = "" if option["value"] is None else f' value="{escaped(option["value"])}"'
    box = f'<input type="{option["type"]}" name="{escaped(option["name"])}"{value}{attrs}>'
    if not option["wrap_label"]:
        return box
    ident = option["attrs"].get("id")
    label_for = f' for="{escaped(ident)}"' if ident else ""
    return f"<label{label_for}>{box} {escaped(option['label'])}</label>"


class DrawnPartiesForm(forms.Form):
    """Whose compliance the dashboard's chart draws (``?drawn=1&party=party-1&party=party-2``):
    any of the parties the reader's teams have assessed, the five most assessed unless chosen.
    ``drawn`` tells a choice of none (no box ticked sends no ``party``) from no choice."""

    party = IdTypedMultipleChoiceField(
        kind="party",
        required=False,
        label=_("Parties drawn"),
        widget=CheckboxList,
    )

    def __init__(self, data, *, assessed: list[dict]):
        """``assessed``: the rows of ``by_party`` (``party_id``, ``key``, ``count``)."""
        super().__init__(data if data and "drawn" in data else None)
        self.fields["party"].choices = [
            (typed_id("party", row["party_id"]), row["key"]) for row in assessed
        ]
        most = sorted(assessed, key=lambda row: (-row["count"], row["key"]))[:PARTIES_DRAWN]
        self.most = [row["party_id"] for row in most]
        self.fields["party"].initial = [typed_id("party", party) for party in self.most]

    def chosen(self) -> list[int]:
        """The parties to draw (numbers): those ticked, else the most assessed."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["party"]
        return self.most
