"""The teams synthetic records belong to, with the synthetic users who write and review them,
and the parties and persons the records name."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from agreements import models as m
from agreements.synthetic.vocabularies import TEAMS
from agreements.synthetic.writer import BulkWriter


@dataclass
class SyntheticTeam:
    """A team's id, the synthetic users who write and review its records, and its sources."""

    id: int
    editor_id: int
    reviewer_id: int
    source_ids: list[int] = field(default_factory=list)


def teams_and_users() -> list[SyntheticTeam]:
    """The teams of ``TEAMS`` and a synthetic editor and reviewer in each, made if missing."""
    User = get_user_model()
    teams = []
    for slug, name, _ in TEAMS:
        team, _ = m.Team.objects.get_or_create(slug=slug, defaults={"name": name})
        ids = []
        for role in (m.TeamRole.EDITOR, m.TeamRole.REVIEWER):
            user, created = User.objects.get_or_create(username=f"synthetic-{role}-{slug}")
            if created:
                user.set_unusable_password()
                user.save()
            m.TeamMembership.objects.get_or_create(user=user, team=team, defaults={"role": role})
            ids.append(user.pk)
        teams.append(SyntheticTeam(team.pk, *ids))
    return teams


def party_ids() -> list[int]:
    """Every party there is, plus synthetic states (user-assigned ISO codes XAA–XAZ)."""
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        m.Party.objects.get_or_create(
            code=f"XA{letter}", defaults={"name": f"Synthetic state XA{letter}", "kind": "state"}
        )
    return list(m.Party.objects.order_by("pk").values_list("pk", flat=True))


def add_persons(
    writer: BulkWriter, rng: random.Random, team: int, parties: list[int], count: int
) -> list[tuple[int, int]]:
    """``count`` persons of the team, each of a party drawn from ``parties``, as (id, party)."""
    return [
        (
            writer.add(
                m.Person,
                team_id=team,
                name=f"Synthetic person {i}",
                party_id=party,
                current_office="Minister",
            ),
            party,
        )
        for i in range(count)
        for party in [rng.choice(parties)]
    ]
