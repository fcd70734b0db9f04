"""Search across meetings, commitments, statements, claims and the words of kept documents.

On PostgreSQL: full-text search over each record's stored words (``search_vector``, written by
a trigger on every change of the searched fields and indexed by GIN: migrations/_rules.py),
results ranked from those stored words, and the matching words shown in a highlighted extract.
Elsewhere (SQLite, the zero-setup default): every word must appear (case-insensitive), newest
first, with the first match shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection, models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import models as m

# Model: (fields searched, text-search configuration). Statements are quoted in their own
# language (Spanish, English…), so their words are indexed without English stemming.
SEARCHED = {
    m.Meeting: (("title", "summary", "outcome_note"), "english"),
    m.Commitment: (("title", "text"), "english"),
    m.Statement: (("text", "speaker_office"), "simple"),
    m.Claim: (("text", "note"), "english"),
    # The words read from kept documents (#23), in whatever language they are written.
    m.SourceFile: (("name", "text"), "simple"),
}
PER_KIND = 10
# On PostgreSQL the best matches are looked for first among the newest this many records of a
# kind (by id): ranking visits every match's row, so words that most records hold had every
# one of them ranked (35,000 matches at 1,000,000 commitments, 200 ms); in the window only its
# own matches are. Widened tenfold, then to every record, while it holds fewer than PER_KIND.
RECENT = 20_000
START, STOP = "<mark>", "</mark>"


def query(model: type[models.Model], words: str) -> SearchQuery:
    """Every word, or a word it starts ("fent" finds fentanyl), as a search box is typed."""
    _fields, config = SEARCHED[model]
    terms = re.findall(r"\w+", words)
    return SearchQuery(" & ".join(f"{t}:*" for t in terms), config=config, search_type="raw")


def matching(queryset: models.QuerySet, words: str) -> models.QuerySet:
    """``queryset`` narrowed to rows matching ``words`` (see ``query``)."""
    fields, _config = SEARCHED[queryset.model]
    if not re.search(r"\w", words):
        return queryset.none()
    if connection.vendor == "postgresql":
        return queryset.filter(search_vector=query(queryset.model, words))
    for word in words.split():
        queryset = queryset.filter(Q.create([(f"{f}__icontains", word) for f in fields], "OR"))
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
    recent_only: bool = False  # the best among the newest RECENT records, not among all


def search(user, words: str) -> list[Section]:
    """The best matches of each kind the user may see, active records only."""
    words = words.strip()[:200]
    if not words:
        return []
    kinds = [
        (_("Commitments"), m.Commitment, "text", lambda c: c.title, lambda c: c),
        (_("Meetings"), m.Meeting, "summary", lambda mt: str(mt), lambda mt: mt),
        (_("Statements"), m.Statement, "text", _speaker, lambda s: s.meeting),
        (_("Claims"), m.Claim, "text", lambda c: _("Claim"), _claim_record),
        (_("Kept documents"), m.SourceFile, "text", _kept_file, _SourceFileLink),
    ]
    sections = []
    for label, model, shown, title, page in kinds:
        rows = matching(model.objects.visible_to(user).filter(m.active_q(model)), words)
        rows, recent_only = _best(rows, model, words, shown)
        hits = [
            Hit(row, title(row), _extract(row, shown, words), page(row).get_absolute_url())
            for row in rows
        ]
        sections.append(Section(label, hits, recent_only))
    return sections


def _best(rows: models.QuerySet, model, words: str, shown: str) -> tuple[list, bool]:
    """The PER_KIND best matches, and whether they were found among the newest records only:
    the newest RECENT, then ten times as many, then all (see ``RECENT``)."""
    if connection.vendor == "postgresql":
        newest = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        window = RECENT
        while newest > window:
            recent = _ranked(rows.filter(pk__gt=newest - window), model, words, shown)
            if len(found := list(recent[:PER_KIND])) == PER_KIND:
                return found, True
            window *= 10
    return list(_ranked(rows, model, words, shown)[:PER_KIND]), False


def _ranked(rows: models.QuerySet, model, words: str, shown: str) -> models.QuerySet:
    related = {
        m.Statement: ["meeting", "speaker", "party"],
        m.Claim: ["meeting", "commitment", "body"],
        m.SourceFile: ["source"],
    }.get(model, [])
    if related:
        rows = rows.select_related(*related)
    if connection.vendor != "postgresql":
        return rows.order_by("-pk")
    _fields, config = SEARCHED[model]
    words_query = query(model, words)
    return rows.annotate(
        rank=SearchRank(F("search_vector"), words_query),
        headline=SearchHeadline(
            shown, words_query, config=config, start_sel=START, stop_sel=STOP, max_words=30
        ),
    ).order_by("-rank", "-pk")


def _extract(row, shown: str, words: str) -> SafeString:
    """The matching words marked in an extract; the text itself is escaped."""
    if hasattr(row, "headline"):
        parts = re.split(f"({re.escape(START)}|{re.escape(STOP)})", row.headline or "")
        out, inside = [], False
        for part in parts:
            if part in (START, STOP):
                inside = part == START
            elif inside:
                out.append(format_html("<mark>{}</mark>", part))
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


def _speaker(statement) -> str:
    who = statement.speaker or statement.party
    return f"{who}, {date_format(statement.said_on)}"


def _kept_file(kept) -> str:
    """Which file the words were found in, and the source it is kept with."""
    return _("“%(name)s”, kept with “%(source)s”") % {
        "name": kept.name,
        "source": kept.source.title,
    }


class _SourceFileLink:
    """A kept file's address, as a hit's page (the file view checks permission again)."""

    def __init__(self, kept) -> None:
        self.kept = kept

    def get_absolute_url(self) -> str:
        return reverse("agreements:source_file", args=[self.kept.pk])


def _claim_record(claim):
    return claim.meeting or claim.commitment or claim.body
