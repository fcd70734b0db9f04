"""The commitment pages: list filters, progress updates, compliance assessments."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.choices import CallableChoiceIterator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import models as m
from ..ids import typed_id
from ..models.teams import memberships
from ..models.unions import labels_of
from .as_of import AsOfForm
from .base import DATE, EARLIEST, LATEST, IdChoiceField, ModelForm
from .filters import ListFilters
from .selects import FastSelect, source_picker


class CommitmentFilterForm(ListFilters):
    """The commitment list's filters; choices list only what the user may see."""

    SORTS = {
        "title": ("title", "pk"),
        "-title": ("-title", "-pk"),
        "meeting": ("meeting_date", "meeting_id", "position", "pk"),
        "-meeting": ("-meeting_date", "meeting_id", "position", "pk"),
        "status": ("status", "pk"),
        "-status": ("-status", "-pk"),
        "target": ("target_date", "pk"),
        "-target": ("-target_date", "-pk"),
        "updated": ("updated_at", "pk"),
        "-updated": ("-updated_at", "-pk"),
    }

    # Newest meeting first, then the order the commitments were agreed in.
    DEFAULT_ORDER = ("-meeting_date", "meeting_id", "position", "pk")

    status = forms.TypedChoiceField(
        required=False,
        label=_("Status"),
        coerce=int,
        empty_value=None,
        choices=[("", _("Any status")), *m.ImplementationStatus.choices],
        widget=FastSelect,
    )
    theme = forms.ChoiceField(required=False, label=_("Theme"), choices=[], widget=FastSelect)
    party = IdChoiceField(
        kind="party",
        required=False,
        label=_("Party"),
        queryset=m.Party.objects.none(),
        empty_label=_("Any party"),
        widget=FastSelect,
    )
    overdue = forms.BooleanField(required=False, label=_("Overdue only"))
    stalled = forms.BooleanField(required=False, label=_("Stalled only"))
    as_of = AsOfForm.base_fields["as_of"]
    clean_as_of = AsOfForm.clean_as_of
    sort = forms.ChoiceField(
        required=False, choices=[(key, key) for key in SORTS], widget=forms.HiddenInput
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["party"].queryset = m.Party.objects.all()  # reference data: a few hundred
        self._reference: dict[str, dict] = {}
        # The selects' options are read when drawn or checked, once (``reference``): not for
        # a download or a picker's options. A chosen team or party is still checked against
        # the field's queryset.
        self.fields["theme"].choices = self._theme_options
        for name in ("team", "party"):
            self.fields[name].widget.choices = CallableChoiceIterator(
                lambda name=name: self._record_options(name)
            )

    def reference(self, kind: str, *also: str) -> dict:
        """What the select of ``kind`` offers, read once, in its order: the themes (code:
        name; archived ones too: their commitments are still there to be found), the teams
        the user sees or the parties (id: name). A list's rows name their theme from these
        (the table alone, fetched in place, reads no team or party). ``also``: the kinds the
        page draws too, read in the same query (``labels_of``); a member's teams are those
        read with the request's memberships (``memberships``), no query of their own."""
        wanted = [name for name in dict.fromkeys((kind, *also)) if name not in self._reference]
        user = self.user
        if "team" in wanted and user.is_active and not user.is_superuser:
            teams = memberships(user)  # in their names' order, as the teams list them
            self._reference["team"] = {pk: name for pk, (name, _role) in teams.items()}
            wanted.remove("team")
        if wanted:
            lists = {
                "theme": (m.Theme.objects.all(), "code", "name"),
                "team": (self.fields["team"].queryset, "pk", "name"),
                "party": (self.fields["party"].queryset, "pk", "name"),
            }
            # The themes and parties are every reader's: their query's SQL made once.
            made = None if "team" in wanted else ("labels", *wanted)
            self._reference |= labels_of({name: lists[name] for name in wanted}, made)
        return self._reference[kind]

    def _theme_options(self) -> list[tuple]:
        """The themes by name in the reader's language, as the rows and ``Theme.label`` name
        them (the stored names are English)."""
        themes = [(code, gettext(name)) for code, name in self.reference("theme").items()]
        return [("", _("Any theme")), *sorted(themes, key=lambda theme: theme[1].casefold())]

    def _record_options(self, name: str) -> list[tuple]:
        field = self.fields[name]
        records = self.reference(name).items()
        return [("", field.empty_label), *((typed_id(name, pk), label) for pk, label in records)]

    def _tallied_lookups(self, data: dict) -> dict:
        """The filters in use that the tallies count by, as lookups that read the same on a
        commitment and on its ``CommitmentTally`` rows."""
        lookups = {name: data[name] for name in ("theme", "team") if data.get(name)}
        if data.get("status") is not None:
            lookups["status"] = data["status"]
        if data.get("stalled"):
            lookups["is_stalled"] = True
        return lookups

    def day(self) -> datetime.date | None:
        """The past day the list is read on (``?as_of=``), or None for today."""
        day = self._data().get("as_of")
        return day if day and day < timezone.localdate() else None

    def tallied_count(self, tallies) -> int | None:
        """How many commitments the filters select, read from ``tallies`` (the user's
        ``CommitmentTally`` rows; on a past day, their ``StatusHistory`` on it) when
        every filter in use is one the tallies count by (status, theme, team, stalled); else
        None, and the list counts its rows."""
        data = self._data()
        if any(data.get(name) for name in ("q", "party", "body", "overdue")):
            return None
        return tallies.filter(active=True, **self._tallied_lookups(data)).total()

    def order(self) -> tuple[str, ...]:
        """The list's order, as the sort chosen says (by today's state)."""
        return self.SORTS.get(self._data().get("sort") or "", self.DEFAULT_ORDER)

    def filter(self, commitments, today):
        """Apply the valid filters and the sort; on a past day (``day``), to the commitments
        agreed by then, each in the state it had then (``CommitmentQuerySet.agreed_by``)."""
        return self.filtered(commitments, self._data(), self.day(), today)

    # The filters a list's query made once takes as values (``shape``), a record chosen by
    # its id; the flags, on or off, and the status (one of four, a small integer whose
    # stand-in no column could hold) shape its SQL.
    VALUED = ("theme", "party", "team", "body")
    FLAGS = ("overdue", "stalled")

    def shape(self, today: datetime.date) -> tuple[tuple, dict, Callable] | None:
        """What the list's query depends on besides values (which filters are in use, the
        sort, a past day or today), those values, and how the query is built from them
        (``build(commitments, **values)``: ``filter`` with the values given), for its SQL made
        once a process (views/commitments.py). None for words: the search's SQL depends on
        them."""
        data = self._data()
        if data.get("q"):
            return None
        values = {}
        for name in self.VALUED:
            value = data.get(name)
            if value is not None and value != "":
                values[name] = getattr(value, "pk", value)
        flags = tuple(name for name in self.FLAGS if data.get(name))
        day = self.day()
        if day:
            values["day"] = day
        elif "overdue" in flags:  # else today is in no SQL
            values["today"] = today
        sort, status = data.get("sort") or "", data.get("status")

        def build(commitments, **given):
            shaped = {**given, **dict.fromkeys(flags, True), "sort": sort, "status": status}
            return self.filtered(commitments, shaped, given.get("day"), given.get("today"))

        return (tuple(values), flags, sort, status), values, build

    def filtered(self, commitments, data: dict, day: datetime.date | None, today):
        """``filter`` with these ``data`` (the form's valid values, or ``shape``'s), on
        ``day`` (a past day, or None)."""
        if day:
            return self._filter_then(commitments, data, day)
        commitments = commitments.filter(**self._tallied_lookups(data))
        commitments = self._filter_links(commitments, data)
        if data.get("overdue"):
            commitments = commitments.overdue(today)
        return commitments.order_by(*self.SORTS.get(data.get("sort") or "", self.DEFAULT_ORDER))

    def _filter_links(self, commitments, data: dict):
        """The filters that read other records: words, party, body."""
        commitments = self._words(commitments, data)
        # Many-to-many filters as EXISTS: no join that repeats rows, so no DISTINCT.
        if data.get("party"):
            commitments = commitments.filter(
                Exists(
                    m.CommitmentParty.objects.filter(commitment=OuterRef("pk"), party=data["party"])
                )
            )
        if data.get("body"):
            through = m.ImplementationBody.commitments.through
            commitments = commitments.filter(
                Exists(
                    through.objects.filter(
                        commitment=OuterRef("pk"), implementationbody=data["body"]
                    )
                )
            )
        return commitments

    def _filter_then(self, commitments, data: dict, day: datetime.date):
        # By the span that held then (``agreed_by``: every commitment agreed by then has one,
        # as the tallies that count the list assume), its own columns rather than the state
        # read through COALESCE: PostgreSQL then knows how many spans hold a status, where it
        # guessed 0.5% of the rows and read both tables whole for a third page (116 ms; 3 ms
        # now), and the walk reads the list's index alone.
        held = {}
        if data.get("status") is not None:
            held["status"] = data["status"]
        if data.get("stalled"):
            held["is_stalled"] = True
        then = commitments.agreed_by(day, **held)
        then = then.filter(**{k: v for k, v in data.items() if k in ("theme", "team") and v})
        then = self._filter_links(then, data)
        if data.get("overdue"):
            then = then.overdue_on(day)
        order = self.SORTS.get(data.get("sort") or "", self.DEFAULT_ORDER)
        # By the span's own status (the state then), not its annotation: a team's run then
        # walks the spans' index by team and status for a page (``agreed_by``), and the runs
        # are merged by the database (``paging.merged``: a list of ids selects no annotation).
        return then.order_by(*(f.replace("status", "held__status") for f in order))


class ProgressUpdateForm(ModelForm):
    """A progress report on a commitment, with the status it proposes and its evidence."""

    revises = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta(ModelForm.Meta):
        model = m.ProgressUpdate
        fields = ["happened_on", "narrative", "proposed_status", "proposed_stalled", "sources"]
        labels = {
            "happened_on": _("Day of the progress"),
            "narrative": _("What happened"),
            "proposed_status": _("Proposed status"),
            "proposed_stalled": _("Proposed stalled flag"),
            "sources": _("Evidence"),
        }
        widgets = {
            "happened_on": DATE,
            "narrative": forms.Textarea(attrs={"rows": 4}),
            "proposed_stalled": forms.NullBooleanSelect(),
            "sources": source_picker(),
        }

    def __init__(self, *args, commitment: m.Commitment, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.commitment = commitment
        self.instance.commitment = commitment
        self.fields["proposed_status"].choices = [
            ("", _("No change")),
            *m.ImplementationStatus.choices,
        ]
        self.fields["sources"].queryset = sources
        self.fields["sources"].help_text = _("Sources of this team that evidence the update.")
        happened_on = self.fields["happened_on"]
        happened_on.help_text = _(
            "When it happened, if not today: what it proposes takes effect on that day."
        )
        happened_on.required = False  # today, when left empty
        happened_on.initial = timezone.localdate
        self.fields["proposed_stalled"].widget.choices = [
            ("unknown", _("No change")),
            ("true", _("Stalled")),
            ("false", _("Not stalled")),
        ]

    def clean_happened_on(self) -> datetime.date:
        return self.cleaned_data.get("happened_on") or timezone.localdate()

    def clean_revises(self) -> m.ProgressUpdate | None:
        pk = self.cleaned_data.get("revises")
        if pk is None:
            return None
        returned = self.commitment.progress_updates.filter(pk=pk).first()
        if returned is None or returned.review_state != m.ReviewState.RETURNED:
            raise forms.ValidationError(
                _("Only a returned update of this commitment can be revised.")
            )
        return returned


class AssessmentForm(ModelForm):
    """A reviewer's compliance score for one party on the commitment (G7/G20 method)."""

    class Meta(ModelForm.Meta):
        model = m.Assessment
        fields = ["party", "score", "justification", "as_of", "stage", "sources"]
        widgets = {
            "as_of": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "justification": forms.Textarea(attrs={"rows": 3}),
            "sources": source_picker(),
        }
        help_texts = {"score": _("Absence of evidence is “not assessed”, not −1.")}

    def __init__(self, *args, commitment: m.Commitment, parties, sources, **kwargs):
        super().__init__(*args, prefix="assessment", **kwargs)
        self.instance.commitment = commitment
        self.fields["party"].queryset = parties
        self.fields["sources"].queryset = sources
        self.fields["as_of"].initial = timezone.localdate()


class RescheduleForm(forms.Form):
    """A new date for one milestone, and why it moves (``actions.reschedule_milestone``)."""

    to_date = forms.DateField(
        label=_("New date"),
        widget=DATE,
        validators=[MinValueValidator(EARLIEST), MaxValueValidator(LATEST)],
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2_000,
        widget=forms.TextInput,
        help_text=_("Why it moves, e.g. “suspension extended by another 90 days”."),
    )
    name = forms.CharField(
        label=_("Name of the new date"),
        required=False,
        max_length=200,
        help_text=_("If it has one, e.g. “extended suspension ends”."),
    )
    moved_on = forms.DateField(
        label=_("Moved on"),
        required=False,
        widget=DATE,
        help_text=_("The day it was moved, if not today."),
    )

    def __init__(self, *args, milestone: m.Milestone, **kwargs):
        super().__init__(*args, **kwargs)
        self.milestone = milestone
        self.auto_id = f"reschedule-{milestone.pk}-%s"
