"""What was said, what is claimed, and what happened around a meeting."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import (
    Archivable,
    ArchivableQuerySet,
    Sourced,
    Timestamped,
    Versioned,
    choice_check,
    content_language,
    track_history,
)
from .bodies import ImplementationBody
from .commitments import Commitment
from .meetings import Meeting
from .reference import Party, Person
from .teams import Team, TeamScopedQuerySet


class StatementKind(models.TextChoices):
    QUOTATION = "quotation", _("Quotation")
    READOUT = "readout", _("Official readout")
    PRESS_RELEASE = "press_release", _("Press release")
    SPEECH = "speech", _("Speech")


class Statement(Sourced, Timestamped, Versioned):
    """Words attributed to a speaker (Popolo: Speech). A party's own readout is one too."""

    team_lookups = ("meeting__team",)

    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="statements", verbose_name=_("meeting")
    )
    speaker = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        verbose_name=_("speaker"),
    )
    speaker_office = models.CharField(
        max_length=200,
        blank=True,
        verbose_name=_("speaker office"),
        help_text=_("The office the speaker held when speaking."),
    )
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        verbose_name=_("party"),
        help_text=_("The party the statement speaks for (a joint statement's first signatory)."),
    )
    joint_parties = models.ManyToManyField(
        Party,
        blank=True,
        related_name="joint_statements",
        verbose_name=_("jointly with"),
        help_text=_(
            "For a joint statement: the other parties that issued it. A joint readout counts "
            "as each one's own readout."
        ),
    )
    kind = models.CharField(
        max_length=20,
        choices=StatementKind.choices,
        default=StatementKind.QUOTATION,
        verbose_name=_("kind"),
    )
    text = models.TextField(
        verbose_name=_("text"), help_text=_("The exact words, ellipses as published.")
    )
    language = content_language(_("The language the words were said in: en, es…"))
    said_on = models.DateField(verbose_name=_("said on"))
    commitments = models.ManyToManyField(
        Commitment,
        blank=True,
        related_name="mentioned_in",
        verbose_name=_("commitments it mentions"),
        help_text=_(
            "Of the meeting's commitments, those these words speak of (for a readout: "
            "what this side reported)."
        ),
    )

    # Its searched words, kept by a PostgreSQL trigger on every write (_rules.py), indexed (GIN) and
    # ranked from there; empty elsewhere (SQLite searches the text itself). ``agreements.search``
    search_vector = SearchVectorField(null=True, editable=False)

    objects = TeamScopedQuerySet.as_manager()
    history = track_history("sources", "commitments", "joint_parties", copies=("search_vector",))

    class Meta:
        ordering = ["said_on", "pk"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        # The admin's changelist order, on an index (issue #27: a page at any size).
        indexes = [models.Index(fields=["-said_on", "id"], name="statement_recent")]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="statement_has_text"),
            models.CheckConstraint(
                condition=Q(speaker__isnull=False) | Q(party__isnull=False),
                name="statement_attributed",
                violation_error_message=_("A statement is attributed to a speaker or a party."),
            ),
            choice_check("statement_kind_valid", "kind", StatementKind),
        ]

    def signatories(self) -> list[Party]:
        """The parties it speaks for: its party, then those it was issued jointly with (needs
        ``joint_parties`` prefetched, for a list of statements)."""
        joint = [p for p in self.joint_parties.all() if p.pk != self.party_id] if self.pk else []
        return [*([self.party] if self.party_id else []), *joint]

    def __str__(self) -> str:
        who = self.speaker or self.party
        return f"{who}: “{self.text[:60]}…”" if len(self.text) > 60 else f"{who}: “{self.text}”"


class Verification(models.TextChoices):
    VERIFIED = "verified", _("Verified")
    REPORTED = "reported", _("Reported")
    UNCONFIRMED = "unconfirmed", _("Unconfirmed")
    DISPUTED = "disputed", _("Disputed")
    RETRACTED = "retracted", _("Retracted")


# Claims still open: what the open-claims page lists and a briefing reports.
OPEN_VERIFICATIONS = (Verification.UNCONFIRMED, Verification.DISPUTED)


class ClaimQuerySet(TeamScopedQuerySet, ArchivableQuerySet):
    """Claims: team-scoped, and active only while the record they are about is."""

    def still_open(self):
        """Active claims still unconfirmed or disputed."""
        return self.active().filter(verification__in=OPEN_VERIFICATIONS)

    def copy_record_meeting(self, meeting: Meeting) -> None:
        """Copy ``meeting`` and its team into these claims' ``record_meeting`` and ``team``
        where they differ: after their subject moved to ``meeting``, or ``meeting`` to
        another team. The records a claim is about call it on saving, through their reverse
        relation (``commitment.claims``), so that they never import this module."""
        self.exclude(record_meeting=meeting, team_id=meeting.team_id).update(
            record_meeting=meeting, team_id=meeting.team_id
        )


class Claim(Sourced, Timestamped, Versioned, Archivable):
    """A sentence about the world, with how far it is verified."""

    team_lookups = ("team",)
    team_from = ("meeting__team", "commitment__team", "body__meeting__team")  # copied to team
    archived_via = ("record_meeting", "commitment", "body")

    text = models.TextField(verbose_name=_("text"))
    verification = models.CharField(
        max_length=20,
        choices=Verification.choices,
        default=Verification.UNCONFIRMED,
        verbose_name=_("verification"),
    )
    # The day its verification state was established (a source published, a denial issued),
    # apart from when it was recorded; empty while it was never re-verified.
    verified_on = models.DateField(null=True, blank=True, verbose_name=_("verified on"))
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("meeting"),
    )
    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("commitment"),
    )
    body = models.ForeignKey(
        ImplementationBody,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("body"),
    )
    note = models.TextField(blank=True, verbose_name=_("note"))
    language = content_language(_("The language its text and note are written in: en, es…"))
    # Copies of the subject's meeting (the meeting itself, or the commitment's or body's) and
    # its team, so the claims of a team or of a meeting's record are read through one index
    # instead of three joined paths. ``save()`` copies them; on PostgreSQL a trigger sets them
    # from the subject on every write and a foreign key over (record_meeting, team) follows a
    # meeting that changes team (migrations/_rules.py).
    record_meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("record meeting"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="+", editable=False, verbose_name=_("team")
    )

    # Its searched words, kept by a PostgreSQL trigger on every write (_rules.py), indexed (GIN) and
    # ranked from there; empty elsewhere (SQLite searches the text itself). ``agreements.search``
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ClaimQuerySet.as_manager()
    history = track_history("sources", copies=("record_meeting", "team", "search_vector"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [
            models.Index(fields=["team", "verification", "id"], name="claim_team_verification"),
            models.Index(fields=["record_meeting", "id"], name="claim_record_meeting"),
            # The admin's changelist order, on an index (issue #27: a page at any size).
            models.Index(fields=["-updated_at", "-id"], name="claim_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting__isnull=False, commitment__isnull=True, body__isnull=True)
                | Q(meeting__isnull=True, commitment__isnull=False, body__isnull=True)
                | Q(meeting__isnull=True, commitment__isnull=True, body__isnull=False),
                name="claim_about_exactly_one_record",
                violation_error_message=_(
                    "A claim is about exactly one meeting, commitment or body."
                ),
            ),
            choice_check("claim_verification_valid", "verification", Verification),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    def save(self, *args, **kwargs) -> None:
        subject = self.subject
        if subject is not None:
            meeting = subject if isinstance(subject, Meeting) else subject.meeting
            self.record_meeting_id, self.team_id = meeting.pk, meeting.team_id
            if (fields := kwargs.get("update_fields")) is not None:
                kwargs["update_fields"] = {*fields, "record_meeting", "team"}
        super().save(*args, **kwargs)

    @property
    def subject(self) -> Meeting | Commitment | ImplementationBody | None:
        return self.meeting or self.commitment or self.body

    @staticmethod
    def sources_error(verification: str, sources) -> str | None:
        """Every state other than unconfirmed needs at least one source (checked by forms,
        since the sources are saved after the claim itself)."""
        if verification != Verification.UNCONFIRMED and not sources:
            return gettext("A claim marked “%(verification)s” needs at least one source.") % {
                "verification": Verification(verification).label
            }
        return None


class EventRelation(models.TextChoices):
    """When an event stands to its meeting: before it, while it met, or after it."""

    BACKGROUND = "background", _("Background (before)")
    DURING = "during", _("During the meeting")
    FOLLOW_UP = "follow_up", _("Follow-up (after)")


class ContextEventQuerySet(TeamScopedQuerySet, ArchivableQuerySet):
    pass


class ContextEvent(Sourced, Timestamped, Versioned, Archivable):
    """Something that happened around a meeting, as background, during it or as follow-up.
    Retired by archiving, like every record (its page keeps it, marked)."""

    team_lookups = ("meeting__team",)
    archived_via = ("meeting",)

    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        related_name="context_events",
        verbose_name=_("meeting"),
    )
    title = models.CharField(max_length=300, verbose_name=_("title"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    occurred_on = models.DateField(
        null=True,
        blank=True,
        verbose_name=_("occurred on"),
        help_text=_("Leave empty when the sources give no date."),
    )
    timing_note = models.CharField(
        max_length=200,
        blank=True,
        verbose_name=_("timing note"),
        help_text=_('When the date is unknown: "shortly before".'),
    )
    relation = models.CharField(
        max_length=20, choices=EventRelation.choices, verbose_name=_("relation")
    )
    actor = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="context_events",
        verbose_name=_("actor"),
    )
    location = models.CharField(max_length=200, blank=True, verbose_name=_("location"))
    fatalities = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name=_("fatalities"),
        help_text=_("Deaths reported, where the event caused any."),
    )

    objects = ContextEventQuerySet.as_manager()
    history = track_history("sources")

    class Meta:
        ordering = ["occurred_on", "pk"]
        verbose_name = _("context event")
        verbose_name_plural = _("context events")
        # The admin's changelist order, on an index (issue #27: a page at any size).
        indexes = [models.Index(fields=["-occurred_on", "id"], name="context_event_recent")]
        constraints = [
            choice_check("context_event_relation_valid", "relation", EventRelation),
        ]

    def __str__(self) -> str:
        return self.title


@dataclass(frozen=True)
class ReadoutComparison:
    """Each party's official readouts of a meeting side by side: ``columns`` holds each party
    with its readouts (none, when it published none), ``rows`` each of the meeting's
    commitments with, per column, whether that party's readouts mention it (None: the party
    published no readout), and, where the readouts differ on it, the parties whose readouts
    mention it (else an empty list)."""

    columns: list[tuple[Party, list[Statement]]]
    rows: list[tuple[Commitment, list[bool | None], list[Party]]]


def compare_readouts(parties, statements, commitments) -> ReadoutComparison | None:
    """The readouts among ``statements`` (with their ``commitments`` prefetched) compared over
    ``commitments``, a column for each of ``parties`` and for any other party with a readout;
    None when the meeting has no readout."""
    readouts = [s for s in statements if s.kind == StatementKind.READOUT and s.signatories()]
    if not readouts:
        return None
    columns = {party.pk: (party, []) for party in parties}
    for readout in readouts:
        for party in readout.signatories():  # a joint readout is each signatory's own
            columns.setdefault(party.pk, (party, []))[1].append(readout)
    mentioned = {
        pk: {c.pk for readout in said for c in readout.commitments.all()}
        for pk, (_, said) in columns.items()
    }
    rows = []
    for commitment in commitments:
        marks = [
            commitment.pk in mentioned[pk] if said else None for pk, (_, said) in columns.items()
        ]
        by = [party for (party, said), mark in zip(columns.values(), marks, strict=True) if mark]
        differs = True in marks and False in marks
        rows.append((commitment, marks, by if differs else []))
    return ReadoutComparison(columns=list(columns.values()), rows=rows)
