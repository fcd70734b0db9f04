"""A list's CSV written by PostgreSQL itself (``COPY ... TO STDOUT``), for the lists whose
every column it can compute: the same file as ``exports.rows_of`` writes in Python, cell for
cell, at the speed of the database (issue #27, point 5: a million rows stream in well under a
minute, where a Python row costs tens of microseconds).

Each column is an expression over the page's own QuerySet (its filters, sort and team scope
untouched): labels in the reader's language as a ``CASE``, formulas disarmed by the same rule
as ``exports.armed``, dates in ISO 8601, yes/no, the record's page. PostgreSQL writes an
empty text as ``""`` and ends a record with LF alone; both are brought to what the Python
writer makes (an empty cell, CRLF), so a download is the same file whichever way it was
written: ``tests/test_exports.py`` compares the two on PostgreSQL. Used when the database is
PostgreSQL and times are written in UTC (the tracker's zone: a date-time's offset is then
``+00:00``); otherwise the Python writer runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import connection, models
from django.db.models import Case, F, Func, OuterRef, Q, StringAgg, Subquery, Value, When
from django.db.models.functions import Cast, Concat, NullIf
from django.utils import timezone

from . import models as m

CHUNK = 2_000  # records per piece of the download

# The characters Python's ``str.lstrip()`` takes off (``str.isspace``), as a regular
# expression's class: a cell is armed when, past them, it starts with = + - or @, or when
# its very first character is a tab, a carriage return or a line feed (``exports.armed``).
_SPACE = (
    r"\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f"
    r"\u205f\u3000"
)
_ARMED = rf"^([\t\r\n]|[{_SPACE}]*[=+@-])"

type Column = Callable[[CopyContext], models.Expression]


class CopyContext:
    """What a column's expression depends on besides the row: today, and the labels."""

    def __init__(self, today) -> None:
        self.today = today


def disarmed(expression) -> Func:
    """Text as a spreadsheet may show it: a leading apostrophe where it would run it."""
    return Func(
        expression,
        # The match, if any, written back after an apostrophe: the expression read once.
        template=f"regexp_replace(%(expressions)s, '{_ARMED}', '''\\1')",
        output_field=models.TextField(),
    )


def text(field: str) -> Column:
    return lambda context: disarmed(F(field))


def number(field: str) -> Column:
    return lambda context: Cast(F(field), models.TextField())


def day(field: str) -> Column:
    return lambda context: Cast(F(field), models.TextField())  # PostgreSQL writes ISO 8601


def moment(field: str) -> Column:
    """A date-time in UTC with its offset, as ``datetime.isoformat(timespec="seconds")``."""
    return lambda context: Func(
        F(field),
        template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') "
        "|| '+00:00'",
        output_field=models.TextField(),
    )


def yes_no(condition: Callable[[CopyContext], Q]) -> Column:
    return lambda context: Case(
        When(condition(context), then=Value("yes")),
        default=Value("no"),
        output_field=models.TextField(),
    )


def labelled(shown, field: str) -> models.Expression:
    """``shown``'s label of ``field``'s value (``exports.label``: in the language spoken), the
    value itself when it has none, disarmed as any text."""
    whens = [When(**{field: value}, then=Value(shown(value))) for value in shown.labels]
    default = Cast(F(field), models.TextField())
    return disarmed(Case(*whens, default=default, output_field=models.TextField()))


def page(url: Callable) -> Column:
    """The record's page, as ``exports.page_of`` writes it (its address around the id)."""

    def expression(context):
        before, after = url({"id": "\x00"}).split("\x00")  # asked per file: the script prefix
        return Concat(
            Value(before),
            Cast(F("id"), models.TextField()),
            Value(after),
            output_field=models.TextField(),
        )

    return expression


def roles_in_order(role) -> Column:
    """Each party's code and ``role``'s label (``exports.label``), by the party's name:
    ``US: committed; MX: joint``."""

    def expression(context):
        roles = (
            m.CommitmentParty.objects.filter(commitment=OuterRef("pk"))
            .order_by()
            .values("commitment")
            .annotate(
                joined=StringAgg(
                    Concat(
                        F("party__code"),
                        Value(": "),
                        labelled(role, "role"),
                        output_field=models.TextField(),
                    ),
                    Value("; "),
                    order_by=("party__name",),
                    output_field=models.TextField(),
                )
            )
            .values("joined")
        )
        return disarmed(Subquery(roles, output_field=models.TextField()))

    return expression


def copies() -> bool:
    """Whether PostgreSQL writes the file: on PostgreSQL, with times written in UTC."""
    return (
        connection.vendor == "postgresql"
        and settings.TIME_ZONE == "UTC"
        and (timezone.get_current_timezone_name() == "UTC")
    )


def copied_rows(columns: dict[str, Column], queryset: models.QuerySet) -> Iterator[bytes]:
    """The file's records, a piece of ``CHUNK`` records at a time, as PostgreSQL writes them
    (each record a message of its own), brought to the Python writer's form. Built when the
    first piece is asked, in the language then spoken (``exports.in_language``)."""
    context = CopyContext(timezone.localdate())
    names = [f"csv_{n}" for n in range(len(columns))]
    expressions = {
        name: NullIf(build(context), Value(""), output_field=models.TextField())  # "": NULL
        for name, build in zip(names, columns.values(), strict=True)
    }
    rows = queryset.select_related(None).prefetch_related(None).annotate(**expressions)
    sql, params = rows.values_list(*names).query.sql_with_params()
    statement = f"COPY ({sql}) TO STDOUT (FORMAT csv)"
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        piece: list[bytes] = []
        for record in copy:
            piece.append(bytes(record)[:-1] + b"\r\n")  # LF alone ends a record here
            if len(piece) >= CHUNK:
                yield b"".join(piece)
                piece = []
        if piece:
            yield b"".join(piece)
