"""Under contention nothing is lost (PostgreSQL, real threads and connections)."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import close_old_connections, connection, connections

from agreements import actions
from agreements.models import Commitment, ProgressUpdate, ReviewEvent, StatusChange, VersionConflict
from tests.conftest import make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent connections; SQLite serialises writers",
    ),
]

THREADS = 8
ROUNDS = 6


def in_thread(work):
    def run(*args):
        try:
            return work(*args)
        finally:
            connections.close_all()

    return run


def test_concurrent_saves_from_one_version_let_exactly_one_through(commitment):
    opened = commitment.version

    @in_thread
    def save(n: int) -> bool:
        mine = Commitment.objects.get(pk=commitment.pk)
        mine.lead_agency = f"Agency {n}"
        try:
            mine.save_versioned(expected=opened, update_fields=["lead_agency"])
        except VersionConflict:
            return False
        return True

    with ThreadPoolExecutor(THREADS) as pool:
        accepted = list(pool.map(save, range(THREADS)))
    close_old_connections()
    assert accepted.count(True) == 1
    commitment.refresh_from_db()
    assert commitment.version == opened + 1
    assert commitment.lead_agency == f"Agency {accepted.index(True)}"


def test_many_reviewers_approving_at_once_lose_nothing(commitment, team):
    authors = [make_user(f"author{i}", team=team) for i in range(THREADS)]
    reviewers = [make_user(f"reviewer{i}", team=team, role="reviewer") for i in range(THREADS)]
    start_version = commitment.version

    @in_thread
    def work(i: int) -> int:
        rng = random.Random(i)
        approved = 0
        for _ in range(ROUNDS):
            update = actions.submit_update(
                commitment=commitment,
                author=authors[i],
                narrative=f"Round by {i}",
                proposed_status=rng.randrange(4),
            )
            actions.approve_update(update=update, by=reviewers[(i + 1) % THREADS])
            approved += 1
        return approved

    with ThreadPoolExecutor(THREADS) as pool:
        accepted = sum(pool.map(work, range(THREADS)))
    close_old_connections()

    assert accepted == THREADS * ROUNDS
    assert ProgressUpdate.objects.count() == accepted
    assert ReviewEvent.objects.filter(action="approve").count() == accepted
    changes = list(StatusChange.objects.order_by("changed_at", "pk"))
    # Each change starts where the one before ended: no change was applied to a stale status.
    previous = 0
    for change in changes:
        assert change.from_status == previous
        assert change.to_status != change.from_status
        previous = change.to_status
    commitment.refresh_from_db()
    assert commitment.status == previous
    assert commitment.version == start_version + len(changes)
