"""What reads as a record's id in a request: asked before any lookup, by the forms, the views
and ``permissions`` alike, so it sits below all of them; and a record's page from its id."""

from collections.abc import Callable

from django.urls import reverse


def is_id(value) -> bool:
    """Whether ``value`` reads as a record's id: ASCII digits that a column can hold. (Python
    calls "²" a digit, which ``int()`` then refuses: a request is never trusted that far.)"""
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) < 19


# A record's number in an id: no leading zero, and 18 digits always fit the id columns
# (PostgreSQL's bigint holds 19).
NUMBER = "[1-9][0-9]{0,17}"


def typed_id(kind: str, number: int) -> str:
    """A record's id as the open data, the API and the pages' addresses write it:
    ``typed_id("commitment", 9)`` → ``commitment-9``. The kind is part of the id because
    the open data needs one that says what it names (its ``organizations`` hold parties and
    bodies alike)."""
    return f"{kind}-{int(number)}"


def number_in(value, kind: str = "") -> str | None:
    """The record's number that ``value`` names, as text: ``party-3`` (of ``kind``, the one
    form of id the pages write) or a bare ``3`` (as addresses were written before, still
    read); None for anything else."""
    text = str(value)
    if kind:
        text = text.removeprefix(f"{kind}-")
    return text if is_id(text) else None


class RecordId:
    """A path converter for one kind's ids (``<commitment:pk>`` reads ``commitment-9``): the
    view receives the number (9), and ``reverse(name, args=[9])`` writes ``commitment-9``, so
    a page's address names its record as the open data and the API do."""

    kind = ""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.regex = f"{cls.kind}-{NUMBER}"

    def to_python(self, value: str) -> int:
        return int(value.rpartition("-")[2])

    def to_url(self, value: int | str) -> str:
        return typed_id(self.kind, value)


class MeetingId(RecordId):
    kind = "meeting"


class CommitmentId(RecordId):
    kind = "commitment"


class BodyId(RecordId):
    kind = "body"


class PartyId(RecordId):
    kind = "party"


class PagedKind:
    """A path converter for the kinds of record with a page of their own (and a history), as
    ids begin: ``history/<paged:kind>-<int:pk>/`` reads ``history/commitment-9/``."""

    regex = "meeting|commitment|body"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class Number:
    """A path converter for a record's number alone, as it follows its kind in an id."""

    regex = NUMBER

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int | str) -> str:
        return str(int(value))


def address_of(name: str) -> Callable[[object], str]:
    """The address of page ``name`` (a record's page, one ``pk`` argument) for any record, its
    pattern reversed once: a list builds each row's link with string formatting rather than a
    ``reverse()`` (or a ``{% url %}``) per row. The address is checked to hold the id once."""
    probe = 918_273_645
    url = reverse(name, args=[probe])
    head, found, tail = url.partition(str(probe))
    if not found or str(probe) in tail:
        return lambda pk: reverse(name, args=[pk])
    return lambda pk: f"{head}{pk}{tail}"
