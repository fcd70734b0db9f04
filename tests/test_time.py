"""Facts dated when they happened, apart from when they were recorded: a progress update's day
of progress, the day a status change took effect. The commitment's state is that of its
change with the latest effective day, whatever the order of entry or of approval."""

from __future__ import annotations

import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, connections
from django.utils import timezone

from agreements import actions
from agreements.models import (
    Commitment,
    ImplementationStatus,
    StatusChange,
)
from tests.admin_forms import admin_url, post_page
from tests.conftest import (
    HTMX,
    make_user,
    submit_dated_update,
    tomorrow,
)

pytestmark = pytest.mark.django_db

OCT, NOV = datetime.date(2025, 10, 1), datetime.date(2025, 11, 1)  # the meeting: 3 Sep 2025


def test_an_update_dated_in_the_past_takes_effect_on_its_day(commitment, editor, reviewer):
    submitted = submit_dated_update(commitment, editor, ImplementationStatus.MINIMAL, OCT)
    assert submitted.created_at.date() == timezone.localdate()  # recorded today
    actions.approve_update(update=submitted, by=reviewer)
    change = StatusChange.objects.get(commitment=commitment)
    assert change.effective_on == OCT
    commitment.refresh_from_db()
    assert commitment.status == ImplementationStatus.MINIMAL


@pytest.mark.parametrize("order", ["older first", "newer first"])
def test_the_latest_effective_day_sets_the_status_whatever_the_order_of_approval(
    commitment, editor, team, order
):
    first_reviewer = make_user("first", team=team, role="reviewer")
    second_reviewer = make_user("second", team=team, role="reviewer")
    older = submit_dated_update(commitment, editor, ImplementationStatus.MINIMAL, OCT)
    newer = submit_dated_update(commitment, editor, ImplementationStatus.INTERMEDIATE, NOV)
    approvals = [older, newer] if order == "older first" else [newer, older]
    actions.approve_update(update=approvals[0], by=first_reviewer)
    actions.approve_update(update=approvals[1], by=second_reviewer)
    commitment.refresh_from_db()
    assert commitment.status == ImplementationStatus.INTERMEDIATE
    by_day = {c.effective_on: c for c in StatusChange.objects.filter(commitment=commitment)}
    # Each change is recorded from what stood on its own day.
    assert (by_day[OCT].from_status, by_day[OCT].to_status) == (0, 1)
    assert by_day[NOV].to_status == ImplementationStatus.INTERMEDIATE


def test_an_older_fact_entered_after_a_newer_one_goes_in_its_place(commitment, editor):
    change = actions.change_commitment_status
    change(commitment=commitment, status=2, reason="Newer", by=editor, via="web", effective_on=NOV)
    older = change(
        commitment=commitment,
        is_stalled=True,
        reason="Older",
        by=editor,
        via="web",
        effective_on=OCT,
    )
    # On its day the status was still 0: stalled then, from what stood then.
    assert (older.from_status, older.to_status, older.to_stalled) == (0, 0, True)
    commitment.refresh_from_db()
    assert (commitment.status, commitment.is_stalled) == (2, False)  # the newer one stands
    # Nothing changes on a day when the state already was what is asked: nothing recorded.
    assert change(commitment=commitment, status=0, reason="Again", by=editor, via="web",
                  effective_on=OCT) is None  # fmt: skip


def test_a_same_day_change_recorded_later_wins(commitment, editor):
    change = actions.change_commitment_status
    change(
        commitment=commitment, status=1, reason="Morning", by=editor, via="web", effective_on=OCT
    )
    change(commitment=commitment, status=3, reason="Later", by=editor, via="web", effective_on=OCT)
    commitment.refresh_from_db()
    assert commitment.status == 3


@pytest.mark.parametrize(
    "day, message",
    [
        (None, "cannot be dated in the future"),
        (datetime.date(2025, 9, 2), "cannot be dated before its meeting (3 Sep 2025)"),
    ],
)
def test_an_update_is_dated_between_its_meeting_and_today(client, editor, commitment, day, message):
    day = day or tomorrow()
    client.force_login(editor)
    response = client.post(
        commitment.get_absolute_url(),
        {
            "action": "post_update",
            "narrative": "Seizures doubled",
            "happened_on": day.isoformat(),
            "proposed_status": "1",
        },
    )
    assert response.status_code == 422
    form = response.context["update_form"]
    assert message in " ".join(form.errors["happened_on"])
    assert "Seizures doubled" in response.content.decode()  # what was typed is kept
    assert not commitment.progress_updates.exists()
    with pytest.raises(ValidationError):
        submit_dated_update(commitment, editor, 1, day)


@pytest.mark.parametrize(
    "day", [None, datetime.date(2025, 9, 2)], ids=["tomorrow", "the eve of the meeting"]
)
def test_a_status_change_takes_effect_between_its_meeting_and_today(commitment, editor, day):
    day = day or tomorrow()
    with pytest.raises(ValidationError) as refused:
        actions.change_commitment_status(
            commitment=commitment, status=1, reason="x", by=editor, via="web", effective_on=day
        )
    assert "effective_on" in refused.value.error_dict
    assert not StatusChange.objects.exists()


def test_the_update_form_sets_the_day_of_progress(client, editor, reviewer, commitment):
    client.force_login(editor)
    client.post(
        commitment.get_absolute_url(),
        {
            "action": "post_update",
            "narrative": "Joint patrols began",
            "happened_on": "2025-10-01",
            "proposed_status": "1",
        },
    )
    submitted = commitment.progress_updates.get()
    assert submitted.happened_on == OCT
    actions.approve_update(update=submitted, by=reviewer)
    html = client.get(commitment.get_absolute_url()).content.decode()
    recorded = timezone.localdate().strftime("%-d %b %Y")
    assert f"happened 1 Oct 2025 · recorded {recorded}" in html
    assert f"took effect 1 Oct 2025 · recorded {recorded}" in html


def test_an_admin_dates_a_direct_status_change(admin_client, commitment):
    url = admin_url(Commitment, "change", commitment.pk)
    change = {"status": "2", "status_reason": "Task force seen operating"}
    refused = post_page(admin_client, url, **change, status_effective_on="2025-09-02")
    assert "before its meeting (3 Sep 2025)" in str(refused.context["adminform"].form.errors)
    assert not StatusChange.objects.exists()
    assert (
        post_page(admin_client, url, **change, status_effective_on="2025-10-01").status_code == 302
    )
    recorded = StatusChange.objects.get()
    assert recorded.effective_on == OCT and recorded.is_override
    commitment.refresh_from_db()
    assert commitment.status == 2


def test_an_approval_that_confirmed_the_status_then_still_stands_after_an_earlier_one(
    commitment, editor, reviewer
):
    """An approved update whose proposal was the status on its day records no change; an
    update dated before it, approved after it, changes the status from its own day, but not
    past the later update's: that one is applied again (as if approved in their days' order),
    and the commitment keeps the latest day's status."""
    first, third, second = OCT, OCT + datetime.timedelta(days=14), OCT + datetime.timedelta(days=7)
    approve = actions.approve_update
    approve(update=submit_dated_update(commitment, editor, 2, first), by=reviewer)
    confirming = submit_dated_update(commitment, editor, 2, third)
    approve(update=confirming, by=reviewer)
    assert not StatusChange.objects.filter(update=confirming).exists()  # 2 stood already
    approve(update=submit_dated_update(commitment, editor, 1, second), by=reviewer)
    commitment.refresh_from_db()
    assert commitment.status == 2
    changes = StatusChange.objects.filter(commitment=commitment).order_by("effective_on")
    assert [(c.effective_on, c.to_status) for c in changes] == [(first, 2), (second, 1), (third, 2)]
    assert changes.last().update == confirming


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks and concurrent connections; SQLite serialises writers",
)
def test_reviewers_approving_out_of_order_at_once_leave_the_latest_day_s_status(
    commitment, editor, team
):
    days = [OCT + datetime.timedelta(days=7 * i) for i in range(8)]
    updates = [
        submit_dated_update(commitment, editor, 1 + i % 3, day) for i, day in enumerate(days)
    ]
    reviewers = [make_user(f"reviewer{i}", team=team, role="reviewer") for i in range(8)]

    def approve(i: int) -> None:
        try:
            actions.approve_update(update=updates[i], by=reviewers[i])
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(approve, reversed(range(8))))  # newest first, all at once
    close_old_connections()
    commitment.refresh_from_db()
    latest = max(StatusChange.objects.filter(commitment=commitment), key=lambda c: c.effective_on)
    assert latest.effective_on == days[-1]
    assert commitment.status == updates[-1].proposed_status == latest.to_status
    assert Commitment.objects.get(pk=commitment.pk).status == 1 + 7 % 3


# Milestones, memberships and claims: each dated fact on its day --------------------------------

EVE = datetime.date(2025, 9, 2)  # the day before the meeting


def test_a_milestone_is_ticked_done_on_the_day_given(client, editor, world):
    milestone, url = world["milestone"], world["commitment"].get_absolute_url()
    client.force_login(editor)
    tick = {"action": "toggle_milestone", "milestone": milestone.pk, "version": milestone.version}
    refused = client.post(url, tick | {"completed_on": tomorrow().isoformat()}, **HTMX)
    assert refused.status_code == 409
    assert "cannot be dated in the future" in refused.content.decode()
    assert client.post(url, tick | {"completed_on": "2025-10-01"}).status_code == 302
    milestone.refresh_from_db()
    assert (milestone.status, milestone.completed_on) == ("done", OCT)
    assert "done 1 Oct 2025" in client.get(url).content.decode()


def test_a_milestone_moved_keeps_the_day_it_moved_and_the_day_it_was_recorded(
    client, editor, world
):
    milestone, url = world["milestone"], world["commitment"].get_absolute_url()
    client.force_login(editor)
    move = {
        "action": "reschedule_milestone",
        "milestone": milestone.pk,
        "version": milestone.version,
        "to_date": "2026-03-01",
        "reason": "Extended by 90 days",
    }
    refused = client.post(url, move | {"moved_on": EVE.isoformat()})
    assert refused.status_code == 422
    assert "before its meeting (3 Sep 2025)" in refused.content.decode()  # next to its field
    assert client.post(url, move | {"moved_on": "2025-11-01"}).status_code == 302
    assert milestone.reschedules.get().moved_on == NOV
    recorded = timezone.localdate().strftime("%-d %b %Y")
    html = client.get(url).content.decode()
    assert f"moved 1 Nov 2025 · recorded {recorded} by {editor.username}" in html


def test_a_membership_is_confirmed_and_ended_on_the_days_given(client, editor, world):
    membership, body = world["membership"], world["body"]
    client.force_login(editor)
    post = {"membership": membership.pk, "version": membership.version}
    confirm = post | {"action": "set_confirmation", "confirmation": "confirmed"}
    assert (
        client.post(body.get_absolute_url(), confirm | {"on": EVE.isoformat()}).status_code == 409
    )
    assert client.post(body.get_absolute_url(), confirm | {"on": "2025-10-01"}).status_code == 302
    membership.refresh_from_db()
    assert membership.confirmed_on == OCT
    assert "as of 1 Oct 2025" in client.get(body.get_absolute_url()).content.decode()
    end = {"membership": membership.pk, "version": membership.version, "on": "2025-11-01"}
    client.post(body.get_absolute_url(), end | {"action": "end_membership"})
    membership.refresh_from_db()
    assert membership.end_date == NOV
    actions.set_membership_confirmation(
        membership=membership, confirmation="reported", expected=membership.version, by=editor
    )
    membership.refresh_from_db()
    assert membership.confirmed_on is None  # no longer confirmed: no day of confirmation


def test_a_claim_is_verified_as_of_the_day_given(client, editor, world):
    claim, source = world["claim"], world["source"]
    client.force_login(editor)
    verify = {
        "action": "verify",
        "claim": claim.pk,
        "version": claim.version,
        "verification": "verified",
        "source": source.pk,
    }
    refused = client.post("/claims/", verify | {"verified_on": tomorrow().isoformat()})
    assert refused.status_code == 409
    assert client.post("/claims/", verify | {"verified_on": "2025-10-01"}).status_code == 302
    claim.refresh_from_db()
    assert (claim.verification, claim.verified_on) == ("verified", OCT)
    assert claim.history.first().verified_on == OCT  # the change history keeps the day too
