"""The lists' per-request queries whose SQL is made once a process (``rows_of_made_once``):
where the ORM's building and compiling of a short query was a real share of a list page's
Python time (a millisecond or more a query, for a page of 25 rows)."""

from __future__ import annotations

from typing import NamedTuple

from django.db import models

from ..models.made_once import records_of_made_once, rows_of_ids_made_once


def meeting_figures(ids: list[int]) -> dict[int, tuple[int, float | None]]:
    """Each of these meetings' number of commitments and mean status over those that count
    (``CommitmentQuerySet.totals_by_meeting``): its grouped query took 4 to 5 ms to build and
    compile, a page of the meeting list, for a millisecond of the database's."""
    rows = rows_of_ids_made_once(("meeting_figures",), ids, _figures_of)
    return {meeting: (total, mean) for meeting, total, mean in rows}


def _figures_of(ids: list[int]) -> models.QuerySet:
    from ..models import Commitment

    return Commitment.objects.filter(meeting__in=ids).totals_by_meeting_rows()


def meeting_parties(ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Each of these meetings' parties' names and codes, by the parties' names (their own
    order, as a prefetch read them)."""
    parties: dict[int, list[tuple[str, str]]] = {}
    for meeting_id, name, code in rows_of_ids_made_once(("meeting_parties",), ids, _parties_of):
        parties.setdefault(meeting_id, []).append((name, code))
    return parties


def _parties_of(ids: list[int]) -> models.QuerySet:
    from ..models import Meeting

    return (
        Meeting.parties.through.objects.filter(meeting__in=ids)
        .order_by("party__name", "party")
        .values_list("meeting", "party__name", "party__code")
    )


def party_roles_of(commitment) -> list:
    """The commitment page's parties (``CommitmentParty`` rows with their party), by the
    parties' names, by SQL made once a process (``records_of_made_once``)."""
    return records_of_made_once(("commitment_party_roles",), _roles_of_commitment, of=commitment.pk)


def _roles_of_commitment(of: int) -> models.QuerySet:
    from ..models import CommitmentParty

    # By the party's name: the model's own order starts with the commitment's, which joined
    # its meeting to order the rows of one commitment.
    return (
        CommitmentParty.objects.filter(commitment=of)
        .select_related("party")
        .order_by("party__name")
    )


def bodies_of(commitment) -> list:
    """The bodies overseeing the commitment (``commitment.bodies.all()``, in their own
    order), by SQL made once a process (``records_of_made_once``)."""
    return records_of_made_once(("commitment_bodies",), _bodies_of_commitment, of=commitment.pk)


def _bodies_of_commitment(of: int) -> models.QuerySet:
    from ..models import ImplementationBody

    return ImplementationBody.objects.filter(commitments=of)


def sources_of(commitment) -> list:
    """The sources the commitment cites (``commitment.sources.all()``, in their own order),
    each saying whether it has kept files (``flag_kept``), by SQL made once a process
    (``records_of_made_once``); their kept files are then read for those that have some."""
    return records_of_made_once(("commitment_sources",), _sources_of_commitment, of=commitment.pk)


def _sources_of_commitment(of: int) -> models.QuerySet:
    from ..models import Source
    from .source_files import flag_kept

    return flag_kept(Source.objects.filter(commitment_records=of))


def through_source(field: str) -> str:
    """A column of the sources' order (``Source._meta.ordering``), read from a record's links
    to its sources (the through model of its ``sources``)."""
    return f"-source__{field[1:]}" if field.startswith("-") else f"source__{field}"


class Cited(NamedTuple):
    """A source as a review queue's row cites it (review_rows.html)."""

    title: str
    url: str
    publisher: str


def update_sources(ids: list[int]) -> dict[int, list[Cited]]:
    """Each of these progress updates' sources (``update.sources.all()``, in the sources' own
    order), by SQL made once a process for as many updates (``rows_of_ids_made_once``): the
    review queue's prefetch of them built and compiled its query every page, 2.5 ms of
    Python for a page of 25 updates, whether they cite any source or not."""
    cited: dict[int, list[Cited]] = {}
    for update, *source in rows_of_ids_made_once(("update_sources",), ids, _sources_of_updates):
        cited.setdefault(update, []).append(Cited(*source))
    return cited


def _sources_of_updates(ids: list[int]) -> models.QuerySet:
    from ..models import ProgressUpdate, Source

    return (
        ProgressUpdate.sources.through.objects.filter(progressupdate__in=ids)
        .order_by(*(through_source(field) for field in Source._meta.ordering))
        .values_list("progressupdate", "source__title", "source__url", "source__publisher")
    )
