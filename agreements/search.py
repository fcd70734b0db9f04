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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.postgres.search import SearchConfig, SearchQuery, SearchRank
from django.db import connection, models, transaction
from django.db.models import F, Func, Q, TextField, Value
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import models as m
from .ids import address_of
from .migrations._search import SEARCH_LANGUAGES  # the rules that store the words name them

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
START, STOP = "<mark>", "</mark>"
# ts_headline's options: the matching words between START and STOP, in up to 30 words.
HEADLINE = f"StartSel='{START}', StopSel='{STOP}', MaxWords=30"


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
    raw = " & ".join(f"({alternative})" for alternative in alternatives)
    return SearchQuery(raw, config="simple", search_type="raw")


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
    record: models.Model
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
        (_("Meetings"), m.Meeting, "summary", str, lambda mt: meeting(mt.pk)),
        (_("Statements"), m.Statement, "text", _speaker, lambda s: meeting(s.meeting_id)),
        (_("Claims"), m.Claim, "text", lambda c: _("Claim"), _claim_address()),
        (
            _("Kept documents"),
            m.SourceFile,
            "text",
            _kept_file,
            lambda kept_file: kept(kept_file.pk),
        ),
    ]
    postgresql = connection.vendor == "postgresql"
    sections = []
    with _through_the_indexes(postgresql):
        # The words' readings, asked for once for every kind, with each kind's newest id
        # (PostgreSQL: one round trip, which turns sequential scans off too).
        words_query, newest = (
            _query_and_newest(words, [model for _label, model, *_rest in kinds])
            if postgresql
            else (None, {})
        )
        for label, model, shown, title, address in kinds:
            visible = model.objects.visible_to(user).filter(m.active_q(model))
            if connection.vendor == "postgresql" and words_query is None:
                rows, looked_at = [], 0  # no word left to look for (only stopwords)
            else:
                rows, looked_at = _best(
                    visible, words, model, words_query, shown, newest.get(model, 0)
                )
            hits = [Hit(row, title(row), _extract(row, shown, words), address(row)) for row in rows]
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


def _query_and_newest(words: str, kinds: list) -> tuple[SearchQuery | None, dict]:
    """The words' query (``query``) and the newest id of each of these models, read in one
    round trip (where asking each apart took six), which turns sequential scans off for the
    rest of the search's transaction (``_through_the_indexes``: ``set_config``'s ``true`` is
    ``SET LOCAL``)."""
    tables = [model._meta.db_table for model in kinds]
    newest = "".join(f', (SELECT max(id) FROM "{table}")' for table in tables)
    indexes_only = ", (SELECT set_config('enable_seqscan', 'off', true))"
    readings = _readings(words, also=newest + indexes_only)
    ids = readings[0][3 : 3 + len(kinds)] if readings else [0] * len(kinds)
    return _query(readings), {model: pk or 0 for model, pk in zip(kinds, ids, strict=True)}


def _best(
    visible: models.QuerySet,
    words: str,
    model,
    words_query: SearchQuery | None,
    shown: str,
    newest: int = 0,
) -> tuple[list, int]:
    """The PER_KIND best matches among ``visible`` records, and among how many of the newest
    records they were found (0: among all): the newest RECENT, then ten times as many, then
    all (see ``RECENT``). ``newest``: the kind's newest id (PostgreSQL).

    Each query reads the rows it finds as they are shown, ranked, with their extract
    (``_ranked``): PostgreSQL writes an extract after the sort and the limit, for the rows
    shown alone, so the rows need no query of their own (one query fewer a kind)."""
    rows = matching(visible, words, words_query)
    if connection.vendor != "postgresql":
        return list(_ranked(rows, model, words_query, shown)[:PER_KIND]), 0
    if newest > RECENT:
        # Among the newest RECENT. In a large table, read along the ids' index, the words of
        # each looked at, not through the words' index, whose matches grow with the table (a
        # word in one meeting in twenty: 450 read at 100,000 commitments, 4,500 at 1,000,000;
        # ``COALESCE(…, '')`` is the same words, which no index serves, and unlike ``|| ''``
        # not a copy of them for each record: half the time, 1.3 → 0.6 ms over 2,000 claims).
        # In a table of up to ten times RECENT records, the planner may read either: the
        # words' index holds no more.
        recent = rows
        if newest > 10 * RECENT:
            unindexed = Func(F("search_vector"), template="COALESCE(%(expressions)s, '')")
            recent = visible.alias(words=unindexed).filter(words=words_query)
        found = list(
            _ranked(recent.filter(pk__gt=newest - RECENT), model, words_query, shown)[:PER_KIND]
        )
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
    ranked = _ranked(rows.alias(newest=F("pk") + 0), model, words_query, shown)
    found = list(ranked.order_by("-newest")[:PER_KIND])
    if len(found) < PER_KIND:
        return sorted(found, key=lambda row: (row.rank, row.pk), reverse=True), 0
    window = _window(newest, found[-1].pk)
    if window is not None:
        ranked = ranked.filter(newest__gt=newest - window)
    return list(ranked[:PER_KIND]), window or 0


def _window(newest: int, oldest: int) -> int | None:
    """The smallest window of the newest records (RECENT widened tenfold, short of all of
    them) that reaches back to id ``oldest``: None when none does (the search is among all)."""
    window = RECENT * 10
    while newest > window:
        if newest - window < oldest:
            return window
        window *= 10
    return None


# What each kind's hits show of a record (``search``): its related rows and its fields (the
# extract's on SQLite too, which draws it in Python). Those alone are read: the rows of
# the ranking query itself, where a page of hits reads no more.
SHOWN = {
    m.Commitment: ([], ["title"]),
    m.Meeting: ([], ["title", "planned", "start_date"]),
    m.Statement: (["speaker", "party"], ["said_on", "meeting", "speaker__name", "party__name"]),
    m.Claim: ([], ["meeting", "commitment", "body"]),
    m.SourceFile: (["source"], ["name", "source__title"]),
}


def _ranked(
    rows: models.QuerySet, model, words_query: SearchQuery | None, shown: str
) -> models.QuerySet:
    related, fields = SHOWN[model]
    if related:  # (``select_related()`` of nothing would follow every relation)
        rows = rows.select_related(*related)
    rows = rows.only(*fields, shown)
    if words_query is None:  # SQLite: newest first
        return rows.order_by("-pk")
    # The extract is read in the record's own language, as its words were stored (a kept
    # document's words unstemmed: it has no language of its own).
    has_language = any(field.name == "language" for field in model._meta.fields)
    config = Func(F("language"), function="agreements_search_config") if has_language else "simple"
    return rows.annotate(
        rank=SearchRank(F("search_vector"), words_query),
        # ``SearchHeadline``'s SQL, its options written once (``HEADLINE``), where it wrote
        # each again for every query (with a cursor of its own to quote it).
        headline=Func(
            SearchConfig(config),
            F(shown),
            words_query,
            Value(HEADLINE),
            function="ts_headline",
            output_field=TextField(),
        ),
    ).order_by("-rank", "-pk")


def _extract(row, shown: str, words: str) -> SafeString:
    """The matching words marked in an extract; the text itself is escaped."""
    if hasattr(row, "headline"):
        out, inside = [], False
        for part in _MARKS.split(row.headline or ""):
            if part in (START, STOP):
                inside = part == START
            elif inside:
                out.append(f"{START}{escape(part)}{STOP}")
            else:
                out.append(escape(part))
        return mark_safe("".join(out))
    text = getattr(row, shown) or ""
    terms = [re.escape(w) for w in words.split() if w]
    first = re.search("|".join(terms), text, re.IGNORECASE) if terms else None
    start = max(0, first.start() - 80) if first else 0
    extract = ("…" if start else "") + text[start : start + 240]
    pieces = re.split(f"({'|'.join(terms)})", extract, flags=re.IGNORECASE) if terms else [extract]
    return mark_safe(
        "".join(
            format_html("<mark>{}</mark>", p) if i % 2 else escape(p) for i, p in enumerate(pieces)
        )
    )


_MARKS = re.compile(f"({re.escape(START)}|{re.escape(STOP)})")


def _speaker(statement) -> str:
    who = statement.speaker or statement.party
    return f"{who}, {date_format(statement.said_on)}"


def _kept_file(kept) -> str:
    """Which file the words were found in, and the source it is kept with."""
    return _("“%(name)s”, kept with “%(source)s”") % {
        "name": kept.name,
        "source": kept.source.title,
    }


def _claim_address():
    """A claim's address: its meeting's, commitment's or body's page, the first it is about
    (``Claim.subject``'s rule, read from the ids of a hit's row)."""
    meeting = address_of("agreements:meeting_detail")
    commitment = address_of("agreements:commitment_detail")
    body = address_of("agreements:body_detail")

    def address(claim) -> str:
        if claim.meeting_id:
            return meeting(claim.meeting_id)
        return commitment(claim.commitment_id) if claim.commitment_id else body(claim.body_id)

    return address
