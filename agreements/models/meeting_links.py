"""How one meeting relates to another: a typed link of one team's two meetings, read both ways
(``Meeting.related``) and followed along a series (``Meeting.chain``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import Check, Timestamped, choice_check, track_history
from .meetings import Meeting
from .teams import TeamScopedQuerySet


class MeetingRelation(models.TextChoices):
    """How one meeting relates to another, with the reading from the other side."""

    FOLLOWS_UP = "follows_up", _("Follows up")
    SAME_SERIES = "same_series", _("Same series as")
    SUPERSEDES = "supersedes", _("Supersedes")

    @property
    def inverse_label(self) -> str:
        return {
            "follows_up": gettext("Followed up by"),
            "same_series": gettext("Same series as"),
            "supersedes": gettext("Superseded by"),
        }[self.value]


def first_step(
    links: list[MeetingLink], meeting: Meeting, links_from: str, side: str, *, descending: bool
) -> MeetingLink | None:
    """Among ``links`` (``meeting``'s, both ways), the "follows up" link from ``meeting`` whose
    ``side`` is the latest (``descending``) or earliest meeting: ``Meeting.chain``'s first step,
    as its query would find it."""
    steps = [
        link
        for link in links
        if link.relation == MeetingRelation.FOLLOWS_UP
        and getattr(link, f"{links_from}_id") == meeting.pk
        and getattr(link, f"{side}_id") != meeting.pk
    ]
    if not steps:
        return None
    pick = max if descending else min
    return pick(steps, key=lambda link: getattr(link, side).start_date)


# What a linked meeting's name reads (``Meeting.__str__``, ``is_archived``, its link).
NAMED_BY = ("title", "planned", "start_date", "archived_at")


class MeetingLink(Timestamped):
    """A typed link between two meetings of one team, read both ways: this meeting follows up
    an earlier one (the 2021 High-Level Security Dialogue), is a round of the same series, or
    supersedes it. An earlier meeting never follows up or is superseded by a later one."""

    team_lookups = ("meeting__team",)
    archived_via = ("meeting", "other")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="links", verbose_name=_("meeting")
    )
    relation = models.CharField(
        max_length=20, choices=MeetingRelation.choices, verbose_name=_("relation")
    )
    other = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        related_name="linked_from",
        verbose_name=_("related meeting"),
    )
    note = models.CharField(max_length=300, blank=True, verbose_name=_("note"))

    objects = TeamScopedQuerySet.as_manager()
    history = track_history()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("meeting link")
        verbose_name_plural = _("meeting links")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "relation", "other"], name="meeting_link_once"
            ),
            Check(
                condition=~Q(meeting=F("other")),
                name="meeting_link_not_itself",
                violation_error_message=_("A meeting is not related to itself."),
                field="other",
            ),
            choice_check("meetinglink_relation_valid", "relation", MeetingRelation),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} {self.get_relation_display().lower()} {self.other}"

    def clean(self) -> None:
        if not (self.meeting_id and self.other_id):
            return
        other, meeting = self.other, self.meeting  # of one team: ``outside_team`` checks
        ordered = self.relation in (MeetingRelation.FOLLOWS_UP, MeetingRelation.SUPERSEDES)
        if ordered and other.start_date > meeting.start_date:
            raise ValidationError(
                {
                    "other": gettext(
                        "“%(other)s” is later than this meeting: link it from that "
                        "meeting's page instead."
                    )
                    % {"other": other}
                }
            )
        same = MeetingLink.objects.filter(relation=self.relation).exclude(pk=self.pk)
        if same.filter(meeting=meeting, other=other).exists():
            raise ValidationError(
                {
                    "other": gettext("This meeting is linked to “%(other)s” already.")
                    % {"other": other}
                }
            )
        if same.filter(meeting=other, other=meeting).exists():
            relation = self.get_relation_display().lower()
            raise ValidationError(
                {
                    "other": gettext("“%(other)s” %(relation)s this meeting already.")
                    % {"other": other, "relation": relation}
                }
            )


def links_of(of: int) -> models.QuerySet[MeetingLink]:
    """The links of meeting ``of``, either way round (``Meeting.related``)."""
    named = [f"{side}__{name}" for side in ("meeting", "other") for name in NAMED_BY]
    return (
        MeetingLink.objects.filter(Q(meeting=of) | Q(other=of))
        .select_related("meeting", "other")
        .only("meeting", "other", "relation", "note", *named)
    )
