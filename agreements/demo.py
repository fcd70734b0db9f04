"""The demo data: the reference meeting, read from the project's own fixture, and beside it the
sample desk of synthetic meetings over five years (``sample_desk``).

``load_demo()`` creates what is missing and leaves what exists alone, so running it again keeps
what users changed since and duplicates nothing. The reference meeting stays as its report
says: no progress is invented for it.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from . import models as m
from .sample_desk import load_sample_desk

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "us_mexico_security_2025.toml"
DEMO_PASSWORD = "demo"


class LoadCount(Counter):
    """How many records of each kind were created and found."""

    def note(self, obj, created: bool):
        self[(type(obj)._meta.verbose_name_plural, "created" if created else "kept")] += 1
        return obj

    def lines(self) -> list[str]:
        kinds = sorted({kind for kind, _ in self})
        return [
            f"{kind}: {self[(kind, 'created')]} created, {self[(kind, 'kept')]} kept"
            for kind in kinds
        ]


@transaction.atomic
def load_demo(path: Path = FIXTURE) -> LoadCount:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    counted = LoadCount()
    m.Theme.seed()  # seeded by the migrations; again here, should a test have emptied them

    created_now: set[tuple[type, int]] = set()

    def get_or_create(model, defaults=None, **keys):
        obj, created = model.objects.get_or_create(defaults=defaults or {}, **keys)
        if created:
            created_now.add((model, obj.pk))
        return counted.note(obj, created)

    def link(obj, relation: str, *targets) -> None:
        """Set a relation on records made by this run only: existing ones are left as they
        are (and an empty add would still write a history record)."""
        if (type(obj), obj.pk) in created_now:
            getattr(obj, relation).add(*targets)

    teams = {
        t["slug"]: get_or_create(m.Team, slug=t["slug"], defaults={"name": t["name"]})
        for t in data["teams"]
    }
    _load_users(data["users"], teams, counted)
    parties = {
        p["code"]: get_or_create(
            m.Party, code=p["code"], defaults={"name": p["name"], "kind": p["kind"]}
        )
        for p in data["parties"]
    }
    for p in data["parties"]:
        for alias in p.get("aliases", []):
            get_or_create(m.PartyAlias, name=alias, defaults={"party": parties[p["code"]]})
    spec = data["meeting"]
    team = teams[spec["team"]]
    persons = {  # the meeting's team's own records of them
        p["name"]: get_or_create(
            m.Person,
            team=team,
            name=p["name"],
            party=parties[p["party"]],
            defaults={"current_office": p["current_office"]},
        )
        for p in data["persons"]
    }
    source_spec = data["source"]
    source = get_or_create(
        m.Source,
        team=team,
        title=source_spec["title"],
        defaults={"publisher": source_spec["publisher"], "notes": source_spec["notes"]},
    )
    meeting = get_or_create(
        m.Meeting,
        team=team,
        title=spec["title"],
        start_date=spec["start_date"],
        defaults={
            key: spec[key]
            for key in ("city", "venue", "outcome_type", "outcome_note", "summary", "context_notes")
        },
    )
    link(meeting, "parties", *(parties[code] for code in spec["parties"]))
    link(meeting, "sources", source)
    for p in spec["participants"]:
        get_or_create(
            m.Participant,
            meeting=meeting,
            person=persons[p["person"]],
            defaults={"party": parties[p["party"]], "office": p["office"], "role": p["role"]},
        )

    commitments = []
    for position, c in enumerate(data["commitments"], start=1):
        commitment = get_or_create(
            m.Commitment,
            meeting=meeting,
            title=c["title"],
            defaults={
                "text": c["text"],
                "theme_id": c["theme"],
                "jurisdiction_note": c["jurisdiction_note"],
                "indicator": c["indicator"],
                "position": position,
            },
        )
        for code, role in c["parties"].items():
            get_or_create(
                m.CommitmentParty,
                commitment=commitment,
                party=parties[code],
                defaults={"role": role},
            )
        link(commitment, "sources", source)
        commitments.append(commitment)

    b = data["body"]
    body = get_or_create(
        m.ImplementationBody,
        meeting=meeting,
        name=b["name"],
        defaults={
            "mandate": b["mandate"],
            "cadence": b["cadence"],
            "lifecycle": b["lifecycle"],
            "membership_note": b.get("membership_note", ""),
        },
    )
    link(body, "sources", source)
    if b["oversees"] == "all":
        link(body, "commitments", *commitments)

    for s in data["statements"]:
        statement = get_or_create(
            m.Statement,
            meeting=meeting,
            speaker=persons[s["speaker"]],
            text=s["text"],
            defaults={
                "party": parties[s["party"]],
                "speaker_office": s["speaker_office"],
                "language": s["language"],
                "said_on": s["said_on"],
            },
        )
        link(statement, "sources", source)

    subjects = {"meeting": {"meeting": meeting}, "body": {"body": body}}
    for c in data["claims"]:
        claim = get_or_create(m.Claim, text=c["text"], **subjects[c["about"]])
        link(claim, "sources", source)

    for e in data["events"]:
        event = get_or_create(
            m.ContextEvent,
            meeting=meeting,
            title=e["title"],
            defaults={
                "description": e["description"],
                "occurred_on": e.get("occurred_on"),
                "timing_note": e.get("timing_note", ""),
                "relation": e["relation"],
                "actor": parties[e["actor"]],
                "location": e.get("location", ""),
                "fatalities": e.get("fatalities"),
            },
        )
        link(event, "sources", source)
    ids = [c.pk for c in commitments]
    m.StatusSpan.objects.rewrite(ids)  # their stored history
    m.ComplianceSpan.objects.rewrite(ids)

    load_sample_desk(counted.note)
    return counted


def _load_users(users: list[dict], teams: dict[str, m.Team], counted: LoadCount) -> None:
    User = get_user_model()
    for u in users:
        user, created = User.objects.get_or_create(
            username=u["username"],
            defaults={
                "is_superuser": u.get("superuser", False),
                "is_staff": u.get("superuser", False),
                # So that the demo's reminders and follower notices have somewhere to go (the
                # demo prints mail on the console; example.org addresses reach nobody).
                "email": f"{u['username']}@example.org",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        counted.note(user, created)
        if "team" in u:
            membership, created = m.TeamMembership.objects.get_or_create(
                user=user, team=teams[u["team"]], defaults={"role": u["role"]}
            )
            counted.note(membership, created)
