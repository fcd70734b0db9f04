"""A past day's overdue count on the dashboard reads the status spans alone: each span carries
its commitment's target date as it is now (``StatusSpan.target_date``), so every write that
can move a target date must rewrite the spans (``actions.states_moved``), the admin's too."""

from __future__ import annotations

import datetime

import pytest

from agreements import actions
from agreements.models import Commitment, Meeting, StatusSpan
from agreements.views.dashboard import overdue_count
from tests.admin_forms import admin_url, page_form, post_page
from tests.conftest import make_commitment

pytestmark = pytest.mark.django_db

D = datetime.date
DAYS = (D(2025, 9, 1), D(2025, 10, 15), D(2026, 1, 1), D(2027, 6, 1))


def spans_agree(*commitments: Commitment) -> None:
    """Every span of these commitments carries the commitment's target date as stored."""
    for commitment in commitments:
        commitment.refresh_from_db()
        targets = set(
            StatusSpan.objects.filter(commitment=commitment).values_list("target_date", flat=True)
        )
        assert targets == {commitment.target_date}, commitment


def counts_agree(user) -> None:
    """The count from the spans is the count from the commitments, on days before, during
    and after their changes, capped or not."""
    for day in DAYS:
        for cap in (0, 999):
            then = Commitment.objects.visible_to(user).overdue_on(day).count()
            assert overdue_count(user, day, past=True, cap=cap) == min(then, cap + 1)


def test_a_target_date_moved_in_the_admin_moves_the_spans_and_the_count_then(
    client, meeting, editor, admin_user
):
    late = make_commitment(meeting, target_date=D(2025, 10, 1))
    done = make_commitment(meeting, target_date=D(2025, 9, 20))
    never = make_commitment(meeting)
    actions.change_commitment_status(
        commitment=done, status=3, reason="Done", by=editor, via="web", effective_on=D(2025, 12, 1)
    )
    spans_agree(late, done, never)
    counts_agree(editor)
    assert overdue_count(editor, D(2025, 10, 15), past=True) == 2
    assert overdue_count(editor, D(2026, 1, 1), past=True) == 1

    # The commitment's own admin page.
    client.force_login(admin_user)
    page = admin_url(Commitment, "change", late.pk)
    assert post_page(client, page, target_date="2026-06-30").status_code == 302
    spans_agree(late)
    counts_agree(editor)
    assert overdue_count(editor, D(2026, 1, 1), past=True) == 0

    # The meeting's admin page, its commitments' rows saved after the meeting.
    page = admin_url(Meeting, "change", meeting.pk)
    data = page_form(client, page)
    row = next(
        key for key, value in data.items() if key.endswith("-id") and value == [str(never.pk)]
    )
    data[row.replace("-id", "-target_date")] = "2025-10-01"
    response = client.post(page, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Commitment.objects.get(pk=never.pk).target_date == D(2025, 10, 1)
    spans_agree(late, done, never)
    counts_agree(editor)
    assert overdue_count(editor, D(2026, 1, 1), past=True) == 1
