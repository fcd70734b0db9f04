"""Records read by SQL made once a process (``unions.records_of_made_once``, a meeting page's
sections) and a page's link-table rows read for its ids (``unions.rows_of_ids_made_once``):
each run reads its own values' rows, with what the queryset joined, counted and prefetched,
and a second view of a meeting compiles none of its sections' queries again."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Count, Window

from agreements import actions
from agreements.models import Commitment, Participant, Person
from agreements.models.unions import records_of_made_once, rows_of_ids_made_once
from tests.conftest import compiled_sql, make_commitment, make_meeting, make_party


def test_records_made_once_are_each_runs_own_with_their_joins_and_prefetches(meeting, team):
    other = make_meeting(team, title="Round two")
    first = make_commitment(meeting, title="Halt fentanyl", position=1)
    make_commitment(meeting, title="Open crossings", position=2)
    make_commitment(other, title="Share data", position=1)

    def build(of: int):
        return (
            Commitment.objects.filter(meeting=of)
            .select_related("meeting")
            .prefetch_related("milestones")
            .annotate(counted=Window(Count("pk")))
            .order_by("position")
        )

    key = ("test", "commitments")
    mine = records_of_made_once(key, build, of=meeting.pk)
    assert [(c.title, c.counted, c.meeting.title) for c in mine] == [
        ("Halt fentanyl", 2, meeting.title),
        ("Open crossings", 2, meeting.title),
    ]
    assert mine[0] == first and mine[0]._state.db == "default"
    with compiled_sql() as compiled:
        theirs = records_of_made_once(key, build, of=other.pk)
    assert [(c.title, c.counted) for c in theirs] == [("Share data", 1)]
    assert not [sql for sql in compiled if "agreements_commitment" in sql]
    assert records_of_made_once(key, build, of=other.pk + 1000) == []
    written = lambda of: Commitment.objects.extra(where=[f"id = {of}"])  # noqa: E731
    with pytest.raises(ValueError):
        records_of_made_once(("test", "written"), written, of=first.pk)


def test_rows_of_ids_are_read_for_each_number_of_ids(meeting):
    a, b, c = (make_commitment(meeting, title=t) for t in ("A", "B", "C"))

    def titles(ids: list[int]):
        return Commitment.objects.filter(pk__in=ids).order_by("title").values_list("title")

    assert rows_of_ids_made_once(("test", "titles"), [a.pk, c.pk], titles) == [("A",), ("C",)]
    assert rows_of_ids_made_once(("test", "titles"), [b.pk, c.pk], titles) == [("B",), ("C",)]
    assert rows_of_ids_made_once(("test", "titles"), [c.pk], titles) == [("C",)]
    assert rows_of_ids_made_once(("test", "titles"), [], titles) == []


def test_a_meetings_sections_are_compiled_once_and_show_each_meetings_rows(
    client, reviewer, meeting, team
):
    other = make_meeting(team, title="Round two")
    party = make_party("ZZO", name="Some organisation", kind="organisation")
    for held, name in ((meeting, "Ana Ruiz"), (other, "Ben Cole")):
        person = Person.objects.create(name=name, team=team)
        Participant.objects.create(meeting=held, person=person, party=party, office="Minister")
        make_commitment(held, title=f"Commitment of {name}")
    client.force_login(reviewer)
    assert "Ana Ruiz" in client.get(meeting.get_absolute_url()).text
    with compiled_sql() as compiled:
        html = client.get(other.get_absolute_url()).text
    assert "Ben Cole" in html and "Commitment of Ben Cole" in html
    assert "Ana Ruiz" not in html and "Commitment of Ana Ruiz" not in html
    assert not [sql for sql in compiled if "section_total" in sql]


def test_each_past_day_shows_the_commitments_as_they_stood_that_day(
    client, reviewer, editor, meeting
):
    """The past day's first page is SQL made once too: the day is a value of each view's."""
    commitment = make_commitment(meeting, title="Halt fentanyl")
    for status, day in ((1, datetime.date(2025, 10, 1)), (3, datetime.date(2025, 11, 1))):
        actions.change_commitment_status(
            commitment=commitment, status=status, reason="Seen", by=editor, via="web",
            effective_on=day,
        )  # fmt: skip
    client.force_login(reviewer)
    url = meeting.get_absolute_url()
    for day, index in (("2025-10-15", "33%"), ("2025-11-15", "100%"), ("2025-10-20", "33%")):
        html = client.get(url, {"as_of": day}).text
        assert f"Implementation index: {index}" in html, day
