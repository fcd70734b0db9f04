"""What a meeting's statements section shows (``meetings.meeting_detail``): its statements
as plain rows, each with the parties it was made jointly with and the commitments it mentions
(both read for the page at once), and its readouts compared side by side (``readouts``)."""

from __future__ import annotations

from django.db.models import Count, F, Prefetch, Q, QuerySet, Value, Window
from django.db.models.functions import RowNumber

from ..models import Commitment, Meeting, Source, Statement, StatementKind
from ..models.base import label_of
from ..models.made_once import rows_of_ids_made_once
from ..templatetags.tracker import language_name


def statements_of(of: int) -> QuerySet:
    """Meeting ``of``'s statements as their rows show them (plain rows: the speaker's and the
    party's names beside the statement's own columns), each counting the meeting's readouts
    (a window over its statements)."""
    return (
        Statement.objects.filter(meeting=of)
        .annotate(readouts=Window(Count("pk", filter=Q(kind=StatementKind.READOUT))))
        .order_by("said_on", "pk")
        .values(
            "pk",
            "text",
            "language",
            "speaker_office",
            "kind",
            "said_on",
            "readouts",
            speaker_name=F("speaker__name"),
            party_name=F("party__name"),
        )
    )


def readouts_of(meeting: Meeting) -> QuerySet[Statement]:
    """The meeting's readouts as ``compare_readouts`` reads them and the page shows them:
    their words, day, speaker and parties (each party's name and code), the commitments they
    mention (their ids alone, in no order) and their sources (each a link)."""
    return (
        Statement.objects.filter(meeting=meeting, kind=StatementKind.READOUT)
        .select_related("speaker", "party")
        .only(
            "kind",
            "text",
            "language",
            "said_on",
            "speaker__name",
            "party__name",
            "party__code",
        )
        .prefetch_related(
            Prefetch("commitments", queryset=Commitment.objects.only("pk").order_by()),
            Prefetch("sources", queryset=Source.objects.only("url", "title")),
            "joint_parties",
        )
    )


def statement_rows(
    statements: list[dict], joint: list[tuple] | None = None, mentioned: list[tuple] | None = None
) -> list[dict]:
    """A page of statements (``statements_of``), each with its kind's label and its language's
    name (each written once), the names of the parties it was made jointly with and the
    titles of the commitments it mentions (in the commitments' order), both read in one
    query, or given, read with the statements (``(id, name)`` rows: ``joint_names``,
    ``mentioned_titles``)."""
    names: dict[tuple[int, int], list[str]] = {}
    if joint is None or mentioned is None:
        rows = _statement_names([statement["pk"] for statement in statements])
    else:
        rows = [(pk, 0, name) for pk, name in joint] + [(pk, 1, name) for pk, name in mentioned]
    for pk, part, name in rows:
        names.setdefault((part, pk), []).append(name)
    kinds: dict[str, str] = {}
    languages: dict[str, str] = {}
    for statement in statements:
        kind, language = statement["kind"], statement["language"]
        if kind not in kinds:
            kinds[kind] = label_of(Statement, "kind", kind)
        if language not in languages:
            languages[language] = language_name(language)
        statement["kind_label"], statement["language_name"] = kinds[kind], languages[language]
        statement["joint_names"] = names.get((0, statement["pk"]), [])
        statement["mentioned"] = names.get((1, statement["pk"]), [])
    return statements


def _statement_names(ids: list[int]) -> list[tuple[int, int, str]]:
    """``(statement, 0, party's name)`` for each party that made one of the statements
    ``ids`` jointly (by name), and ``(statement, 1, title)`` for each commitment one mentions
    (in the commitments' own order: their meeting's, then their position), in one read of
    both link tables (``UNION ALL``), each part numbering its rows in its own order, its SQL
    made once a process for each number of statements (``rows_of_ids_made_once``)."""
    return [row[:3] for row in rows_of_ids_made_once(("statement_names",), ids, _names_read)]


# The order of a statement's joint parties (by name) and of the commitments it mentions
# (``Meeting.Meta.ordering``, then their position), on the link tables.
JOINT_ORDER = (F("party__name"), F("party"))
MENTIONED_ORDER = (
    F("commitment__meeting__start_date").desc(),
    F("commitment__meeting").desc(),
    F("commitment__position"),
    F("commitment"),
)


def joint_names(ids: QuerySet) -> QuerySet:
    """``(statement, party's name)`` of statements ``ids`` (a query of them: a page's) made
    jointly, in ``statement_rows``' order, to read with the statements
    (``FirstPages.add_links``)."""
    rows = Statement.joint_parties.through.objects.filter(statement__in=ids)
    return rows.order_by(*JOINT_ORDER).values_list("statement_id", "party__name")


def mentioned_titles(ids: QuerySet) -> QuerySet:
    """``(statement, commitment's title)`` of the commitments statements ``ids`` mention, in
    ``statement_rows``' order (``joint_names``)."""
    rows = Statement.commitments.through.objects.filter(statement__in=ids)
    return rows.order_by(*MENTIONED_ORDER).values_list("statement_id", "commitment__title")


def _names_read(ids: list[int]) -> QuerySet:
    """The read of ``_statement_names``."""
    joint = Statement.joint_parties.through.objects.filter(statement__in=ids).annotate(
        part=Value(0), name=F("party__name"), n=Window(RowNumber(), order_by=JOINT_ORDER)
    )
    mentioned = Statement.commitments.through.objects.filter(statement__in=ids).annotate(
        part=Value(1),
        name=F("commitment__title"),
        n=Window(RowNumber(), order_by=MENTIONED_ORDER),
    )
    columns = ("statement_id", "part", "name", "n")
    rows = joint.values_list(*columns).union(mentioned.values_list(*columns), all=True)
    return rows.order_by("part", "n")
