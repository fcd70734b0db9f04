"""Records read by SQL made once a process (``made_once.records_of_made_once``, a meeting page's
sections) and a page's link-table rows read for its ids (``made_once.rows_of_ids_made_once``):
each run reads its own values' rows, with what the queryset joined, counted and prefetched,
and a second view of a meeting compiles none of its sections' queries again. The commitment
page (``permissions.get_commitment_page_for_user``, ``made_once.rows_of_teams_made_once``) reads
each request's record, reader and teams, never the first request's."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import Count, F, JSONField, Value, Window
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from agreements import actions, permissions
from agreements.models import Commitment, Follow, Meeting, Participant, Party, Person, made_once
from agreements.models.commitment_facts import reader_facts
from agreements.models.made_once import (
    records_of_made_once,
    rows_of_ids_made_once,
    rows_of_made_once,
)
from agreements.models.unions import rows_in_one
from tests.conftest import compiled_sql, make_commitment, make_meeting, make_party, make_user


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


def test_made_once_runs_keep_converting_their_columns(meeting):
    """A query made once works out its columns' converters with its SQL, once: every later
    run's values are still their fields' kinds (a moment in its time zone: converted on
    SQLite, which keeps it without one), as rows and as records."""
    first = make_commitment(meeting, title="A", target_date=datetime.date(2027, 1, 2))
    second = make_commitment(meeting, title="B")

    def moments(of: int):
        return Commitment.objects.filter(pk=of).values_list("updated_at", "target_date")

    for commitment in (first, second, first):
        rows = rows_of_made_once(("test", "moments"), moments, of=commitment.pk)
        assert rows == [(commitment.updated_at, commitment.target_date)]
        assert rows[0][0].tzinfo is not None
        (record,) = records_of_made_once(
            ("test", "moment"), lambda of: Commitment.objects.filter(pk=of), of=commitment.pk
        )
        assert (record.updated_at, record.target_date) == rows[0]
        assert record.updated_at.tzinfo is not None


def test_parts_read_in_one_query_are_each_read_as_alone(meeting, team, us):
    """``unions.rows_in_one``: parts of other columns (dicts and tuples of texts, numbers, days
    and links left empty), each in its own order and slice, each read as it reads alone, in
    one query where the database takes an ORDER BY inside a UNION (a query each elsewhere);
    a second run, for another meeting, compiles nothing and reads that meeting's rows. A
    column converted as it is read (a field's ``from_db_value``) is refused."""
    other = make_meeting(team, title="Round two")
    for n, title in enumerate(("Curb", "Halt", "Open"), 1):
        make_commitment(meeting, title=title, position=n, target_date=datetime.date(2027, 1, n))
    make_commitment(other, title="Share", position=1)
    for name, office in (("Ana Ruiz", "Envoy"), ("Ben Cole", "Minister")):
        person = Person.objects.create(team=team, name=name)
        Participant.objects.create(meeting=meeting, person=person, party=us, office=office)
    parts = {
        "last_two": lambda of: (
            Commitment.objects.filter(meeting=of)
            .order_by("-position")
            .values("pk", "title", "target_date", "position")[:2]
        ),
        "meeting": lambda of: Meeting.objects.filter(pk=of).values_list(
            "title", "start_date", "team_id", "city"
        ),
        "participants": lambda of: (
            Participant.objects.filter(meeting=of)
            .order_by("-pk")
            .values("office", "person__name", party_code=F("party__code"))
        ),
        "parties": lambda of: Party.objects.filter(meetings=of),  # its model's order
        "commitments": lambda of: (
            Commitment.objects.filter(meeting=of)
            .only("title", "position")
            .annotate(counted=Window(Count("pk")))
            .order_by("position")[:2]
        ),
    }
    expected = {
        of: {name: list(part(of=of)) for name, part in parts.items()}
        for of in (meeting.pk, other.pk)
    }
    mine = expected[meeting.pk]
    assert [(row["title"], row["target_date"].day) for row in mine["last_two"]] == [
        ("Open", 3),
        ("Halt", 2),
    ]
    assert [row["office"] for row in mine["participants"]] == ["Minister", "Envoy"]
    assert expected[other.pk]["participants"] == []
    assert [party.name for party in mine["parties"]] == ["Mexico", "United States"]
    with CaptureQueriesContext(connection) as ran:
        got = rows_in_one(("test", "in_one"), parts, of=meeting.pk)
    assert got == mine
    assert len(ran) == (1 if connection.features.supports_slicing_ordering_in_compound else 5)
    # Records as the ORM builds them: their columns, the others deferred, their annotations.
    assert [party.name for party in got["parties"]] == ["Mexico", "United States"]
    first, second = got["commitments"]
    assert (first.title, first.position, first.counted, second.title) == ("Curb", 1, 3, "Halt")
    assert first.get_deferred_fields() == mine["commitments"][0].get_deferred_fields()
    assert first._state.db == "default" and not first._state.adding
    with compiled_sql() as compiled:
        assert rows_in_one(("test", "in_one"), parts, of=other.pk) == expected[other.pk]
    assert compiled == []
    converted = {
        "ids": lambda of: Commitment.objects.filter(meeting=of).values("pk"),
        "kept": lambda of: (
            Commitment.objects.filter(meeting=of)
            .annotate(kept=Value({}, output_field=JSONField()))
            .values("kept")
        ),
    }
    with pytest.raises(ValueError):
        rows_in_one(("test", "converted"), converted, of=meeting.pk)


def test_rows_of_ids_are_read_for_each_number_of_ids(meeting):
    a, b, c = (make_commitment(meeting, title=t) for t in ("A", "B", "C"))

    def titles(ids: list[int]):
        return Commitment.objects.filter(pk__in=ids).order_by("title").values_list("title")

    assert rows_of_ids_made_once(("test", "titles"), [a.pk, c.pk], titles) == [("A",), ("C",)]
    assert rows_of_ids_made_once(("test", "titles"), [b.pk, c.pk], titles) == [("B",), ("C",)]
    assert rows_of_ids_made_once(("test", "titles"), [c.pk], titles) == [("C",)]
    assert rows_of_ids_made_once(("test", "titles"), [], titles) == []


def test_a_store_of_sql_made_once_starts_again_rather_than_grow(meeting, monkeypatch):
    """However many shapes of query readers ask for (every combination of a list's filters,
    sorts and pages), a process keeps at most ``MOST_KEPT`` SQL texts a store, and a query
    made again after the store started again reads as before."""
    monkeypatch.setattr(made_once, "MOST_KEPT", 3)
    monkeypatch.setattr(made_once, "_MADE", {})
    commitment = make_commitment(meeting, title="Kept")

    def title(pk):
        return Commitment.objects.filter(pk=pk).values_list("title")

    for n in range(7):
        assert rows_of_made_once(("test", "bounded", n), title, pk=commitment.pk) == [("Kept",)]
        assert len(made_once._MADE) <= 3
    assert rows_of_made_once(("test", "bounded", 0), title, pk=commitment.pk) == [("Kept",)]


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


def test_each_read_is_its_own_record_reader_and_teams(team, other_team, editor, meeting, us):
    """Two commitments, two readers (one following), another team's member and an admin,
    read in turn by the same SQL: each gets what the ORM's own query would give."""
    first = make_commitment(meeting, parties=[us])
    second = make_commitment(meeting, title="Second")
    theirs = make_commitment(make_meeting(other_team), title="Theirs")
    Follow.objects.create(user=editor, commitment=second)
    colleague = make_user("colleague", team=team)
    both = make_user("both", team=team)
    both.team_memberships.create(team=other_team, role="editor")
    admin = make_user("root", is_superuser=True)
    for user, commitment in [
        (editor, first),
        (editor, second),
        (colleague, second),
        (both, theirs),
        (both, first),
        (admin, theirs),
        (admin, second),
    ]:
        read = permissions.get_commitment_page_for_user(user, commitment.pk, reader_facts)
        orm = permissions.get_commitment_for_user(
            user, commitment.pk, annotate=reader_facts(user.pk)
        )
        assert (read.pk, read.title, read.meeting.team.name, read.theme.pk) == (
            orm.pk,
            orm.title,
            orm.meeting.team.name,
            orm.theme.pk,
        )
        assert read.following == (user == editor and commitment == second) == orm.following
        assert read.has_sources == orm.has_sources and read.status_since == orm.status_since


def test_not_seen_is_not_found(editor, other_team, meeting):
    """Another team's commitment, a missing one and one not an id: a 404, as before."""
    theirs = make_commitment(make_meeting(other_team))
    ours = make_commitment(meeting)
    assert permissions.get_commitment_page_for_user(editor, ours.pk, reader_facts) == ours
    for pk in (theirs.pk, theirs.pk + 1000, "x1", 10**30):
        with pytest.raises(Http404):
            permissions.get_commitment_page_for_user(editor, pk, reader_facts)


def test_a_commitment_pages_parties_and_bodies_are_its_own(meeting, us, mexico):
    """Read in turn by the same SQL, each commitment's parties (by name) and bodies."""
    from agreements.views.list_reads import bodies_of, party_roles_of
    from tests.conftest import make_body

    first = make_commitment(meeting, parties=[us, mexico])
    second = make_commitment(meeting, parties=[us])
    body = make_body(meeting)
    body.commitments.add(second)
    assert [(r.party.name, r.commitment_id) for r in party_roles_of(first)] == [
        ("Mexico", first.pk),
        ("United States", first.pk),
    ]
    assert [r.party.code for r in party_roles_of(second)] == ["US"]
    assert bodies_of(first) == [] and bodies_of(second) == [body]


def test_a_commitment_pages_sources_are_its_own_with_their_kept_files(team, editor, meeting):
    """Read in turn by the same SQL, each commitment's sources, flagged when they keep files."""
    from agreements.views.list_reads import sources_of
    from tests.conftest import keep_text_file, make_source

    first, second = make_commitment(meeting), make_commitment(meeting)
    kept, plain = make_source(team), make_source(team)
    keep_text_file(kept, editor)
    first.sources.add(kept, plain)
    second.sources.add(plain)
    assert {(s.pk, s.kept) for s in sources_of(first)} == {(kept.pk, True), (plain.pk, False)}
    assert [(s.pk, s.kept) for s in sources_of(second)] == [(plain.pk, False)]
    assert [s.pk for s in sources_of(first)] == [s.pk for s in first.sources.all()]
