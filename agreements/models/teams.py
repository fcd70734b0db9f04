"""Teams (desks), who is in them, and which records a user may see through them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

from .base import track_history

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Team(models.Model):
    """A desk (e.g. "North America"). Records belong to a team; users are members of teams."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamRole(models.TextChoices):
    EDITOR = "editor", "Editor (policy staff)"
    REVIEWER = "reviewer", "Reviewer"


class TeamMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=TeamRole.choices)
    history = track_history()

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="team_membership_unique"),
            models.CheckConstraint(
                condition=Q(role__in=TeamRole.values), name="team_membership_role_valid"
            ),
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


def team_ids(user: AbstractBaseUser | AnonymousUser, *, role: str | None = None) -> list[int]:
    """The ids of ``teams_of(user, role=role)``, read once per user object (so once a request)."""
    cache = user.__dict__.setdefault("_team_ids", {})
    if role not in cache:
        cache[role] = list(teams_of(user, role=role).values_list("pk", flat=True))
    return cache[role]


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
