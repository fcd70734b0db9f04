"""Everything a user may see, as one JSON document for data portals and researchers.

People, organisations, memberships, meetings and statements are Popolo records (persons,
organizations, memberships, events, speeches), valid against Popolo's own JSON Schemas (kept in
``tests/schemas/popolo/``); commitments, milestones, assessments, claims and sources sit alongside
in the same style. A record cites its sources twice: as Popolo link objects (``sources``: each
source with an address, ``{"url", "note"}``) and by id (``source_ids``: every source, with or
without an address, to look up in the document's ``sources``). The document's own, stricter
JSON Schema is ``docs/open-data.schema.json``; tests validate exports against both.

Dated facts carry the day they happened beside the moment they were recorded: a commitment's
status changes (``effective_on``, ``recorded_at``) and the day its state took effect
(``status_since``), its approved progress updates (``happened_on``), a milestone's completion
(``completed_on``) and each move of its date (``moved_on``), a membership's start, end and
confirmation (``confirmed_on``), a claim's verification (``verified_on``), an assessment's
``as_of``.

Written as a stream, section by section and chunk by chunk: an export of 100,000 commitments is
never held in memory. The document's records are drawn from plain rows (``opendata_sections``
reads them, ``opendata_rows`` writes each), the API's from instances by the shapes here; both
write the same. Archived records are left out, as on the pages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import batched

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.encoding import iri_to_uri

from . import models as m
from . import system_texts
from .opendata_sections import sections

CHUNK = 2_000
SCHEMA = "https://agreement-tracker.invalid/open-data.schema.json"
# 2: sources as Popolo link objects beside ``source_ids``; a speech's day is ``said_on``; the
# days facts happened (a commitment's ``status_since``, ``status_changes`` and approved
# ``progress_updates``, a milestone's ``moves``, a membership's ``confirmed_on``, a claim's
# ``verified_on``). 3: each source's kept ``files`` (what they are, never their bytes), and a
# move of a milestone's date has a ``name`` ("extended suspension ends", or empty). 4: a
# milestone may belong to a meeting itself (``meeting_id``, beside ``commitment_id`` and
# ``body_id``, exactly one of them set).
VERSION = 4


def _cited(record) -> dict:
    """A record's sources, as Popolo wants them (link objects, for those with an address) and
    by id (all of them). Addresses are written as URIs (RFC 3986): an internationalised one
    (which the URL field accepts) has its non-ASCII characters percent-encoded."""
    sources = record.sources.all()
    return {
        "sources": [{"url": iri_to_uri(s.url), "note": s.title} for s in sources if s.url],
        "source_ids": [f"source-{s.pk}" for s in sources],
    }


def as_organization(party: m.Party) -> dict:
    return {
        "id": f"party-{party.pk}",
        "name": party.name,
        "classification": party.get_kind_display().lower(),
        "identifiers": [
            {
                "scheme": "ISO 3166" if party.kind == m.PartyKind.STATE else "acronym",
                "identifier": party.code,
            }
        ],
    }


def as_body(body: m.ImplementationBody) -> dict:
    return {
        "id": f"body-{body.pk}",
        "name": body.name,
        "classification": "implementation body",
        "founding_event_id": f"meeting-{body.meeting_id}",
        "mandate": body.mandate,
        "cadence": body.cadence,
        "lifecycle": body.lifecycle,
        "membership_note": body.membership_note,
        "commitment_ids": [f"commitment-{c.pk}" for c in body.commitments.all()],
        **_cited(body),
    }


def as_person(person: m.Person) -> dict:
    return {
        "id": f"person-{person.pk}",
        "name": person.name,
        "current_office": person.current_office,
        "organization_id": f"party-{person.party_id}" if person.party_id else None,
    }


def as_participation(participant: m.Participant) -> dict:
    return {
        "id": f"participant-{participant.pk}",
        "person_id": f"person-{participant.person_id}",
        "organization_id": f"party-{participant.party_id}",
        "label": participant.office,
        "role": participant.get_role_display(),
        "event_id": f"meeting-{participant.meeting_id}",
    }


def as_membership(member: m.BodyMembership) -> dict:
    return {
        "id": f"member-{member.pk}",
        "person_id": f"person-{member.person_id}" if member.person_id else None,
        "organization_id": f"body-{member.body_id}",
        "on_behalf_of_id": f"party-{member.party_id}" if member.party_id else None,
        "role": member.role,
        "confirmation": member.confirmation,
        "start_date": member.start_date,
        "end_date": member.end_date,
        "confirmed_on": member.confirmed_on,
        **_cited(member),
    }


def as_meeting(meeting: m.Meeting) -> dict:
    return {
        "id": f"meeting-{meeting.pk}",
        "name": meeting.title,
        "classification": "meeting",
        "start_date": meeting.start_date,
        "end_date": meeting.end_date,
        "location": ", ".join(filter(None, [meeting.venue, meeting.city])),
        "organization_ids": [f"party-{p.pk}" for p in meeting.parties.all()],
        # None while a planned meeting has not been held (its outcome is not known yet).
        "outcome": meeting.outcome_type or None,
        "planned": meeting.planned,
        "outcome_note": meeting.outcome_note,
        "summary": meeting.summary,
        "language": meeting.language,
        "team": meeting.team.name,
        **_cited(meeting),
    }


def as_context_event(event: m.ContextEvent) -> dict:
    return {
        "id": f"event-{event.pk}",
        "name": event.title,
        "classification": "context",
        "parent_id": f"meeting-{event.meeting_id}",
        "relation": event.relation,
        "start_date": event.occurred_on,
        "timing_note": event.timing_note,
        "location": event.location,
        "actor_id": f"party-{event.actor_id}" if event.actor_id else None,
        "description": event.description,
        **_cited(event),
    }


def as_speech(statement: m.Statement) -> dict:
    return {
        "id": f"statement-{statement.pk}",
        "creator_id": f"person-{statement.speaker_id}" if statement.speaker_id else None,
        "role": statement.speaker_office,
        "on_behalf_of_id": f"party-{statement.party_id}" if statement.party_id else None,
        # A joint statement: the other parties it speaks for (Popolo names one only).
        "joint_party_ids": [f"party-{p.pk}" for p in statement.joint_parties.all()],
        "type": statement.kind,
        "text": statement.text,
        "language": statement.language,
        # Popolo's ``date`` is a date-time (RFC 3339); a statement is known to the day only.
        "said_on": statement.said_on,
        "event_id": f"meeting-{statement.meeting_id}",
        "commitment_ids": [f"commitment-{c.pk}" for c in statement.commitments.all()],
        **_cited(statement),
    }


def as_commitment(commitment: m.Commitment) -> dict:
    return {
        "id": f"commitment-{commitment.pk}",
        "event_id": f"meeting-{commitment.meeting_id}",
        "title": commitment.title,
        "reference": commitment.reference,
        "text": commitment.text,
        "language": commitment.language,
        "theme": commitment.theme_id,
        "status": commitment.status,
        "status_label": commitment.get_status_display(),
        "stalled": commitment.is_stalled,
        "cancellation": commitment.cancellation,
        "target_date": commitment.target_date,
        "lead_agency": commitment.lead_agency,
        "jurisdiction_note": commitment.jurisdiction_note,
        "indicator": commitment.indicator,
        "party_roles": [
            {"organization_id": f"party-{r.party_id}", "role": r.role}
            for r in commitment.party_roles.all()
        ],
        **_cited(commitment),
        **_dated(commitment),
    }


def with_dates(commitments: models.QuerySet) -> models.QuerySet:
    """``commitments`` with what ``as_commitment`` reads of their dated facts, a query each
    for all of a chunk: their status changes and their approved progress updates."""
    approved = m.ProgressUpdate.objects.approved().prefetch_related("sources")
    return commitments.prefetch_related(
        "status_changes",
        Prefetch("progress_updates", approved, to_attr="approved_updates"),
    )


def _dated(commitment: m.Commitment) -> dict:
    """A commitment's dated facts: each change of its official status on the day it took
    effect, in that order (the state is that of the last), and its approved progress updates
    on the day of their progress. Read from ``with_dates`` when it was applied."""
    changes = sorted(
        commitment.status_changes.all(), key=lambda c: (c.effective_on, c.changed_at, c.pk)
    )
    updates = getattr(commitment, "approved_updates", None)
    if updates is None:
        updates = commitment.progress_updates.approved().prefetch_related("sources")
    updates = sorted(updates, key=lambda u: (u.happened_on, u.created_at, u.pk))
    return {
        "status_since": changes[-1].effective_on if changes else commitment.meeting_date,
        "status_changes": [
            {
                "effective_on": c.effective_on,
                "recorded_at": c.changed_at,
                "from_status": c.from_status,
                "to_status": c.to_status,
                "from_stalled": c.from_stalled,
                "to_stalled": c.to_stalled,
                "from_cancellation": c.from_cancellation,
                "to_cancellation": c.to_cancellation,
                "via": c.changed_via,
                "reason": system_texts.in_english(c.reason),
                "progress_update_id": f"update-{c.update_id}" if c.update_id else None,
            }
            for c in changes
        ],
        "progress_updates": [
            {
                "id": f"update-{u.pk}",
                "happened_on": u.happened_on,
                "recorded_at": u.created_at,
                "narrative": u.narrative,
                "proposed_status": u.proposed_status,
                "proposed_stalled": u.proposed_stalled,
                **_cited(u),
            }
            for u in updates
        ],
    }


def as_milestone(milestone: m.Milestone) -> dict:
    return {
        "id": f"milestone-{milestone.pk}",
        "meeting_id": f"meeting-{milestone.meeting_id}" if milestone.meeting_id else None,
        "commitment_id": f"commitment-{milestone.commitment_id}"
        if milestone.commitment_id
        else None,
        "body_id": f"body-{milestone.body_id}" if milestone.body_id else None,
        "title": milestone.title,
        "due_date": milestone.due_date,
        "first_due_date": milestone.original_due_date,
        "status": milestone.status,
        "completed_on": milestone.completed_on,
        "owner": milestone.owner,
        "moves": [
            {
                "from_date": move.from_date,
                "to_date": move.to_date,
                "moved_on": move.moved_on,
                "recorded_at": move.at,
                "name": move.name,
                "reason": move.reason,
            }
            for move in sorted(milestone.reschedules.all(), key=lambda r: (r.at, r.pk))
        ],
    }


def as_assessment(assessment: m.Assessment) -> dict:
    return {
        "id": f"assessment-{assessment.pk}",
        "commitment_id": f"commitment-{assessment.commitment_id}",
        "organization_id": f"party-{assessment.party_id}",
        "score": assessment.score,
        "justification": assessment.justification,
        "as_of": assessment.as_of,
        "stage": assessment.stage,
        **_cited(assessment),
    }


def as_claim(claim: m.Claim) -> dict:
    if claim.commitment_id:
        about = f"commitment-{claim.commitment_id}"
    elif claim.body_id:
        about = f"body-{claim.body_id}"
    else:
        about = f"meeting-{claim.meeting_id}"
    return {
        "id": f"claim-{claim.pk}",
        "about_id": about,
        "text": claim.text,
        "verification": claim.verification,
        "verified_on": claim.verified_on,
        "note": claim.note,
        **_cited(claim),
    }


def as_source(source: m.Source) -> dict:
    return {
        "id": f"source-{source.pk}",
        "title": source.title,
        "url": source.url,
        "publisher": source.publisher,
        "published_on": source.published_on,
        "accessed_on": source.accessed_on,
        "reliability": source.reliability,
        "files": [as_file(kept) for kept in source.files.all()],
    }


def as_file(kept: m.SourceFile) -> dict:
    """A document kept with a source, described (its bytes go to its team only)."""
    return {
        "name": kept.name,
        "type": kept.content_type,
        "size": kept.size,
        "sha256": kept.sha256,
        "retrieved_on": kept.retrieved_on,
    }


def document(user) -> Iterator[str]:
    """The export, as pieces of JSON text to stream."""
    meta = {
        "schema": SCHEMA,
        "version": VERSION,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "generator": "Agreement tracker",
    }
    yield '{"meta": ' + json.dumps(meta)
    encode = DjangoJSONEncoder().encode
    for name, parts in sections(user):
        yield f', "{name}": ['
        first = True
        for part in parts:
            # A piece per chunk of records, not per record (each piece costs a write).
            for chunk in batched(part.rows(CHUNK), CHUNK):
                pieces = ", ".join(encode(part.shape(row)) for row in chunk)
                yield pieces if first else ", " + pieces
                first = False
        yield "]"
    yield "}\n"
