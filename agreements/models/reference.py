"""Reference data shared by every team (parties, themes), each team's persons and sources."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Lower
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from .base import Check, ChoiceLabels, Versioned, choice_check, track_history
from .loading import QuickLoad
from .teams import Team, TeamScopedQuerySet


class PartyKind(models.TextChoices):
    STATE = "state", _("State")
    ORGANISATION = "organisation", _("Organisation")


class PartyQuerySet(models.QuerySet):
    def near(self, name: str) -> PartyQuerySet:
        """Parties that may be the one someone is about to add as ``name``: a name containing
        the other either way, or a code typed as the name ("EU"). For a warning, not a refusal:
        "Niger" is not "Nigeria". (The same code is refused before this is asked.)"""
        return (
            self.alias(typed=Value(name, output_field=models.CharField()))
            .filter(Q(name__icontains=name) | Q(typed__icontains=F("name")) | Q(code__iexact=name))
            .order_by("name", "pk")
        )


class Party(ChoiceLabels, models.Model):
    """A state or an organisation that makes commitments (Popolo: Organization)."""

    name = models.CharField(max_length=200, unique=True, verbose_name=_("name"))
    code = models.CharField(
        max_length=12,
        unique=True,
        verbose_name=_("code"),
        help_text=_(
            "ISO 3166 alpha-2 or alpha-3 for states (US, MEX); an acronym for organisations."
        ),
    )
    kind = models.CharField(
        max_length=20, choices=PartyKind.choices, default=PartyKind.STATE, verbose_name=_("kind")
    )
    history = track_history()

    objects = PartyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        constraints = [
            choice_check("party_kind_valid", "kind", PartyKind),
            Check(
                condition=~Q(kind=PartyKind.STATE) | Q(code__regex=r"^[A-Z]{2,3}$"),
                name="party_state_code_iso",
                violation_error_message=_(
                    "A state's code is its ISO 3166 alpha-2 or alpha-3 code, e.g. US or MEX."
                ),
                field="code",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PartyAlias(models.Model):
    """Another name or code a party goes by, as people type it in a picker ("USA", "EE. UU.",
    "Estados Unidos" for the United States; "PRC" for China): kept by records admins in the
    admin, on the party's page. An alias names one party."""

    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="aliases", verbose_name=_("party")
    )
    name = models.CharField(
        max_length=200,
        verbose_name=_("alias"),
        help_text=_("Another name or code it goes by: USA, EE. UU., Estados Unidos."),
    )
    history = track_history()

    class Meta:
        ordering = ["name"]
        verbose_name = _("party alias")
        verbose_name_plural = _("party aliases")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="party_alias_unique",
                violation_error_message=_("This alias already names a party."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ThemeQuerySet(models.QuerySet):
    def offered(self, keep: str | None = None):
        """The themes a commitment can be given: those not archived, and ``keep``, the one it
        has now (an archived theme stays on the commitments that carry it)."""
        return self.filter(Q(archived=False) | Q(pk=keep or ""))


class Theme(QuickLoad, models.Model):
    """What a commitment is about (drugs, migration, climate…): one list for every team, kept
    by records admins in the admin. Archived themes are no longer offered for new commitments
    but stay on those that have them, and in filters and the dashboard."""

    code = models.SlugField(
        max_length=30,
        primary_key=True,
        verbose_name=_("code"),
        help_text=_("The short key in addresses (?theme=drugs): lowercase, fixed once saved."),
    )
    name = models.CharField(max_length=100, unique=True, verbose_name=_("name"))
    description = models.TextField(
        blank=True,
        verbose_name=_("description"),
        help_text=_("What belongs under this theme."),
    )
    archived = models.BooleanField(
        default=False,
        verbose_name=_("archived"),
        help_text=_("No longer offered for new commitments; those that have it keep it."),
    )
    history = track_history()

    objects = ThemeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        constraints = [
            Check(
                condition=Q(code__regex=r"^[a-z0-9_]+$"),
                name="theme_code_slug",
                violation_error_message=_("Lowercase letters, digits and underscores only."),
                field="code",
            ),
        ]

    def __str__(self) -> str:
        if self.archived:
            return gettext("%(theme)s (archived)") % {"theme": self.label}
        return self.label

    @property
    def label(self) -> str:
        """Its name in the reader's language: the starting themes' names are translated (the
        catalogue has them); a theme a records admin added reads as they named it."""
        return gettext(self.name)

    # The ten themes the tracker started with (migration 0003 seeds them; tests and
    # ``load_demo`` call ``seed`` again after a database is emptied). Their names are marked
    # for translation (``label``); the stored name stays English, as exports and imports use.
    DEFAULTS = (
        (
            "drugs",
            gettext_noop("Drugs"),
            "Illicit drugs and their precursors: fentanyl, cocaine, synthetics.",
        ),
        (
            "arms",
            gettext_noop("Arms trafficking"),
            "Illicit firearms and ammunition crossing borders.",
        ),
        ("fuel_theft", gettext_noop("Fuel theft"), "Theft and smuggling of fuel (huachicol)."),
        ("migration", gettext_noop("Migration"), "Irregular migration, asylum and border control."),
        ("sovereignty", gettext_noop("Sovereignty"), "Territorial integrity and non-intervention."),
        (
            "security",
            gettext_noop("Security cooperation"),
            "Joint security work, intelligence, extraditions.",
        ),
        ("trade", gettext_noop("Trade"), "Tariffs, market access and trade agreements."),
        ("energy", gettext_noop("Energy"), "Energy supply, investment and transition."),
        ("health", gettext_noop("Health"), "Public health and health systems."),
        ("other", gettext_noop("Other"), "Anything no other theme covers."),
    )

    @classmethod
    def seed(cls) -> None:
        """Add the starting themes that are missing (never changes one a records admin edited)."""
        cls.objects.bulk_create(
            [cls(code=c, name=n, description=d) for c, n, d in cls.DEFAULTS],
            ignore_conflicts=True,
        )


class Person(models.Model):
    """Someone who acts for a party. Offices change, so the office held at a given time is kept
    on each link (participation, statement, membership), not only here.

    A team's own record: which persons a desk follows is its business, so another team never
    sees them, even in a picker; two teams following one minister each keep a record of them.
    (Parties, by contrast, are public facts shared by every team.)"""

    team_lookups = ("team",)

    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="persons", verbose_name=_("team")
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="persons",
        verbose_name=_("party"),
        help_text=_("The party this person usually acts for."),
    )
    current_office = models.CharField(max_length=200, blank=True, verbose_name=_("current office"))
    history = track_history()

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [models.Index(fields=["team", "name"], name="person_team_name")]

    def __str__(self) -> str:
        return self.name


class Reliability(models.TextChoices):
    """The Admiralty grading of a source's reliability."""

    A = "A", _("A: completely reliable")
    B = "B", _("B: usually reliable")
    C = "C", _("C: fairly reliable")
    D = "D", _("D: not usually reliable")
    E = "E", _("E: unreliable")
    F = "F", _("F: reliability cannot be judged")


class SourceKind(models.TextChoices):
    """What kind of document a source is."""

    READOUT = "readout", _("Official readout")
    STATEMENT = "statement", _("Official statement or communiqué")
    AGREEMENT = "agreement", _("Text of the agreement")
    TRANSCRIPT = "transcript", _("Transcript")
    NEWS = "news", _("News report")
    REPORT = "report", _("Report or analysis")
    OTHER = "other", _("Other")


class SourceQuerySet(TeamScopedQuerySet):
    def citable_in(self, teams) -> SourceQuerySet:
        """The sources a record of ``teams`` (their ids, or a QuerySet of them) may cite: those
        teams' own, as every link stays inside one team (``outside_team``), by title as the
        pickers list them, with the meeting each reports on (``label``)."""
        return self.in_teams(teams).select_related("meeting").order_by("title", "pk")


class Source(Versioned):
    """A document that evidences a record: a report, an official readout, a statement."""

    team_lookups = ("team",)

    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="sources", verbose_name=_("team")
    )
    title = models.CharField(max_length=300, verbose_name=_("title"))
    url = models.URLField(max_length=500, blank=True, verbose_name=_("URL"))
    kind = models.CharField(
        max_length=20,
        choices=SourceKind.choices,
        blank=True,
        verbose_name=_("kind"),
        help_text=_("What kind of document it is."),
    )
    publisher = models.CharField(max_length=200, blank=True, verbose_name=_("publisher"))
    meeting = models.ForeignKey(
        "agreements.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_by",
        verbose_name=_("meeting"),
        help_text=_("The meeting it reports on, if one (of the source's team)."),
    )
    published_on = models.DateField(null=True, blank=True, verbose_name=_("published on"))
    accessed_on = models.DateField(null=True, blank=True, verbose_name=_("accessed on"))
    reliability = models.CharField(
        max_length=1,
        choices=Reliability.choices,
        blank=True,
        verbose_name=_("reliability"),
        help_text=_("Optional grade."),
    )
    notes = models.TextField(blank=True, verbose_name=_("notes"))

    objects = SourceQuerySet.as_manager()
    history = track_history()

    class Meta:
        ordering = ["-published_on", "title", "pk"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            choice_check("source_reliability_valid", "reliability", Reliability, blank=True),
            choice_check("source_kind_valid", "kind", SourceKind, blank=True),
            models.UniqueConstraint(
                fields=["team", "url"], condition=~Q(url=""), name="source_url_unique_per_team"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.publisher})" if self.publisher else self.title

    def clean(self) -> None:
        if self.meeting_id and self.team_id and self.meeting.team_id != self.team_id:
            raise ValidationError(
                {"meeting": gettext("A source reports on a meeting of its own team.")}
            )

    @property
    def label(self) -> str:
        """How a picker tells it from others of the same title: its kind, publisher, date and
        meeting ("Readout — Official readout, State Department, 3 Sep 2025, at …"). Needs
        ``meeting`` fetched with it (``citable_in``)."""
        facts = [
            self.get_kind_display() if self.kind else "",
            self.publisher,
            date_format(self.published_on) if self.published_on else "",
            gettext("on %(meeting)s") % {"meeting": self.meeting} if self.meeting_id else "",
        ]
        shown = ", ".join(fact for fact in facts if fact)
        return f"{self.title} — {shown}" if shown else self.title
