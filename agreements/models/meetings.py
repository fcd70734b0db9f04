"""Meetings, and who took part in them (how meetings relate to each other: ``meeting_links``)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, NamedTuple

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import (
    Archivable,
    ArchivableQuerySet,
    Check,
    ChoiceLabels,
    Sourced,
    Timestamped,
    Versioned,
    as_index,
    as_lines,
    choice_check,
    content_language,
    label_of,
    track_history,
)
from .loading import QuickLoad
from .made_once import records_of_made_once
from .reference import Party, Person, Source
from .teams import Team, TeamScopedQuerySet

if TYPE_CHECKING:
    from .meeting_links import MeetingLink


class OutcomeType(models.TextChoices):
    TREATY = "treaty", _("Treaty")
    MOU = "mou", _("Memorandum of understanding")
    JOINT_STATEMENT = "joint_statement", _("Joint statement")
    JOINT_COMMUNIQUE = "joint_communique", _("Joint communiqué")
    REAFFIRMATION = "reaffirmation", _("Reaffirmation")
    READOUT_ONLY = "readout_only", _("Readout only")
    OTHER = "other", _("Other")


class MeetingQuerySet(TeamScopedQuerySet, ArchivableQuerySet):
    def held(self):
        """Meetings that took place: not those only planned."""
        return self.filter(planned=False)

    def lines(self):
        """What a one-line mention shows (title, date, outcome, team), as ``MeetingLine``s:
        the dashboard's list, where model instances and their team cost more to build than
        the rows to read."""
        return as_lines(self, MeetingLine)

    def for_list(self):
        """With team, parties, the number of commitments and their mean status (subqueries, so
        filters joining parties cannot multiply the rows they count)."""
        Commitment = self.model._meta.get_field("commitments").related_model
        commitments = Commitment.objects.filter(meeting=models.OuterRef("pk")).values("meeting")
        return (
            self.select_related("team")
            .prefetch_related("parties")
            .annotate(
                commitment_count=models.Subquery(
                    commitments.annotate(n=models.Count("pk")).values("n")
                ),
                mean_status=models.Subquery(
                    commitments.filter(Commitment.counting_q())
                    .annotate(mean=models.Avg("status"))
                    .values("mean")
                ),
            )
        )


class Meeting(QuickLoad, Sourced, Timestamped, Versioned, Archivable):
    """A meeting between parties, where commitments were made."""

    team_lookups = ("team",)

    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("team")
    )
    title = models.CharField(max_length=300, verbose_name=_("title"))
    start_date = models.DateField(verbose_name=_("start date"))
    end_date = models.DateField(
        null=True,
        blank=True,
        verbose_name=_("end date"),
        help_text=_("Leave empty for a one-day meeting."),
    )
    city = models.CharField(max_length=100, blank=True, verbose_name=_("city"))
    venue = models.CharField(max_length=200, blank=True, verbose_name=_("venue"))
    parties = models.ManyToManyField(Party, related_name="meetings", verbose_name=_("parties"))
    outcome_type = models.CharField(
        max_length=30,
        choices=OutcomeType.choices,
        blank=True,
        verbose_name=_("outcome type"),
        help_text=_("Left empty only for a planned meeting, until it has been held."),
    )
    planned = models.BooleanField(
        default=False,
        verbose_name=_("planned, not held yet"),
        help_text=_(
            "A meeting known before it happens (date, place, parties): it does not count as "
            "held. Untick it once the meeting has been held."
        ),
    )
    outcome_note = models.TextField(
        blank=True,
        verbose_name=_("outcome note"),
        help_text=_('What the outcome was and was not, e.g. "MOU under discussion".'),
    )
    summary = models.TextField(blank=True, verbose_name=_("summary"))
    context_notes = models.TextField(blank=True, verbose_name=_("context notes"))
    language = content_language(
        _("The language its title, outcome note, summary and context are written in: en, es…")
    )

    # Its searched words, kept by a PostgreSQL trigger on every write (_rules.py), indexed (GIN) and
    # ranked from there; empty elsewhere (SQLite searches the text itself). ``agreements.search``
    search_vector = SearchVectorField(null=True, editable=False)

    objects = MeetingQuerySet.as_manager()
    history = track_history("parties", "sources", copies=("search_vector",))

    class Meta:
        ordering = ["-start_date", "-pk"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        # Every filter and sort of the meeting list: team, date (and year), outcome.
        indexes = [
            models.Index(fields=["team", "-start_date"]),
            models.Index(fields=["-start_date", "-id"]),
            models.Index(fields=["outcome_type"]),
            # The archived meetings' ids, a few: what a list of commitments leaves out
            # (``CommitmentQuerySet.live``).
            models.Index(
                fields=["id"], condition=Q(archived_at__isnull=False), name="meeting_archived"
            ),
        ]
        constraints = [
            Check(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="meeting_ends_after_start",
                violation_error_message=_("A meeting cannot end before it starts."),
                field="end_date",
            ),
            choice_check("meeting_outcome_valid", "outcome_type", OutcomeType, blank=True),
            Check(
                condition=Q(planned=True) | ~Q(outcome_type=""),
                name="meeting_held_has_outcome",
                violation_error_message=_(
                    "Give the outcome type, or tick “planned” for a meeting not held yet."
                ),
                field="outcome_type",
            ),
        ]

    def __str__(self) -> str:
        if self.planned:
            planned = gettext("planned")
            return f"{self.title} ({planned}, {self.start_date:%-d %b %Y})"
        return f"{self.title} ({self.start_date:%-d %b %Y})"

    def clean(self) -> None:
        if error := self.team_move_refused():
            raise ValidationError({"team": error})

    def team_move_refused(self) -> str:
        """Why this meeting cannot move to the team now set on it ("" if it can): it, or a
        record of it, names a record its stored team owns (a person as participant, speaker or
        body member; a source), which the other team would then see."""
        if self.pk is None:
            return ""
        stored = Meeting.objects.filter(pk=self.pk).values_list("team_id", flat=True).first()
        if stored in (None, self.team_id) or not self.names_team_records():
            return ""
        return gettext(
            "Its participants, speakers, body members or sources are its team's records: "
            "the meeting stays with its team. Record it again under the other team."
        )

    def names_team_records(self) -> bool:
        """Whether the meeting or one of its records names a person or a source (team-owned)."""
        citing = [  # one lookup a path (an OR of joins would multiply them)
            "meeting_records",
            "commitment_records__meeting",
            "statement_records__meeting",
            "implementationbody_records__meeting",
            "contextevent_records__meeting",
            "claim_records__record_meeting",
            "bodymembership_records__body__meeting",
            "progressupdate_records__commitment__meeting",
            "assessment_records__commitment__meeting",
        ]
        return (
            self.participants.exists()
            or self.statements.filter(speaker__isnull=False).exists()
            or self.bodies.filter(members__person__isnull=False).exists()
            or any(Source.objects.filter(**{path: self}).exists() for path in citing)
        )

    @classmethod
    def lock(cls, pk: int) -> None:
        """Hold the meeting's row until the transaction ends. Every write that moves a
        commitment's state holds its meeting first, then the commitment (``Versioned``'s save
        of a meeting, ``Commitment.save_versioned``, ``change_commitment_status``, an import):
        so they queue in one order, never deadlock, and each reads what the others committed
        (the tallies' triggers, ``StatusSpan.objects.rewrite``)."""
        cls.objects.select_for_update().filter(pk=pk).values_list("pk").first()

    def save(self, *args, **kwargs) -> None:
        """Pass a change of team or date on to the copies in commitments, their progress updates
        and claims (see ``Commitment``, ``ProgressUpdate`` and ``Claim``; on PostgreSQL foreign
        keys' cascades have done it already)."""
        with transaction.atomic():
            super().save(*args, **kwargs)
            moved = self.commitments.exclude(
                team_id=self.team_id, meeting_date=self.start_date
            ).update(team_id=self.team_id, meeting_date=self.start_date)
            if moved:  # and their progress updates' copies of the team (``ProgressUpdate``)
                Commitment = self._meta.get_field("commitments").related_model
                Update = Commitment._meta.get_field("progress_updates").related_model
                Update.objects.filter(commitment__meeting=self).exclude(
                    team_id=self.team_id
                ).update(team_id=self.team_id)
            # Every claim about the meeting or one of its records keeps its team. Claims sit
            # above meetings: their model is reached through the relation they declare here
            # (its copy ``record_meeting`` has no reverse one).
            Claim = self._meta.get_field("claims").related_model
            Claim.objects.filter(record_meeting=self).copy_record_meeting(self)

    def get_absolute_url(self) -> str:
        return reverse("agreements:meeting_detail", args=[self.pk])

    def related(self) -> list[tuple[str, Meeting, MeetingLink]]:
        """Every meeting linked to this one, either way round, each with the link read from
        this side ("Follows up" one way, "Followed up by" the other): its own links first. One
        query, both ways, its SQL made once a process (``records_of_made_once``)."""
        from .meeting_links import MeetingRelation, links_of  # stored below this module

        links = records_of_made_once(("meeting_links",), links_of, of=self.pk)
        return [
            (link.get_relation_display(), link.other, link)
            for link in links
            if link.meeting_id == self.pk
        ] + [
            (MeetingRelation(link.relation).inverse_label, link.meeting, link)
            for link in links
            if link.meeting_id != self.pk
        ]

    def chain(self, limit: int = 10, *, links: list[MeetingLink] | None = None) -> list[Meeting]:
        """The run of meetings this one belongs to through "follows up" links: those it
        continues (oldest first), itself, then those continuing it; at most ``limit`` each way
        (a query a step, so the page's cost stays bounded however long the series grows).
        ``links``: every link of this meeting's, both ways, when read already (``related``):
        the first step each way is among them: a meeting in no series (most) reads nothing
        and builds no query."""
        from .meeting_links import MeetingLink, MeetingRelation, first_step

        seen, earlier, later = {self.pk}, [], []
        for links_from, side, order, found in (
            ("meeting", "other", "-other__start_date", earlier),
            ("other", "meeting", "meeting__start_date", later),
        ):
            node = self
            for step in range(limit):
                if step == 0 and links is not None:
                    link = first_step(links, self, links_from, side, descending=order[0] == "-")
                else:
                    link = (
                        MeetingLink.objects.filter(relation=MeetingRelation.FOLLOWS_UP)
                        .filter(**{links_from: node})
                        .exclude(**{f"{side}__in": seen})
                        .select_related(side)
                        .order_by(order)
                        .first()
                    )
                if link is None:
                    break
                node = getattr(link, side)
                seen.add(node.pk)
                found.append(node)
        return [*reversed(earlier), self, *later]

    @property
    def index(self) -> float | None:
        """The implementation index of its commitments (needs ``for_list()``)."""
        return as_index(self.mean_status)


class ParticipantRole(models.TextChoices):
    # Reports rarely say who hosted or led: staff record what the source says, no guess.
    NOT_STATED = "not_stated", _("Not stated")
    HOST = "host", _("Host")
    HEAD_OF_DELEGATION = "head_of_delegation", _("Head of delegation")
    DELEGATE = "delegate", _("Delegate")
    OBSERVER = "observer", _("Observer")
    OTHER = "other", _("Other")


class Participant(ChoiceLabels, models.Model):
    """A person at a meeting, with the office they held and their role there."""

    team_lookups = ("meeting__team",)

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="participants", verbose_name=_("meeting")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="participations", verbose_name=_("person")
    )
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        related_name="participations",
        verbose_name=_("party"),
        help_text=_("The party this person acted for at the meeting."),
    )
    office = models.CharField(
        max_length=200, verbose_name=_("office"), help_text=_("The office held at the time.")
    )
    role = models.CharField(
        max_length=30,
        choices=ParticipantRole.choices,
        default=ParticipantRole.NOT_STATED,
        verbose_name=_("role"),
    )

    objects = TeamScopedQuerySet.as_manager()
    history = track_history()

    class Meta:
        ordering = ["meeting", "pk"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="participant_once"),
            choice_check("participant_role_valid", "role", ParticipantRole),
        ]

    def __str__(self) -> str:
        return f"{self.person}, {self.office}"


class MeetingLine(NamedTuple):
    """A meeting as a list names it in a line: its title, date, outcome and team's name."""

    FIELDS = ("pk", "title", "start_date", "outcome_type", "team__name")

    pk: int
    title: str
    start_date: datetime.date
    outcome_type: str
    team: str

    @classmethod
    def of(cls, row: tuple) -> MeetingLine:
        return cls(*row)

    def get_outcome_type_display(self) -> str:
        return label_of(Meeting, "outcome_type", self.outcome_type)
