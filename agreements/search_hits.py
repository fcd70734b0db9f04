"""What a search's hits show (``search.py``): each kind's row, read ranked with its extract
(PostgreSQL's ``ts_headline``, or drawn here on SQLite), and its title and address worked out
from the row alone: plain rows, where records cost more to build (and a query made once a
process reads rows, ``made_once.rows_of_made_once``)."""

from __future__ import annotations

import re
from collections import namedtuple
from functools import cache

from django.contrib.postgres.search import SearchConfig, SearchQuery, SearchRank
from django.db import models
from django.db.models import F, Func, TextField, Value
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import models as m
from .ids import address_of

START, STOP = "<mark>", "</mark>"
# ts_headline's options: the matching words between START and STOP, in up to 30 words.
HEADLINE = f"StartSel='{START}', StopSel='{STOP}', MaxWords=30"


# What each kind's hits show of a record (``search``): the columns of its row (read as
# ``values_list``, joined where a relation's, as ``speaker__name``), its id first, the
# extract's field (the extract's on SQLite too, which draws it in Python), then on PostgreSQL
# its rank and extract. Those alone are read: the rows of the ranking query itself, where a
# page of hits reads no more, and rows where records cost more to build.
SHOWN = {
    m.Commitment: ("title",),
    m.Meeting: ("title", "planned", "start_date"),  # ``Meeting.__str__``'s
    m.Statement: ("said_on", "meeting_id", "speaker", "speaker__name", "party__name"),
    m.Claim: ("meeting_id", "commitment_id", "body_id"),
    m.SourceFile: ("name", "source__title"),
}


@cache
def row_of(model, shown: str, *, ranked: bool) -> type:
    """The named row of a hit of ``model`` (``SHOWN``; ``ranked``: with its rank and extract)."""
    fields = ("pk", *SHOWN[model], shown, *(("rank", "headline") if ranked else ()))
    return namedtuple(f"{model.__name__}Hit", fields)


def ranked_rows(
    rows: models.QuerySet, model, words_query: SearchQuery | None, shown: str
) -> models.QuerySet:
    """``rows`` as a hit's rows (``row_of``), best first: ranked by the words' query, with the
    extract of their ``shown`` field; on SQLite (no query), newest first."""
    fields = ("pk", *SHOWN[model], shown)
    if words_query is None:  # SQLite: newest first
        return rows.order_by("-pk").values_list(*fields)
    # The extract is read in the record's own language, as its words were stored (a kept
    # document's words unstemmed: it has no language of its own).
    has_language = any(field.name == "language" for field in model._meta.fields)
    config = Func(F("language"), function="agreements_search_config") if has_language else "simple"
    return (
        rows.annotate(
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
        )
        .order_by("-rank", "-pk")
        .values_list(*fields, "rank", "headline")
    )


def extract(row, shown: str, words: str) -> SafeString:
    """The matching words marked in an extract; the text itself is escaped."""
    if hasattr(row, "headline"):  # PostgreSQL's (``row_of``)
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


def speaker(statement) -> str:
    """Who spoke (the speaker, else the party: each one's name, as ``__str__`` reads), when."""
    who = statement.party__name if statement.speaker is None else statement.speaker__name
    return f"{who}, {date_format(statement.said_on)}"


def kept_file(kept) -> str:
    """Which file the words were found in, and the source it is kept with."""
    return _("“%(name)s”, kept with “%(source)s”") % {
        "name": kept.name,
        "source": kept.source__title,
    }


def claim_address():
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
