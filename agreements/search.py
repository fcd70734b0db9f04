"""Search across meetings, commitments, statements, claims and the words of kept documents,
each read in its own language (its ``language``; a kept document's words unstemmed), accents
and case aside.

On PostgreSQL: full-text search over each record's stored words (``search_vector``, written by
a trigger on every change of the searched fields or the language, stemmed with the record's
language's configuration, and indexed by GIN: migrations/_rules.py), results ranked from those
stored words, and the matching words shown in a highlighted extract. The words typed are read
in every language records are stemmed in (``SEARCH_LANGUAGES``, and unstemmed): each word
matches a record stemmed in any of them, so "cooperar" finds a Spanish "cooperación" whatever
the reader's language, and an English "cooperation" with it (their stems agree).
Elsewhere (SQLite, the zero-setup default): every word must appear in one of the fields,
accents and case aside (``fold_contains``), newest first, with the first match shown; words
are not stemmed there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery
from django.db import connection, models, transaction
from django.db.models import BigIntegerField, ExpressionWrapper, F, Func, Q
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from . import models as m
from .ids import address_of
from .migrations._search import SEARCH_LANGUAGES  # the rules that store the words name them
from .models.made_once import rows_of_teams_made_once
from .search_hits import claim_address, extract, kept_file, ranked_rows, row_of, speaker

# Model: the fields searched (on PostgreSQL, the trigger stores their words: _rules.py).
SEARCHED = {
    m.Meeting: ("title", "summary", "outcome_note"),
    m.Commitment: ("title", "text"),
    m.Statement: ("text", "speaker_office"),
    m.Claim: ("text", "note"),
    # The words read from kept documents (#23), in whatever language they are written.
    m.SourceFile: ("name", "text"),
}
# The configurations records are stemmed with, and a language tag that reads as each.
TAGS, CONFIGS = zip(("und", "simple"), *SEARCH_LANGUAGES.items(), strict=True)
PER_KIND = 10
# On PostgreSQL the best matches are looked for first among the newest this many records of a
# kind (by id): ranking visits every match's row, so words that most records hold had every
# one of them ranked (35,000 matches at 1,000,000 commitments, 200 ms); in the window only its
# own matches are. Widened tenfold, then to every record, while it holds fewer than PER_KIND.
# 2,000: at 100,000 commitments a word two records in three hold ("border") still had 6,700
# claims ranked in a window of 20,000, with their meetings, commitments and bodies joined to
# each (issue #27); in 2,000 a few hundred are, and ten matches are found by then.
RECENT = 2_000


def query(words: str, *, prefix: bool = True) -> SearchQuery | None:
    """Every word, or a word it starts ("fent" finds fentanyl), as a search box is typed: each
    read in every configuration records are stemmed with (``CONFIGS``), as typed and folded,
    its readings asked for at once (a word stemmed alike in several languages is one reading,
    so the query stays one a GIN index serves). A word that one of the languages does not
    index (a stopword: "the", "de") is left out, as PostgreSQL leaves it out of a query; None
    when no word is left. ``prefix=False``: whole words only (the admin's search). PostgreSQL
    only."""
    return _query(_readings(words), prefix=prefix)


def _readings(words: str, *, also: str = "") -> list[tuple]:
    """Each word's readings (``query``): rows of its number, a configuration and the lexemes it
    reads as. ``also``: further columns asked in the same round trip (each row holds them)."""
    terms = re.findall(r"\w+", words)[:20]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.n, c.config, tsvector_to_array("
            f"agreements_search_words(c.tag, t.term)){also} FROM unnest(%s::text[])"
            " WITH ORDINALITY AS t(term, n) CROSS JOIN unnest(%s::text[], %s::text[])"
            " AS c(tag, config)",
            [terms, list(TAGS), list(CONFIGS)],
        )
        return cursor.fetchall()


def _query(readings: list[tuple], *, prefix: bool = True) -> SearchQuery | None:
    raw = _raw(readings, prefix=prefix)
    return None if raw is None else _tsquery(raw)


def _tsquery(raw: str) -> SearchQuery:
    """The query of ``raw`` words (``_raw``), as PostgreSQL reads them: the text a parameter."""
    return SearchQuery(raw, config="simple", search_type="raw")


def _raw(readings: list[tuple], *, prefix: bool = True) -> str | None:
    """The text of ``query``'s query (``to_tsquery``'s), None when no word is left."""
    by_term: dict[int, set[str]] = {}
    dropped = set()
    for n, config, lexemes, *_also in readings:
        if not lexemes and config != "simple":
            dropped.add(n)
        by_term.setdefault(n, set()).update(lexemes)
    alternatives = [
        " | ".join(f"'{_quoted(lexeme)}'{':*' if prefix else ''}" for lexeme in sorted(lexemes))
        for n, lexemes in sorted(by_term.items())
        if n not in dropped and lexemes
    ]
    if not alternatives:
        return None
    return " & ".join(f"({alternative})" for alternative in alternatives)


def _quoted(lexeme: str) -> str:
    return lexeme.replace("\\", "\\\\").replace("'", "''")


def matching(
    queryset: models.QuerySet, words: str, words_query: SearchQuery | None = None
) -> models.QuerySet:
    """``queryset`` narrowed to rows matching ``words`` (see ``query``; ``words_query``: the
    query already made of them)."""
    fields = SEARCHED[queryset.model]
    if not re.search(r"\w", words):
        return queryset.none()
    if connection.vendor == "postgresql":
        words_query = words_query or query(words)
        return (
            queryset.none() if words_query is None else queryset.filter(search_vector=words_query)
        )
    for word in words.split():
        queryset = queryset.filter(Q.create([(f"{f}__fold_contains", word) for f in fields], "OR"))
    return queryset


@dataclass
class Hit:
    record: tuple  # the hit's row (``_rows``)
    title: str
    extract: SafeString
    url: str


@dataclass
class Section:
    label: str
    hits: list[Hit]
    recent_only: bool = False  # the best among the newest records, not among all
    looked_at: int = 0  # how many of the newest records, when ``recent_only``


def search(user, words: str) -> list[Section]:
    """The best matches of each kind the user may see, active records only."""
    words = words.strip()[:200]
    if not words:
        return []
    # Each kind: its section, model, the field its extract is of, and its hits' titles and
    # addresses (each page's address pattern reversed once: ``address_of``).
    meeting = address_of("agreements:meeting_detail")
    commitment = address_of("agreements:commitment_detail")
    kept = address_of("agreements:source_file")
    kinds = [
        (
            _("Commitments"),
            m.Commitment,
            "text",
            lambda c: c.title,
            lambda c: commitment(c.pk),
        ),
        (_("Meetings"), m.Meeting, "summary", m.Meeting.__str__, lambda mt: meeting(mt.pk)),
        (_("Statements"), m.Statement, "text", speaker, lambda s: meeting(s.meeting_id)),
        (_("Claims"), m.Claim, "text", lambda c: _("Claim"), claim_address()),
        (
            _("Kept documents"),
            m.SourceFile,
            "text",
            kept_file,
            lambda kept_file: kept(kept_file.pk),
        ),
    ]
    postgresql = connection.vendor == "postgresql"
    sections = []
    with _through_the_indexes(postgresql):
        # The words' readings, asked for once for every kind, with each kind's newest id
        # (PostgreSQL: one round trip, which turns sequential scans off too).
        raw, newest = (
            _query_and_newest(words, [model for _label, model, *_rest in kinds])
            if postgresql
            else (None, {})
        )
        for label, model, shown, title, address in kinds:
            if postgresql and raw is None:
                rows, looked_at = [], 0  # no word left to look for (only stopwords)
            else:
                read = _reader(user, model, shown, words, raw)
                rows, looked_at = _best(read, newest.get(model, 0))
            hits = [Hit(row, title(row), extract(row, shown, words), address(row)) for row in rows]
            sections.append(Section(label, hits, bool(looked_at), looked_at))
    return sections


@contextmanager
def _through_the_indexes(searching: bool) -> Iterator[None]:
    """While ``searching`` (PostgreSQL), its queries read through indexes only, as each of
    them can (tests/test_query_plans.py): PostgreSQL guesses how many records a word's start
    (a prefix) matches, and a guess of hundreds made it read a whole table, sequentially, for
    a word no record held. Sequential scans are off for the search alone: turned off by its
    first query (``_query_and_newest``: ``SET LOCAL`` in its own transaction, where a query
    of its own cost a round trip), put back after it within a longer transaction (a failed
    query's rollback puts it back too)."""
    if not searching:
        yield
        return
    within = connection.in_atomic_block  # a transaction that goes on after the search
    with transaction.atomic():
        yield
        if within:  # else the setting ends with the search's own transaction
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = on")


def _query_and_newest(words: str, kinds: list) -> tuple[str | None, dict]:
    """The words' query's text (``_raw``) and the newest id of each of these models, read in one
    round trip (where asking each apart took six), which turns sequential scans off for the
    rest of the search's transaction (``_through_the_indexes``: ``set_config``'s ``true`` is
    ``SET LOCAL``)."""
    tables = [model._meta.db_table for model in kinds]
    newest = "".join(f', (SELECT max(id) FROM "{table}")' for table in tables)
    indexes_only = ", (SELECT set_config('enable_seqscan', 'off', true))"
    readings = _readings(words, also=newest + indexes_only)
    ids = readings[0][3 : 3 + len(kinds)] if readings else [0] * len(kinds)
    return _raw(readings), {model: pk or 0 for model, pk in zip(kinds, ids, strict=True)}


def _reader(user, model, shown: str, words: str, raw: str | None) -> Callable[..., list]:
    """``read(key, query, **values)``: the rows (``row_of``'s) of ``query(visible, matched,
    words_query, ranked, **values)``, a queryset of PER_KIND rows, over ``visible``, the
    ``model`` records ``user`` may see, active, ``matched``, those of them that match the
    words, ``ranked`` a queryset's rows as a hit reads them (``ranked_rows``). On PostgreSQL its SQL
    made once a process for ``key``, the model and the number of the reader's teams
    (``rows_of_teams_made_once``), the words' query's text (``raw``) and the query's values
    its parameters: a ranked query read as records cost 1.2–1.7 ms of building and compiling
    a request, seven a search; made once, its run alone."""
    row = row_of(model, shown, ranked=raw is not None)
    active = user.is_authenticated and user.is_active
    every = active and user.is_superuser
    teams = m.team_ids(user) if active and not every else None

    def read(key: tuple, query: Callable[..., models.QuerySet], **values) -> list:
        def build(visible, words_text=None, **given):
            words_query = None if words_text is None else _tsquery(words_text)
            visible = visible.filter(m.active_q(model))
            matched = matching(visible, words, words_query)
            ranked = lambda rows: ranked_rows(rows, model, words_query, shown)  # noqa: E731
            return query(visible, matched, words_query, ranked, **given)

        rows = None
        if raw is not None:
            key = ("search", model.__name__, *key)
            given = {"words_text": raw, **values}
            rows = rows_of_teams_made_once(key, teams, every, (model,), build, **given)
        if rows is None:  # SQLite, or a reader in no team (no query)
            rows = build(model.objects.visible_to(user), raw, **values)
        return [row._make(values) for values in rows]

    return read


def _best(read: Callable[..., list], newest: int = 0) -> tuple[list, int]:
    """The PER_KIND best matches of a kind (``read``: ``_reader``'s), and among how many of
    the newest records they were found (0: among all): the newest RECENT, then ten times as
    many, then all (see ``RECENT``). ``newest``: the kind's newest id (PostgreSQL).

    Each query reads the rows it finds as they are shown, ranked, with their extract
    (``ranked_rows``): PostgreSQL writes an extract after the sort and the limit, for the rows
    shown alone, so the rows need no query of their own (one query fewer a kind)."""
    if connection.vendor != "postgresql":
        return read(("all",), lambda _v, matched, _q, ranked: ranked(matched)[:PER_KIND]), 0
    if newest > RECENT:
        unindexed = newest > 10 * RECENT
        found = read(("recent", unindexed), _recent(unindexed), since=newest - RECENT)
        if len(found) == PER_KIND:
            return found, RECENT
    # Fewer than PER_KIND matches among them: the matches are rare, and read through the GIN
    # index alone (``_through_the_indexes``; their ids read as ``id + 0``, which no index
    # serves, else the planner may walk back along the ids' index through every record), their
    # cost the matches', however many records there are: the newest PER_KIND of them first.
    # Fewer still: they are all, put in their rank's order here. Else the window (RECENT,
    # widened tenfold until it holds them) starts at the PER_KIND-th newest match, and the
    # best are ranked in it: one query, where trying each wider window took one each (more,
    # the larger the table), each walking the window's ids.
    found = read(("newest",), _newest_matches)
    if len(found) < PER_KIND:
        return sorted(found, key=lambda row: (row.rank, row.pk), reverse=True), 0
    window = _window(newest, found[-1].pk)
    if window is None:
        return read(("among all",), _among_the_newest), 0
    return read(("window",), _among_the_newest, since=newest - window), window


def _recent(unindexed: bool) -> Callable[..., models.QuerySet]:
    """The best among the newest RECENT (ids past ``since``). In a large table (``unindexed``),
    read along the ids' index, the words of each looked at, not through the words' index,
    whose matches grow with the table (a word in one meeting in twenty: 450 read at 100,000
    commitments, 4,500 at 1,000,000; ``COALESCE(…, '')`` is the same words, which no index
    serves, and unlike ``|| ''`` not a copy of them for each record: half the time, 1.3 → 0.6
    ms over 2,000 claims). In a table of up to ten times RECENT records, the planner may read
    either: the words' index holds no more."""

    def query(visible, matched, words_query, ranked, since):
        if unindexed:
            words = Func(F("search_vector"), template="COALESCE(%(expressions)s, '')")
            matched = visible.alias(words=words).filter(words=words_query)
        return ranked(matched.filter(pk__gt=since))[:PER_KIND]

    return query


# A record's id as no index serves it (``_best``), a big integer as the id (as ``id + 0``, an
# integer's: the ORM then drops a bound past an integer's range, as a stand-in's, ``since``).
_NEWEST = ExpressionWrapper(F("pk") + 0, output_field=BigIntegerField())


def _newest_matches(_visible, matched, _words_query, ranked) -> models.QuerySet:
    """The newest PER_KIND matches (``_best``)."""
    return ranked(matched.alias(newest=_NEWEST)).order_by("-newest")[:PER_KIND]


def _among_the_newest(_visible, matched, _words_query, ranked, since=None) -> models.QuerySet:
    """The best PER_KIND matches with ids past ``since`` (a window of the newest), or of all."""
    rows = ranked(matched.alias(newest=_NEWEST))
    return (rows if since is None else rows.filter(newest__gt=since))[:PER_KIND]


def _window(newest: int, oldest: int) -> int | None:
    """The smallest window of the newest records (RECENT widened tenfold, short of all of
    them) that reaches back to id ``oldest``: None when none does (the search is among all)."""
    window = RECENT * 10
    while newest > window:
        if newest - window < oldest:
            return window
        window *= 10
    return None
