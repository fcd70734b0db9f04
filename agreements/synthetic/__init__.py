"""Synthetic records at scale, for benchmarks: about N commitments with everything around them.

Deterministic from the seed (given the same starting database): the same call writes the same
rows with the same ids. Rows are written in bulk, a chunk of meetings per transaction, so the
benchmark's million commitments load in minutes (figures: docs/benchmarks.md); synthetic
records have no history entries. Their shape (heavy tails: summits, long records of progress)
is described in ``makers`` and docs/benchmarks.md.

- ``vocabularies``: the teams' shares, the words and places drawn from, the app's vocabularies.
- ``writer``: ``BulkWriter``, which gathers rows with their ids and writes them (COPY by two
  threads on PostgreSQL, ``executemany`` elsewhere), and moves the id sequences past them.
- ``people``: the teams, their synthetic editors and reviewers, parties and persons.
- ``makers``: ``MeetingMaker``, one meeting with its commitments and everything around them.
- here: ``generate``, which the ``synthetic_data`` command calls, and its ``LoadReport``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from agreements import models as m
from agreements.synthetic.makers import LONG_TIMELINE, MeetingMaker, tails
from agreements.synthetic.people import add_persons, party_ids, teams_and_users
from agreements.synthetic.vocabularies import values_of
from agreements.synthetic.writer import BulkWriter

__all__ = ["LONG_TIMELINE", "LoadReport", "generate"]

MEETINGS_PER_CHUNK = 500


@dataclass
class LoadReport:
    """What a load wrote and how long it took, for the command to print."""

    commitments: int = 0
    meetings: int = 0
    rows: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Rows written per second."""
        return self.rows / self.seconds if self.seconds else 0.0


def generate(size: int, seed: int, progress: Callable[[str], None] = lambda _: None) -> LoadReport:
    """Write about ``size`` commitments (ten per meeting on average) with their surroundings;
    ``progress`` is given a line after each chunk of meetings."""
    rng = random.Random(seed)
    started = time.perf_counter()
    writer = BulkWriter(now=timezone.now())
    with transaction.atomic():
        m.Theme.seed()
        teams = teams_and_users()
        parties = party_ids()
        # Each team keeps its own persons (the ones its records name).
        persons = {
            team.id: add_persons(writer, rng, team.id, parties, count=max(50, size // 200))
            for team in teams
        }
        for team in teams:
            team.source_ids = [
                writer.add(
                    m.Source,
                    team_id=team.id,
                    title=f"Synthetic source {i}",
                    reliability=rng.choice(values_of(m.Reliability)),
                )
                for i in range(max(10, size // 500))
            ]
        writer.flush()
    report = LoadReport()
    meetings = max(1, size // 10)
    summits, long = tails(meetings)
    # The records end on the day of the load and reach ten years back.
    maker = MeetingMaker(
        writer, rng, teams, parties, persons, end=timezone.localdate(), summits=summits, long=long
    )
    pipeline = writer.pipeline()
    try:
        for first in range(0, meetings, MEETINGS_PER_CHUNK):
            for number in range(first, min(meetings, first + MEETINGS_PER_CHUNK)):
                report.commitments += maker.meeting(number)
                report.meetings += 1
            pipeline.send()
            progress(f"  {report.commitments:,} commitments, {writer.written:,} rows")
        pipeline.close()
    except BaseException:
        pipeline.close(abandon=True)  # the error raised is the first one
        raise
    finally:
        writer.reset_sequences()  # past every id copied, even by a load cut short
    m.fold_piled([team.id for team in teams])  # the triggers' rows, both tallies
    # The stored history of every commitment written anew in one pass, its tallies summed
    # once (``rebuild``: the rows an action's ``rewrite`` stores, without reading them back).
    progress("  status history")
    m.StatusSpan.objects.rebuild()
    m.ComplianceSpan.objects.rebuild()  # reads the status history: after it
    for spans in (m.StatusSpan, m.ComplianceSpan):  # and their day, month and year tallies
        writer.touched.update({spans, *spans.objects.tallies()})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in writer.touched:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    report.rows = writer.written
    report.seconds = time.perf_counter() - started
    return report
