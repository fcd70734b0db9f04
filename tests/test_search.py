"""Search across meetings, commitments, statements and claims: what the user may see, ranked,
with the matching words marked (full-text on PostgreSQL, plain matching on SQLite)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.formats import date_format

from agreements import actions, search
from agreements.models import Claim, Commitment, Meeting, Person, SourceFile, Statement
from agreements.search import SEARCHED
from tests.conftest import (
    compiled_sql,
    keep_text_file,
    make_body,
    make_commitment,
    make_meeting,
    make_source,
)

pytestmark = pytest.mark.django_db
SEARCH = "/search/"
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search and its GIN indexes"
)


def results(client, words: str) -> dict[str, list[str]]:
    sections = client.get(SEARCH, {"q": words}).context["sections"]
    return {s.label: [hit.title for hit in s.hits] for s in sections}


def test_search_finds_every_kind_the_user_may_see(client, editor, meeting, us, other_team):
    make_commitment(meeting, title="Halt fentanyl trafficking", text="Joint operations")
    Statement.objects.create(
        meeting=meeting, party=us, text="Fentanyl kills", said_on=datetime.date(2025, 9, 3)
    )
    Claim.objects.create(meeting=meeting, text="Were fentanyl seizures up?")
    make_commitment(make_meeting(other_team), title="Fentanyl elsewhere")
    client.force_login(editor)
    found = results(client, "fentanyl")
    assert found["Commitments"] == ["Halt fentanyl trafficking"]
    assert found["Claims"] == ["Claim"]
    assert len(found["Statements"]) == 1
    assert "Fentanyl elsewhere" not in str(found)


def test_each_hit_links_to_its_page(client, editor, meeting, us, team):
    """A statement to its meeting's page, a claim to its subject's (meeting, commitment or
    body), a kept document to its file: read from the hits' own rows, no query each."""
    commitment = make_commitment(meeting, title="Halt fentanyl trafficking")
    statement = Statement.objects.create(
        meeting=meeting, party=us, text="Fentanyl kills", said_on=datetime.date(2025, 9, 3)
    )
    body = make_body(meeting)
    Claim.objects.create(meeting=meeting, text="Fentanyl at the meeting?")
    Claim.objects.create(commitment=commitment, text="Fentanyl done?")
    Claim.objects.create(body=body, text="Fentanyl overseen?")
    kept = keep_text_file(make_source(team), editor, text="Fentanyl seizures")
    actions.read_words(kept)  # as the worker reads them
    client.force_login(editor)
    with CaptureQueriesContext(connection) as few:
        results(client, "heroin")
    with CaptureQueriesContext(connection) as found:
        sections = client.get(SEARCH, {"q": "fentanyl"}).context["sections"]
    links = {s.label: {hit.url for hit in s.hits} for s in sections}
    assert links["Commitments"] == {commitment.get_absolute_url()}
    assert links["Statements"] == {statement.meeting.get_absolute_url()}
    assert links["Claims"] == {
        meeting.get_absolute_url(),
        commitment.get_absolute_url(),
        body.get_absolute_url(),
    }
    assert links["Kept documents"] == {reverse("agreements:source_file", args=[kept.pk])}
    statements = next(section for section in sections if section.label == "Statements")
    assert [hit.title for hit in statements.hits] == [f"{us}, 3 Sep 2025"]
    assert len(found) == len(few)  # as many queries for a hit of each kind as for none


def test_archived_records_are_not_found(client, editor, meeting):
    make_commitment(meeting, title="Halt fentanyl")
    actions.archive_record(record=meeting, reason="Entered twice", by=editor)
    client.force_login(editor)
    assert results(client, "fentanyl")["Commitments"] == []


def test_the_matching_words_are_marked_and_the_text_escaped(client, editor, meeting):
    text = "<script>alert(1)</script> Stop fentanyl at the border"
    make_commitment(meeting, title="Halt <b>fentanyl</b>", text=text)
    client.force_login(editor)
    html = client.get(SEARCH, {"q": "fentanyl"}).content.decode()
    assert "<mark>fentanyl</mark>" in html.lower()
    assert "Stop" in html and "<script>alert" not in html  # escaped (or, on PostgreSQL, dropped)
    assert ">Halt &lt;b&gt;fentanyl&lt;/b&gt;</a>" in html  # the hits are Jinja2's (escaped)


def test_the_commitment_list_search_uses_the_same_matching(client, editor, meeting):
    make_commitment(meeting, title="Halt fentanyl", text="Seizures at ports")
    make_commitment(meeting, title="Stop guns", text="Tracing")
    client.force_login(editor)
    page = client.get("/commitments/", {"q": "fentanyl"}).context["page"]
    assert [c.title for c in page] == ["Halt fentanyl"]


@postgres_only
def test_postgresql_finds_words_by_their_stem_and_ranks(client, editor, meeting):
    make_commitment(meeting, title="Seizure of precursors", text="Customs")
    make_commitment(meeting, title="Ports", text="More seizures, seizures at every port")
    client.force_login(editor)
    found = results(client, "seized")["Commitments"]  # seize, seizure, seizures: one stem?
    assert set(found) <= {"Seizure of precursors", "Ports"}
    assert results(client, "seizures")["Commitments"] == ["Ports", "Seizure of precursors"]


@postgres_only
def test_many_matches_are_ranked_among_the_newest_and_fewer_widen_to_all(
    client, editor, meeting, monkeypatch
):
    """Words most records hold: the best among the newest records (said on the page); words
    the newest records hold too rarely: the best among all of them."""
    monkeypatch.setattr(search, "RECENT", 12)
    for i in range(3):
        make_commitment(meeting, title=f"Old {i}", text="Arms tracing")
    best_but_old = make_commitment(
        meeting, title="Fentanyl fentanyl fentanyl", text="fentanyl precursors fentanyl"
    )
    for i in range(15):  # the newest 12 records of all are twelve of these
        make_commitment(meeting, title=f"Plan {i}", text="Border cooperation on fentanyl")
    client.force_login(editor)
    page = client.get("/search/", {"q": "fentanyl"})
    commitments = page.context["sections"][0]
    assert commitments.recent_only and len(commitments.hits) == 10
    assert best_but_old.title not in [hit.title for hit in commitments.hits]
    assert "the best among the 12 most recent" in page.content.decode()
    # "tracing" matches 3 records, all older than the newest 12: the search widens to all.
    rare = client.get("/search/", {"q": "tracing"}).context["sections"][0]
    assert not rare.recent_only and len(rare.hits) == 3
    # Among few matches, the best ranked comes first, old or not.
    widened = client.get("/search/", {"q": "precursors"}).context["sections"][0]
    assert [hit.title for hit in widened.hits] == [best_but_old.title]


@postgres_only
def test_rare_matches_are_found_in_the_window_that_holds_them_in_one_query(
    client, editor, meeting, monkeypatch
):
    """Fewer matches than a section shows among the newest records: the window is widened
    to the one that holds them in one query whatever its width (each wider window tried
    was a query of its own, more the larger the table), read through the GIN index; the
    page says how many records it looked among."""
    monkeypatch.setattr(search, "RECENT", 1)  # windows of 1, 10, 100 records, then all
    tracing = [make_commitment(meeting, title=f"Tracing {i}", text="tracing") for i in range(11)]
    for i in range(90):  # the newest 10 records hold none of them, the newest 100 ten
        make_commitment(meeting, title=f"Plan {i}", text="Border cooperation")
    client.force_login(editor)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(SEARCH, {"q": "tracing"})
    commitments = page.context["sections"][0]
    assert commitments.looked_at == 100 and "the best among the 100 most recent" in (
        page.content.decode()
    )
    assert sorted(hit.title for hit in commitments.hits) == sorted(
        c.title for c in tracing[1:]
    )  # the ten newest of the eleven
    read = [q["sql"] for q in queries if q["sql"].startswith('SELECT "agreements_commitment"')]
    # The newest two; the newest ten matches (through the index); the best in the window,
    # each query reading the rows it finds as they are shown (none of its own for them).
    assert len(read) == 3, "\n".join(read)
    # The newest records' words each looked at, not through their index (whose matches grow
    # with the table): a window's cost stays its own.
    assert 'COALESCE("agreements_commitment"."search_vector", \'\')' in read[0]
    sql = [q["sql"] for q in queries]
    # The words' readings turn sequential scans off, in the search's transaction.
    off = next(i for i, q in enumerate(sql) if "set_config('enable_seqscan', 'off', true)" in q)
    assert off < sql.index(read[1])  # read with sequential scans off: by the GIN index alone


@postgres_only
def test_a_search_turns_sequential_scans_back_on_for_what_follows(client, editor, meeting):
    """The search reads through indexes only; within a longer transaction (this test's) the
    queries after it are planned as before."""
    make_commitment(meeting, title="Halt fentanyl")
    client.force_login(editor)
    assert client.get(SEARCH, {"q": "fentanyl"}).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"


@postgres_only
def test_fewer_matches_than_a_section_shows_are_all_shown_best_first(client, editor, meeting):
    best = make_commitment(meeting, title="Precursor precursor", text="precursor precursors")
    make_commitment(meeting, title="Precursor once", text="Ports")
    for i in range(5):
        make_commitment(meeting, title=f"Plan {i}", text="Border cooperation")
    client.force_login(editor)
    commitments = client.get(SEARCH, {"q": "precursor"}).context["sections"][0]
    assert [hit.title for hit in commitments.hits] == [best.title, "Precursor once"]
    assert not commitments.recent_only


@postgres_only
@pytest.mark.parametrize("model", list(SEARCHED), ids=lambda model: model.__name__)
def test_postgresql_searches_through_the_gin_index(model, editor):
    """With sequential scans off, the planner still answers from the GIN index over the stored
    words (``agreements/migrations/_rules.py``), not from recomputing them."""
    from agreements.search import matching

    rows = matching(model.objects.all(), "fentanyl").values("pk")
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"{model._meta.model_name}_search_words" in plan, plan


@postgres_only
def test_postgresql_keeps_the_stored_words_with_every_change(client, editor, meeting):
    """The stored words follow the record: written on insert, rewritten when a searched field
    changes, whichever way the write comes (here a raw update)."""
    commitment = make_commitment(meeting, title="Halt fentanyl", text="Ports")
    client.force_login(editor)
    assert results(client, "fentanyl")["Commitments"] == ["Halt fentanyl"]
    Commitment.objects.filter(pk=commitment.pk).update(title="Stop guns", text="Tracing")
    assert results(client, "fentanyl")["Commitments"] == []
    assert results(client, "tracing")["Commitments"] == ["Stop guns"]


def test_an_empty_search_shows_the_form_only(client, editor):
    client.force_login(editor)
    response = client.get(SEARCH)
    assert response.status_code == 200 and response.context["sections"] == []
    assert Commitment.objects.count() == 0


def test_the_start_of_a_word_finds_it(client, editor, meeting):
    """A search box is typed word by word: "fent" already finds fentanyl (both databases)."""
    make_commitment(meeting, title="Halt fentanyl", text="Seizures at ports")
    client.force_login(editor)
    assert results(client, "fent")["Commitments"] == ["Halt fentanyl"]
    assert results(client, "halt fent")["Commitments"] == ["Halt fentanyl"]
    assert results(client, "fent guns")["Commitments"] == []  # every word
    assert results(client, "<*&|!>")["Commitments"] == []  # no word: nothing, no error


def test_search_finds_words_whatever_accents_and_case_were_typed(client, editor, meeting):
    """Both databases: "cooperacion" and "COOPERACIÓN" find "cooperación", "Mexico" finds
    "México" (PostgreSQL: unaccent in the stored words; SQLite: the folded text)."""
    make_commitment(
        meeting, title="Ampliar la cooperación", text="Con México en seguridad", language="es"
    )
    client.force_login(editor)
    for typed in ("cooperación", "cooperacion", "COOPERACIÓN", "Mexico", "mexico seguridad"):
        assert results(client, typed)["Commitments"] == ["Ampliar la cooperación"], typed
    assert results(client, "cooperacion washington")["Commitments"] == []


def test_each_record_is_read_in_its_own_language(client, editor, meeting):
    """PostgreSQL stems a Spanish commitment as Spanish, so "cooperar" finds its
    "cooperación" (the reader's language aside: the words are read in every language records
    are written in). SQLite does not stem: there only the word itself, folded, finds it."""
    make_commitment(meeting, title="Ampliar la cooperación", text="Fronteras", language="es")
    client.force_login(editor)
    found = results(client, "cooperar")["Commitments"]
    if connection.vendor == "postgresql":
        assert found == ["Ampliar la cooperación"]
        assert results(client, "frontera")["Commitments"] == ["Ampliar la cooperación"]
    else:
        assert found == []
        assert results(client, "fronteras")["Commitments"] == ["Ampliar la cooperación"]


@postgres_only
# A kept document's words are read unstemmed ("simple"): it carries no language of its own
# (tests/test_source_files.py reads them).
@pytest.mark.parametrize(
    "model", [m for m in SEARCHED if m is not SourceFile], ids=lambda model: model.__name__
)
def test_postgresql_stores_each_records_words_stemmed_in_its_language(model, meeting, us):
    make = {
        Commitment: lambda lang: make_commitment(
            make_meeting(meeting.team), title="Cooperación", text="", language=lang
        ),
        Meeting: lambda lang: make_meeting(meeting.team, title="Cooperación", language=lang),
        Statement: lambda lang: Statement.objects.create(
            meeting=meeting, party=us, text="Cooperación", said_on=meeting.start_date, language=lang
        ),
        Claim: lambda lang: Claim.objects.create(
            meeting=meeting, text="Cooperación", language=lang
        ),
    }[model]

    def words(record) -> set[str]:
        stored = model.objects.filter(pk=record.pk).values_list("search_vector", flat=True).get()
        return {part.split(":")[0].strip("'") for part in stored.split()}

    spanish, english = make("es-MX"), make("en")
    assert words(spanish) == {"cooper", "cooperacion"}  # stemmed, and folded
    assert words(english) == {"cooperación", "cooperacion"}  # English stems nothing here
    # The language changed: the stored words follow (the trigger reads it too).
    model.objects.filter(pk=english.pk).update(language="es")
    assert words(english) == {"cooper", "cooperacion"}


@postgres_only
def test_a_word_no_language_indexes_is_left_out_of_the_search(client, editor, meeting):
    make_commitment(meeting, title="Halt fentanyl", text="Seizures at ports")
    client.force_login(editor)
    assert results(client, "the fentanyl")["Commitments"] == ["Halt fentanyl"]
    assert results(client, "the")["Commitments"] == []  # nothing left to look for


def test_a_statement_hit_names_its_speaker_else_its_party(client, editor, meeting, us, team):
    """A statement's hit reads who spoke from its row: the speaker's name, else the party's."""
    rubio = Person.objects.create(team=team, name="Marco Rubio", party=us)
    said_on = datetime.date(2025, 9, 3)
    Statement.objects.create(
        meeting=meeting, party=us, speaker=rubio, text="Fentanyl kills", said_on=said_on
    )
    Statement.objects.create(meeting=meeting, party=us, text="Fentanyl flows", said_on=said_on)
    client.force_login(editor)
    titles = sorted(results(client, "fentanyl")["Statements"])
    assert titles == sorted(
        [f"{us.name}, {date_format(said_on)}", f"Marco Rubio, {date_format(said_on)}"]
    )


@postgres_only
def test_the_search_queries_are_made_once_a_process_with_the_words_as_parameters(
    client, editor, meeting
):
    """The ranked queries' SQL is compiled once a process (``made_once.rows_of_made_once``), the
    words' query its parameter: a second search, of other words, compiles none of them and
    finds its own words' records."""
    make_commitment(meeting, title="Halt fentanyl trafficking")
    make_commitment(meeting, title="Open the border crossings")
    client.force_login(editor)
    assert results(client, "fentanyl")["Commitments"] == ["Halt fentanyl trafficking"]
    with compiled_sql() as compiled:
        found = results(client, "border")
    assert found["Commitments"] == ["Open the border crossings"]
    assert not [sql for sql in compiled if "ts_rank" in sql or "ts_headline" in sql]
