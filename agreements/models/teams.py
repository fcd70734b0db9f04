"""Teams (desks), who is in them, and which records a user may see through them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import ChoiceLabels, choice_check, track_history
from .loading import QuickLoad
from .made_once import rows_of_made_once

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Team(QuickLoad, models.Model):
    """A desk (e.g. "North America"). Records belong to a team; users are members of teams."""

    name = models.CharField(max_length=100, unique=True, verbose_name=_("name"))
    slug = models.SlugField(max_length=100, unique=True, verbose_name=_("slug"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class TeamRole(models.TextChoices):
    EDITOR = "editor", _("Editor (policy staff)")
    REVIEWER = "reviewer", _("Reviewer")


class TeamMembership(ChoiceLabels, models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="team_memberships",
        verbose_name=_("user"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("team")
    )
    role = models.CharField(max_length=20, choices=TeamRole.choices, verbose_name=_("role"))
    history = track_history()

    class Meta:
        ordering = ["team__name", "user__username"]
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="team_membership_unique"),
            choice_check("team_membership_role_valid", "role", TeamRole),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.get_role_display()})"


def teams_of(user: AbstractBaseUser | AnonymousUser, *, role: str | None = None):
    """The teams a user belongs to (optionally with one role), as a lazy QuerySet."""
    if not user.is_authenticated:
        return Team.objects.none()
    membership = {"memberships__user": user}
    if role is not None:
        membership["memberships__role"] = role
    return Team.objects.filter(**membership)


def memberships(user: AbstractBaseUser | AnonymousUser) -> dict[int, tuple[str, str]]:
    """The user's teams as ``{team id: (name, role)}`` in name order: one read per user object,
    so once a request, whatever asks (the header, the lists' team filter, each ``is_editor``)."""
    if not user.is_authenticated:
        return {}
    known = user.__dict__.get("_memberships")
    if known is None:
        # Every signed-in page asks: its SQL made once a process, the user's id its value.
        rows = rows_of_made_once(("memberships",), _memberships_of, user=user.pk)
        known = user.__dict__["_memberships"] = {team: (name, role) for team, name, role in rows}
    return known


def _memberships_of(user: int):
    return (
        TeamMembership.objects.filter(user=user)
        .order_by("team__name")
        .values_list("team_id", "team__name", "role")
    )


def team_ids(user: AbstractBaseUser | AnonymousUser, *, role: str | None = None) -> list[int]:
    """The ids of ``teams_of(user, role=role)``, from ``memberships`` (read once a request)."""
    return [team for team, (_name, held) in memberships(user).items() if role in (None, held)]


def team_names(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    """The names of the user's teams, as the header shows them ("… · Europe, North America")."""
    return [name for name, _role in memberships(user).values()]


class TeamScopedQuerySet(models.QuerySet):
    """QuerySet of a model that belongs to a team through ``Model.team_lookups``."""

    def visible_to(self, user: AbstractBaseUser | AnonymousUser):
        """Rows the user may see: all for admins, their teams' rows for members, none else."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.in_teams(team_ids(user))

    def editable_by(self, user: AbstractBaseUser | AnonymousUser):
        """Rows the user may change: all for admins, their teams' rows where they are editors."""
        return self._with_role(user, TeamRole.EDITOR)

    def reviewable_by_team(self, user: AbstractBaseUser | AnonymousUser):
        """Rows the user may review and assess: all for admins, their teams' as reviewers."""
        return self._with_role(user, TeamRole.REVIEWER)

    def _with_role(self, user: AbstractBaseUser | AnonymousUser, role: str):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.in_teams(team_ids(user, role=role))

    def in_teams(self, teams):
        """Rows of these teams (ids or a QuerySet). ``visible_to`` passes a user's team ids,
        read once per request, so the planner sees the values and walks the team indexes."""
        condition = Q()
        for lookup in self.model.team_lookups:
            condition |= Q(**{f"{lookup}__in": teams})
        return self.filter(condition)


def team_of(obj, values: dict | None = None) -> Team | None:
    """The team a record belongs to, following the first of its ``team_lookups`` that is set
    (or of ``team_from``, for a record whose team column is a copy made on saving).

    ``values`` (a form's cleaned data) take precedence over the record for the first step,
    since a form's values reach the instance only after ``clean()``; a field cleaned to empty
    counts as empty (a claim moved from a meeting to a commitment follows the latter).
    """
    values = values or {}
    # Shared reference data (parties, themes) has neither: no team.
    for lookup in getattr(obj, "team_from", getattr(obj, "team_lookups", ())):
        first, *rest = lookup.split("__")
        # getattr's default also covers an unset required foreign key (RelatedObjectDoesNotExist
        # is an AttributeError).
        value = values[first] if first in values else getattr(obj, first, None)
        for part in rest:
            value = getattr(value, part, None) if value is not None else None
        if value is not None:
            return value
    return None


def outside_team(record, values: dict) -> dict[str, str]:
    """One team per link: of ``values`` (field name → a record or several), those naming a
    team's record (a commitment, a body, a source, a person…) of another team than
    ``record``'s, each with the message to show next to its field. Parties, shared reference
    data, have no team and pass. The admin's forms and every action check this."""
    team = team_of(record, values)
    if team is None:
        return {}
    refused = {}
    for name, value in values.items():
        targets = list(value) if isinstance(value, models.QuerySet | list | tuple) else [value]
        foreign = [
            target
            for target in targets
            if isinstance(target, models.Model)
            and hasattr(target, "team_lookups")
            and (other := team_of(target)) is not None
            and other.pk != team.pk
        ]
        if foreign:
            if name == "sources":
                message = gettext(
                    "Cite only sources of this record's team (%(team)s); not: %(records)s"
                )
            else:
                message = gettext(
                    "Link only records of this record's team (%(team)s); not: %(records)s"
                )
            names = ", ".join(str(target) for target in foreign)
            refused[name] = message % {"team": team, "records": names}
    return refused


def links_of(record) -> dict:
    """A record's foreign keys to team-owned records, by field name, for ``outside_team``."""
    return {
        field.name: getattr(record, field.name, None)
        for field in record._meta.concrete_fields
        if field.many_to_one and hasattr(field.related_model, "team_lookups")
    }


class Preference(ChoiceLabels, models.Model):
    """What a user chose for themselves: for now the interface language, kept for every device
    they sign in from and for the emails sent to them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="preference",
        verbose_name=_("user"),
    )
    language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, verbose_name=_("language")
    )

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="preference_language_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_language_display()}"

    @classmethod
    def choose(cls, user: AbstractBaseUser, language: str) -> None:
        """Keep ``language`` (one of ``settings.LANGUAGES``) as ``user``'s own."""
        cls.objects.update_or_create(user=user, defaults={"language": language})


def language_of(user: AbstractBaseUser) -> str:
    """The language to write to ``user`` in: theirs if they chose one, else the site's."""
    try:
        return user.preference.language
    except Preference.DoesNotExist:
        return settings.LANGUAGE_CODE
