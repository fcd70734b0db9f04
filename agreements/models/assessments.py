"""Per-party compliance (the G7/G20 Research Group's scoring): a reviewer's score of one
party's compliance with one commitment, as of a day, with its justification and sources; the
latest per party is what a page and the compliance history count (``SCORE_VALUE``)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import Sourced, choice_check
from .commitments import Commitment
from .reference import Party
from .teams import TeamScopedQuerySet


class ComplianceScore(models.TextChoices):
    """G7/G20 Research Group compliance scoring."""

    FULL = "+1", _("+1 full or nearly full compliance")
    PARTIAL = "0", _("0 partial compliance or work in progress")
    NONE = "-1", _("-1 no compliance")
    NOT_ASSESSED = "n/a", _("Not assessed")


class AssessmentStage(models.TextChoices):
    INTERIM = "interim", _("Interim")
    FINAL = "final", _("Final")


SCORE_VALUE = {"+1": 1, "0": 0, "-1": -1}


class AssessmentQuerySet(TeamScopedQuerySet):
    def latest_per_party(self, day: datetime.date | None = None):
        """Each (commitment, party)'s most recent assessment only (as of ``day``, if given): the
        one no later one follows (later dated, or dated the same and recorded later). Written
        as NOT EXISTS, which the database runs as one anti-join over the (commitment, party,
        as_of) index, not a lookup per assessment."""
        later = Assessment.objects.filter(
            Q(as_of__gt=models.OuterRef("as_of"))
            | Q(as_of=models.OuterRef("as_of"), pk__gt=models.OuterRef("pk")),
            commitment=models.OuterRef("commitment"),
            party=models.OuterRef("party"),
        )
        latest = self
        if day is not None:
            later = later.filter(as_of__lte=day)
            latest = latest.filter(as_of__lte=day)
        return latest.filter(~models.Exists(later))


class Assessment(Sourced):
    """A reviewer's score of one party's compliance with one commitment, as of a date."""

    team_lookups = ("commitment__team",)

    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("commitment"),
    )
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("party")
    )
    score = models.CharField(max_length=3, choices=ComplianceScore.choices, verbose_name=_("score"))
    justification = models.TextField(verbose_name=_("justification"))
    as_of = models.DateField(verbose_name=_("as of"))
    stage = models.CharField(
        max_length=10,
        choices=AssessmentStage.choices,
        default=AssessmentStage.INTERIM,
        verbose_name=_("stage"),
    )
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("assessed by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-as_of", "-pk"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        indexes = [
            models.Index(fields=["commitment", "party", "-as_of"]),
            # The admin's changelist order, on an index (issue #27: a page at any size).
            models.Index(fields=["-as_of", "-id"], name="assessment_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(justification=""),
                name="assessment_has_justification",
                violation_error_message=_("An assessment needs a written justification."),
            ),
            choice_check("assessment_score_valid", "score", ComplianceScore),
            choice_check("assessment_stage_valid", "stage", AssessmentStage),
        ]

    def __str__(self) -> str:
        return f"{self.party} on {self.commitment}: {self.score} as of {self.as_of}"

    def clean(self) -> None:
        # Not a CHECK constraint: it reads the commitment's party roles, another table.
        if (
            self.commitment_id
            and self.party_id
            and not self.commitment.party_roles.filter(party_id=self.party_id).exists()
        ):
            raise ValidationError({"party": gettext("This party has no role in the commitment.")})
        # A day between its meeting and today: dated beyond today it would stay the "latest"
        # score until then, and nothing could correct it.
        if self.as_of and self.commitment_id:
            meeting_date = self.commitment.meeting_date
            if self.as_of > timezone.localdate():
                raise ValidationError(
                    {"as_of": gettext("An assessment cannot be dated in the future.")}
                )
            if self.as_of < meeting_date:
                raise ValidationError(
                    {
                        "as_of": gettext(
                            "An assessment cannot be dated before its meeting (%(date)s)."
                        )
                        % {"date": date_format(meeting_date, "j M Y")}
                    }
                )
