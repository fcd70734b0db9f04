"""The benchmark's dataset: about N commitments with everything around them, reproducible."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from agreements import models as m
from agreements import synthetic
from agreements.synthetic import generate
from agreements.synthetic.makers import MeetingMaker
from agreements.synthetic.writer import BulkWriter
from tests.test_status_history import (
    rewritten_one_by_one,
    stored_agrees_with_the_changes,
    stored_history,
)

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        "commitments": list(
            m.Commitment.objects.order_by("pk").values_list("pk", "title", "status")
        ),
        "updates": list(m.ProgressUpdate.objects.order_by("pk").values_list("pk", "review_state")),
        "teams": list(m.Meeting.objects.order_by("pk").values_list("pk", "team__slug")),
    }


def test_synthetic_data_fills_every_part_of_the_domain():
    report = generate(size=300, seed=7)
    if connection.vendor == "postgresql":  # the deferred checks (review state) run now
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    summit = max(per_meeting().values())  # the one summit of a small load, beside the rest
    assert 200 <= report.commitments - summit <= 450
    assert report.commitments == m.Commitment.objects.count()
    assert report.rows > 10 * report.commitments
    for model in (
        m.Participant,
        m.CommitmentParty,
        m.StatusChange,
        m.ImplementationBody,
        m.BodyMembership,
        m.Milestone,
        m.Assessment,
        m.Statement,
        m.Claim,
        m.ContextEvent,
        m.Source,
        m.Person,
    ):
        assert model.objects.exists(), model.__name__
    # Each commitment names when its latest progress update was written (the lists sort by it).
    latest = dict(m.ProgressUpdate.objects.values_list("commitment").annotate(Max("created_at")))
    named = dict(
        m.Commitment.objects.exclude(last_update_at=None).values_list("pk", "last_update_at")
    )
    assert latest and named == latest
    states = set(m.ProgressUpdate.objects.values_list("review_state", flat=True))
    assert states == set(m.ReviewState.values)
    north_america = m.Commitment.objects.filter(meeting__team__slug="north-america").count()
    assert north_america > 0.6 * report.commitments
    # The demo's editor of North America sees those records.
    staff = m.TeamMembership.objects.filter(team__slug="north-america").first().user
    assert m.Commitment.objects.visible_to(staff).count() == north_america
    # Each commitment's stored history (past days, curves) written from its status changes.
    assert m.StatusSpan.objects.count() >= report.commitments
    stored_agrees_with_the_changes()
    # New rows after it get fresh ids (the sequences were moved past the bulk ids).
    assert m.Meeting.objects.create(
        team=m.Team.objects.first(), title="After", start_date="2025-09-03", outcome_type="other"
    ).pk > max(pk for pk, _ in snapshot()["teams"][:-1])


def test_the_loads_stored_history_is_what_the_actions_rewrite_would_store():
    """The load writes every commitment's history in one pass (``rebuild``): the spans and
    tallies the actions' ``rewrite``, a commitment at a time, stores for the same records."""
    generate(size=300, seed=7)
    loaded = stored_history()
    assert len(loaded["StatusSpan"]) > 300 and loaded["ComplianceDayTally"]
    assert rewritten_one_by_one() == loaded


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="switches off a PostgreSQL trigger; SQLite's triggers cannot be switched off",
)
def test_each_commitment_is_written_with_its_latest_update_time_not_left_to_the_trigger():
    """The loader sets ``last_update_at`` itself, so the trigger on progress updates has no
    UPDATE of a commitment to make: with the trigger off, the column is still right."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE agreements_progressupdate "
            "DISABLE TRIGGER agreements_commitment_last_update"
        )
    generate(size=100, seed=2)  # inside the test's transaction: the trigger is back after it
    latest = dict(m.ProgressUpdate.objects.values_list("commitment").annotate(Max("created_at")))
    named = dict(
        m.Commitment.objects.exclude(last_update_at=None).values_list("pk", "last_update_at")
    )
    assert latest and named == latest


def per_meeting() -> dict[int, int]:
    return dict(
        m.Commitment.objects.values_list("meeting").annotate(n=Count("pk")).order_by("meeting")
    )


def test_a_few_summits_hold_hundreds_of_commitments_and_most_meetings_a_handful():
    generate(size=1000, seed=3)
    counts = sorted(per_meeting().values())
    summits = [n for n in counts if n >= 150]
    assert 1 <= len(summits) <= 3 and all(n <= 300 for n in summits)
    assert all(5 <= n <= 15 for n in counts[: -len(summits)])
    biggest = max(per_meeting().items(), key=lambda item: item[1])[0]
    assert m.Participant.objects.filter(meeting=biggest).count() == 40
    # The demo's reader (North America) sees it.
    assert m.Meeting.objects.get(pk=biggest).team.slug == "north-america"


def test_a_few_commitments_have_hundreds_of_updates_over_years_and_most_none_to_five():
    generate(size=1000, seed=3)
    firsts = m.ProgressUpdate.objects.filter(revises=None)  # a resubmission revises its first
    per_commitment = dict(
        firsts.values_list("commitment").annotate(n=Count("pk")).order_by("commitment")
    )
    long = {pk: n for pk, n in per_commitment.items() if n > 5}
    assert 1 <= len(long) <= 3
    assert all(300 <= n <= 400 for n in long.values())
    assert all(n <= 5 for pk, n in per_commitment.items() if pk not in long)
    # Most commitments have none at all; some of each count from 1 to 5.
    others = m.Commitment.objects.exclude(pk__in=long).count()
    assert 0.4 * others < others - len(per_commitment) + len(long) < 0.7 * others
    assert set(per_commitment.values()) >= {1, 2, 3, 4, 5}
    longest = max(long, key=long.get)
    days = firsts.filter(commitment=longest).aggregate(
        first=Min("happened_on"), last=Max("happened_on")
    )
    assert (days["last"] - days["first"]).days > 4 * 365  # spread over five years
    assert m.Commitment.objects.get(pk=longest).team.slug == "north-america"


def test_the_records_spread_over_ten_years_and_none_after_the_load():
    generate(size=1000, seed=3)
    today = timezone.localdate()
    starts = m.Meeting.objects.filter(title__startswith="Synthetic").aggregate(
        first=Min("start_date"), last=Max("start_date")
    )
    assert today - starts["first"] > datetime.timedelta(days=9 * 365)
    assert today - starts["last"] < datetime.timedelta(days=365)
    assert starts["first"] >= today - datetime.timedelta(days=10 * 365)
    assert not m.StatusChange.objects.filter(effective_on__gt=today).exists()
    assert not m.ProgressUpdate.objects.filter(happened_on__gt=today).exists()
    # The stored history follows the status changes over the whole decade.
    first_day = m.StatusSpan.objects.aggregate(first=Min("starts_on"))["first"]
    assert today - first_day > datetime.timedelta(days=9 * 365)


def test_the_same_seed_writes_the_same_rows():
    def run(seed):
        with transaction.atomic():
            generate(size=100, seed=seed)
            rows = snapshot()
            transaction.set_rollback(True)
        return rows

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_the_command_reports_its_rate(capsys):
    call_command("synthetic_data", size=50, seed=1)
    out = capsys.readouterr().out
    assert "commitments" in out and "rows/s" in out


@pytest.mark.django_db(transaction=True)
def test_chunks_copied_by_threads_are_the_rows_written_in_one_transaction(monkeypatch):
    """Outside a transaction, PostgreSQL gets each chunk from a thread of its own (elsewhere,
    and inside a transaction, the chunks are written in turn): the same rows either way."""
    monkeypatch.setattr(synthetic, "MEETINGS_PER_CHUNK", 3)  # several chunks, both threads
    write, writers = BulkWriter.write, set()

    def noting_the_thread(self, db, batch):
        writers.add(threading.current_thread().name)
        write(self, db, batch)

    monkeypatch.setattr(BulkWriter, "write", noting_the_thread)
    with transaction.atomic():
        report = generate(size=100, seed=5)
        in_one = snapshot()
        transaction.set_rollback(True)
    assert writers == {"MainThread"}
    assert generate(size=100, seed=5).rows == report.rows
    assert snapshot() == in_one
    if connection.vendor == "postgresql":
        assert writers == {"MainThread", "synthetic-copy-0", "synthetic-copy-1"}
    assert m.CommitmentTally.objects.filter(n__gt=0).exists()  # the triggers ran


def copiers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("synthetic-copy")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("failing", [1, 10], ids=["first chunk", "last chunk"])
def test_a_chunk_that_fails_to_copy_stops_the_load_with_its_error(monkeypatch, failing):
    """The first chunk fails while the next are made; the last one only once all are made
    (its failure is raised when the load waits for the copies to end)."""
    monkeypatch.setattr(synthetic, "MEETINGS_PER_CHUNK", 2)  # 10 chunks of 2 meetings
    write = BulkWriter.write
    batches = []

    def fail_on_a_chunk(self, db, batch):
        batches.append(batch)  # the first batch holds the persons and sources
        if m.Meeting in batch and len(batches) == failing + 1:
            raise RuntimeError("disk full")
        write(self, db, batch)

    monkeypatch.setattr(BulkWriter, "write", fail_on_a_chunk)
    with pytest.raises(RuntimeError, match="disk full"):
        generate(size=200, seed=1)
    assert copiers() == []  # no thread left behind


@pytest.mark.django_db(transaction=True)
def test_a_load_that_fails_while_making_rows_drops_what_waits_and_raises_its_own_error(
    monkeypatch,
):
    monkeypatch.setattr(synthetic, "MEETINGS_PER_CHUNK", 2)
    make = MeetingMaker.meeting

    def fail_at_the_sixth(self, number):
        if number == 5:
            raise KeyError("a bug")
        return make(self, number)

    monkeypatch.setattr(MeetingMaker, "meeting", fail_at_the_sixth)
    with pytest.raises(KeyError, match="a bug"):
        generate(size=200, seed=1)
    assert copiers() == []
    copied = list(m.Meeting.objects.values_list("pk", flat=True))
    assert len(copied) <= 4  # the two chunks made before it at most, nothing after
    # The sequences were moved past what was copied: the next record gets a fresh id.
    team = m.Team.objects.get(slug="north-america")
    after = m.Meeting.objects.create(
        team=team, title="After", start_date="2025-09-03", outcome_type="other"
    )
    assert all(after.pk > pk for pk in copied)
