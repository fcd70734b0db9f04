"""The milestones list (issue #11, point 1 needs it filtered and exported): every dated step the
user can see, soonest first, filtered in place, and as CSV."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from agreements.models import Milestone
from tests.conftest import HTMX, make_body, make_commitment
from tests.test_exports import read

LIST = "/milestones/"


def milestone(of, title: str, days: int, **extra) -> Milestone:
    due = timezone.localdate() + datetime.timedelta(days=days)
    field = "commitment" if hasattr(of, "theme_id") else "body"
    return Milestone.objects.create(**{field: of}, title=title, due_date=due, **extra)


def test_milestones_of_commitments_and_bodies_soonest_first(client, editor, meeting, commitment):
    body = make_body(meeting, name="Working group")
    milestone(commitment, "Report due", 10)
    milestone(body, "Group meets", -3)
    milestone(commitment, "Plan drafted", 40)
    client.force_login(editor)
    response = client.get(LIST)
    titles = [ms.title for ms in response.context["page"].object_list]
    assert titles == ["Group meets", "Report due", "Plan drafted"]
    html = response.content.decode()
    assert '<span class="badge danger">Overdue</span>' in html  # the body's, three days late
    assert "Working group" in html and commitment.title in html


def test_filters_swap_the_table_in_place(client, editor, commitment):
    milestone(commitment, "Late", -1)
    milestone(commitment, "Soon", 5)
    milestone(commitment, "Later", 60)
    milestone(commitment, "Done early", 2, status="done", completed_on=timezone.localdate())
    client.force_login(editor)

    def titles(**query) -> list[str]:
        response = client.get(LIST, query, **HTMX)
        assert "<html" not in response.content.decode()
        return [ms.title for ms in response.context["page"].object_list]

    assert titles(when="overdue") == ["Late"]
    assert titles(when="30") == ["Soon"]  # open ones only: "Done early" is done
    assert titles(when="90") == ["Soon", "Later"]
    assert titles(status="done") == ["Done early"]
    assert titles(q="lat") == ["Late", "Later"]
    assert titles(when="next year") == ["Late", "Done early", "Soon", "Later"]  # ignored


def test_another_teams_milestones_are_never_listed_nor_exported(client, outsider, commitment):
    milestone(commitment, "Secret step", 5)
    client.force_login(outsider)
    assert "Secret step" not in client.get(LIST).content.decode()
    assert read(client.get(LIST, {"format": "csv"})) == []


def test_milestones_export(client, editor, commitment):
    moved = milestone(commitment, "=Report", 5, owner="SRE")
    moved.original_due_date = moved.due_date - datetime.timedelta(days=90)
    moved.save()
    client.force_login(editor)
    (row,) = read(client.get(LIST, {"format": "csv"}))
    assert row["title"] == "'=Report"
    assert row["first_due_date"] == moved.original_due_date.isoformat()
    assert (row["status"], row["overdue"], row["owner"]) == ("Planned", "no", "SRE")
    assert row["of"] == f"commitment: {commitment.title}"


@pytest.mark.perf
def test_the_list_query_count_does_not_grow(client, editor, meeting, queries):
    body = make_body(meeting)

    def add(n: int) -> None:
        for i in range(n):
            milestone(make_commitment(meeting), f"c{i}", i)
            milestone(body, f"b{i}", i)

    client.force_login(editor)
    queries.stay_flat(client, add, LIST)
