"""What synthetic records are made of: the teams and their share of meetings, the words and
places drawn from, and the values of the app's vocabularies (``TextChoices``)."""

from __future__ import annotations

import functools
import random

from django.db import models

# (slug, name, share of meetings): most meetings belong to North America, the demo's team, so
# the demo logins see them.
TEAMS = [
    ("north-america", "North America", 0.85),
    ("europe", "Europe", 0.05),
    ("asia-pacific", "Asia-Pacific", 0.05),
    ("africa", "Africa", 0.05),
]

CITIES = ["Mexico City", "Washington", "Ottawa", "Madrid", "Brussels", "Nairobi", "Canberra"]
VERBS = ["Strengthen", "Reduce", "Establish", "Expand", "Coordinate", "Review", "Dismantle"]
# What meetings and commitments are about, by theme code (eight of ``Theme.DEFAULTS``).
OBJECTS = {
    "drugs": ["fentanyl precursor controls", "laboratory seizures", "port inspections"],
    "arms": ["firearms tracing", "border checks on weapons", "ammunition controls"],
    "fuel_theft": ["pipeline monitoring", "fuel theft prosecutions"],
    "migration": ["asylum processing", "migrant protection", "return agreements"],
    "sovereignty": ["consultation before operations", "joint rules of engagement"],
    "security": ["intelligence sharing", "joint investigations", "extradition requests"],
    "trade": ["customs cooperation", "tariff consultations"],
    "energy": ["grid interconnection", "energy security dialogue"],
}
WORDS = [
    "cooperation",
    "implementation",
    "border",
    "agency",
    "ministry",
    "officials",
    "report",
    "review",
    "joint",
    "framework",
    "group",
    "progress",
    "measures",
    "partners",
    "security",
    "capacity",
    "training",
    "funding",
    "verification",
    "monitoring",
    "agreement",
    "commitment",
    "priority",
    "enforcement",
    "dialogue",
]
THEMES = list(OBJECTS)


@functools.cache
def values_of(vocabulary: type[models.Choices]) -> list:
    """A vocabulary's values, read once: a Choices class builds its list on every call."""
    return vocabulary.values


def sentence(rng: random.Random, n: int = 12) -> str:
    """``n`` words drawn from ``WORDS``, as a sentence."""
    return " ".join(rng.choices(WORDS, k=n)).capitalize() + "."
