"""The open-data document's records drawn from plain rows (``opendata.document``), each kind by
its shape; which rows each section reads is ``opendata_sections``.

Each kind is read with ``.values()`` through a server-side cursor (PostgreSQL), a chunk at a
time; what a record lists (its sources, party roles, status changes, approved updates, moves)
is read once per chunk for the chunk's ids (``Part.fetches``). No model instance is made per
record: at a million commitments the instances and their prefetches cost four fifths of the
export. Each ``shape`` writes the same keys, in the same order, as ``opendata.as_<kind>`` does
for an instance (the API's records): tests/test_opendata.py holds the two to the same output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import batched

from django.db import models
from django.utils import translation
from django.utils.encoding import iri_to_uri

from . import models as m
from . import system_texts
from .exports import label

type Row = dict
SOURCE_ORDER = ("-source__published_on", "source__title", "source__id")


@dataclass
class Part:
    """One kind of record in a section: its rows (``fields`` of ``records``), its ``shape``,
    and what each row lists, fetched per chunk (name: function of the chunk's ids)."""

    records: models.QuerySet
    fields: tuple[str, ...]
    shape: Callable[[Row], dict]
    fetches: dict[str, Callable[[list[int]], dict]] = field(default_factory=dict)

    def rows(self, chunk_size: int):
        rows = self.records.values(*self.fields).iterator(chunk_size=chunk_size)
        for chunk in batched(rows, chunk_size):
            label.speak(translation.get_language())  # as ``in_language`` set it
            ids = [row["id"] for row in chunk]
            for name, fetch in self.fetches.items():
                found = fetch(ids)
                for row in chunk:
                    row[name] = found.get(row["id"], ())
            yield from chunk


def grouped(rows, key: str) -> dict[int, list]:
    found: dict[int, list] = {}
    for row in rows:
        found.setdefault(row[key], []).append(row)
    return found


def linked(through: type[models.Model], owner: str, *values: str, order=()) -> Callable:
    """Per chunk: each owner's rows of a many-to-many (or reverse) table, as dicts."""

    def fetch(ids: list[int]) -> dict[int, list]:
        rows = through.objects.filter(**{f"{owner}__any_of": ids}).order_by(*order)
        return grouped(rows.values(owner, *values), owner)

    return fetch


def sources_of(model: type[models.Model]) -> Callable:
    """Per chunk: each record's sources (id, url, title), in the sources' own order."""
    m2m = model._meta.get_field("sources")
    owner = m2m.m2m_field_name() + "_id"
    return linked(
        m2m.remote_field.through,
        owner,
        "source_id",
        "source__url",
        "source__title",
        order=SOURCE_ORDER,
    )


def cited(row: Row) -> dict:
    """``opendata._cited`` on a row with its ``sources`` fetched."""
    sources = row["sources"]
    return {
        "sources": [
            {"url": iri_to_uri(s["source__url"]), "note": s["source__title"]}
            for s in sources
            if s["source__url"]
        ],
        "source_ids": [f"source-{s['source_id']}" for s in sources],
    }


_kind = label(m.Party, "kind")
_participant_role = label(m.Participant, "role")
_status = label(m.Commitment, "status")


def party(row: Row) -> dict:
    return {
        "id": f"party-{row['id']}",
        "name": row["name"],
        "classification": _kind(row["kind"]).lower(),
        "identifiers": [
            {
                "scheme": "ISO 3166" if row["kind"] == m.PartyKind.STATE else "acronym",
                "identifier": row["code"],
            }
        ],
    }


def body(row: Row) -> dict:
    return {
        "id": f"body-{row['id']}",
        "name": row["name"],
        "classification": "implementation body",
        "founding_event_id": f"meeting-{row['meeting_id']}",
        "mandate": row["mandate"],
        "cadence": row["cadence"],
        "lifecycle": row["lifecycle"],
        "membership_note": row["membership_note"],
        "commitment_ids": [f"commitment-{c['commitment_id']}" for c in row["commitments"]],
        **cited(row),
    }


def person(row: Row) -> dict:
    return {
        "id": f"person-{row['id']}",
        "name": row["name"],
        "current_office": row["current_office"],
        "organization_id": f"party-{row['party_id']}" if row["party_id"] else None,
    }


def participation(row: Row) -> dict:
    return {
        "id": f"participant-{row['id']}",
        "person_id": f"person-{row['person_id']}",
        "organization_id": f"party-{row['party_id']}",
        "label": row["office"],
        "role": _participant_role(row["role"]),
        "event_id": f"meeting-{row['meeting_id']}",
    }


def membership(row: Row) -> dict:
    return {
        "id": f"member-{row['id']}",
        "person_id": f"person-{row['person_id']}" if row["person_id"] else None,
        "organization_id": f"body-{row['body_id']}",
        "on_behalf_of_id": f"party-{row['party_id']}" if row["party_id"] else None,
        "role": row["role"],
        "confirmation": row["confirmation"],
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "confirmed_on": row["confirmed_on"],
        **cited(row),
    }


def meeting(row: Row) -> dict:
    return {
        "id": f"meeting-{row['id']}",
        "name": row["title"],
        "classification": "meeting",
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "location": ", ".join(filter(None, [row["venue"], row["city"]])),
        "organization_ids": [f"party-{p['party_id']}" for p in row["parties"]],
        # None while a planned meeting has not been held (its outcome is not known yet).
        "outcome": row["outcome_type"] or None,
        "planned": row["planned"],
        "outcome_note": row["outcome_note"],
        "summary": row["summary"],
        "language": row["language"],
        "team": row["team__name"],
        **cited(row),
    }


def context_event(row: Row) -> dict:
    return {
        "id": f"event-{row['id']}",
        "name": row["title"],
        "classification": "context",
        "parent_id": f"meeting-{row['meeting_id']}",
        "relation": row["relation"],
        "start_date": row["occurred_on"],
        "timing_note": row["timing_note"],
        "location": row["location"],
        "actor_id": f"party-{row['actor_id']}" if row["actor_id"] else None,
        "description": row["description"],
        **cited(row),
    }


def speech(row: Row) -> dict:
    return {
        "id": f"statement-{row['id']}",
        "creator_id": f"person-{row['speaker_id']}" if row["speaker_id"] else None,
        "role": row["speaker_office"],
        "on_behalf_of_id": f"party-{row['party_id']}" if row["party_id"] else None,
        # A joint statement: the other parties it speaks for (Popolo names one only).
        "joint_party_ids": [f"party-{p['party_id']}" for p in row["joint_parties"]],
        "type": row["kind"],
        "text": row["text"],
        "language": row["language"],
        "said_on": row["said_on"],
        "event_id": f"meeting-{row['meeting_id']}",
        "commitment_ids": [f"commitment-{c['commitment_id']}" for c in row["commitments"]],
        **cited(row),
    }


def commitment(row: Row) -> dict:
    changes = sorted(row["changes"], key=lambda c: (c["effective_on"], c["changed_at"], c["id"]))
    updates = sorted(row["updates"], key=lambda u: (u["happened_on"], u["created_at"], u["id"]))
    return {
        "id": f"commitment-{row['id']}",
        "event_id": f"meeting-{row['meeting_id']}",
        "title": row["title"],
        "reference": row["reference"],
        "text": row["text"],
        "language": row["language"],
        "theme": row["theme_id"],
        "status": row["status"],
        "status_label": _status(row["status"]),
        "stalled": row["is_stalled"],
        "cancellation": row["cancellation"],
        "target_date": row["target_date"],
        "lead_agency": row["lead_agency"],
        "jurisdiction_note": row["jurisdiction_note"],
        "indicator": row["indicator"],
        "party_roles": [
            {"organization_id": f"party-{r['party_id']}", "role": r["role"]}
            for r in row["party_roles"]
        ],
        **cited(row),
        "status_since": changes[-1]["effective_on"] if changes else row["meeting_date"],
        "status_changes": [
            {
                "effective_on": c["effective_on"],
                "recorded_at": c["changed_at"],
                "from_status": c["from_status"],
                "to_status": c["to_status"],
                "from_stalled": c["from_stalled"],
                "to_stalled": c["to_stalled"],
                "from_cancellation": c["from_cancellation"],
                "to_cancellation": c["to_cancellation"],
                "via": c["changed_via"],
                "reason": system_texts.in_english(c["reason"]),
                "progress_update_id": f"update-{c['update_id']}" if c["update_id"] else None,
            }
            for c in changes
        ],
        "progress_updates": [
            {
                "id": f"update-{u['id']}",
                "happened_on": u["happened_on"],
                "recorded_at": u["created_at"],
                "narrative": u["narrative"],
                "proposed_status": u["proposed_status"],
                "proposed_stalled": u["proposed_stalled"],
                **cited(u),
            }
            for u in updates
        ],
    }


def approved_updates(ids: list[int]) -> dict[int, list]:
    """Per chunk: each commitment's approved progress updates, each with its sources."""
    updates = m.ProgressUpdate.objects.approved().filter(commitment_id__any_of=ids)
    rows = list(
        updates.values(
            "id",
            "commitment_id",
            "happened_on",
            "created_at",
            "narrative",
            "proposed_status",
            "proposed_stalled",
        )
    )
    sources = sources_of(m.ProgressUpdate)([row["id"] for row in rows]) if rows else {}
    for row in rows:
        row["sources"] = sources.get(row["id"], ())
    return grouped(rows, "commitment_id")


def milestone(row: Row) -> dict:
    return {
        "id": f"milestone-{row['id']}",
        "meeting_id": f"meeting-{row['meeting_id']}" if row["meeting_id"] else None,
        "commitment_id": f"commitment-{row['commitment_id']}" if row["commitment_id"] else None,
        "body_id": f"body-{row['body_id']}" if row["body_id"] else None,
        "title": row["title"],
        "due_date": row["due_date"],
        "first_due_date": row["original_due_date"],
        "status": row["status"],
        "completed_on": row["completed_on"],
        "owner": row["owner"],
        "moves": [
            {
                "from_date": move["from_date"],
                "to_date": move["to_date"],
                "moved_on": move["moved_on"],
                "recorded_at": move["at"],
                "name": move["name"],
                "reason": move["reason"],
            }
            for move in row["moves"]
        ],
    }


def assessment(row: Row) -> dict:
    return {
        "id": f"assessment-{row['id']}",
        "commitment_id": f"commitment-{row['commitment_id']}",
        "organization_id": f"party-{row['party_id']}",
        "score": row["score"],
        "justification": row["justification"],
        "as_of": row["as_of"],
        "stage": row["stage"],
        **cited(row),
    }


def claim(row: Row) -> dict:
    if row["commitment_id"]:
        about = f"commitment-{row['commitment_id']}"
    elif row["body_id"]:
        about = f"body-{row['body_id']}"
    else:
        about = f"meeting-{row['meeting_id']}"
    return {
        "id": f"claim-{row['id']}",
        "about_id": about,
        "text": row["text"],
        "verification": row["verification"],
        "verified_on": row["verified_on"],
        "note": row["note"],
        **cited(row),
    }


def source(row: Row) -> dict:
    return {
        "id": f"source-{row['id']}",
        "title": row["title"],
        "url": row["url"],
        "publisher": row["publisher"],
        "published_on": row["published_on"],
        "accessed_on": row["accessed_on"],
        "reliability": row["reliability"],
        "files": [
            {
                "name": kept["name"],
                "type": kept["content_type"],
                "size": kept["size"],
                "sha256": kept["sha256"],
                "retrieved_on": kept["retrieved_on"],
            }
            for kept in row["files"]
        ],
    }
