"""The open-data document's sections (``opendata.document``): which rows each kind is read
with, in which order, what each row lists (fetched per chunk), and the shape that writes it
(``opendata_rows``). A kind's record appears here once; its fields are those its shape reads.
"""

from __future__ import annotations

from django.db import models

from . import models as m
from .opendata_rows import (
    Part,
    approved_updates,
    assessment,
    body,
    claim,
    commitment,
    context_event,
    linked,
    meeting,
    membership,
    milestone,
    participation,
    party,
    person,
    source,
    sources_of,
    speech,
)


def seen(model: type[models.Model], user) -> models.QuerySet:
    """``model``'s records the user may see, active ones only, in a stable order."""
    return model.objects.visible_to(user).filter(m.active_q(model)).order_by("pk")


def sections(user) -> list[tuple[str, list[Part]]]:
    """The document's sections, each a list of parts, in the order written."""
    cites = sources_of
    commitments_of = {
        "commitments": linked(
            m.ImplementationBody.commitments.through,
            "implementationbody_id",
            "commitment_id",
            order=("commitment__meeting", "commitment__position", "commitment__id"),
        )
    }
    return [
        (
            "organizations",
            [
                Part(m.Party.objects.order_by("pk"), ("id", "name", "kind", "code"), party),
                Part(
                    seen(m.ImplementationBody, user),
                    ("id", "name", "meeting_id", "mandate", "cadence", "lifecycle",
                     "membership_note"),
                    body,
                    commitments_of | {"sources": cites(m.ImplementationBody)},
                ),
            ],
        ),
        (
            "persons",
            [
                Part(
                    m.Person.objects.visible_to(user).order_by("pk"),
                    ("id", "name", "current_office", "party_id"),
                    person,
                )
            ],
        ),
        (
            "memberships",
            [
                Part(
                    seen(m.Participant, user),
                    ("id", "person_id", "party_id", "office", "role", "meeting_id"),
                    participation,
                ),
                Part(
                    seen(m.BodyMembership, user),
                    ("id", "person_id", "body_id", "party_id", "role", "confirmation",
                     "start_date", "end_date", "confirmed_on"),
                    membership,
                    {"sources": cites(m.BodyMembership)},
                ),
            ],
        ),
        (
            "events",
            [
                Part(
                    seen(m.Meeting, user),
                    ("id", "title", "start_date", "end_date", "venue", "city", "outcome_type",
                     "planned", "outcome_note", "summary", "language", "team__name"),
                    meeting,
                    {
                        "parties": linked(
                            m.Meeting.parties.through, "meeting_id", "party_id",
                            order=("party__name",),
                        ),
                        "sources": cites(m.Meeting),
                    },
                ),
                Part(
                    seen(m.ContextEvent, user),
                    ("id", "title", "meeting_id", "relation", "occurred_on", "timing_note",
                     "location", "actor_id", "description"),
                    context_event,
                    {"sources": cites(m.ContextEvent)},
                ),
            ],
        ),
        (
            "speeches",
            [
                Part(
                    seen(m.Statement, user),
                    ("id", "speaker_id", "speaker_office", "party_id", "kind", "text",
                     "language", "said_on", "meeting_id"),
                    speech,
                    {
                        "commitments": linked(
                            m.Statement.commitments.through, "statement_id", "commitment_id",
                            order=("commitment__meeting", "commitment__position",
                                   "commitment__id"),
                        ),
                        "joint_parties": linked(
                            m.Statement.joint_parties.through, "statement_id", "party_id",
                            order=("party__name",),
                        ),
                        "sources": cites(m.Statement),
                    },
                ),
            ],
        ),
        (
            "commitments",
            [
                Part(
                    seen(m.Commitment, user),
                    ("id", "meeting_id", "title", "reference", "text", "language", "theme_id",
                     "status", "is_stalled", "cancellation", "target_date", "lead_agency",
                     "jurisdiction_note", "indicator", "meeting_date"),
                    commitment,
                    {
                        "party_roles": linked(
                            m.CommitmentParty, "commitment_id", "party_id", "role",
                            order=("party__name",),
                        ),
                        "sources": cites(m.Commitment),
                        "changes": linked(
                            m.StatusChange, "commitment_id", "id", "effective_on", "changed_at",
                            "from_status", "to_status", "from_stalled", "to_stalled",
                            "from_cancellation", "to_cancellation", "changed_via", "reason",
                            "update_id",
                        ),
                        "updates": approved_updates,
                    },
                )
            ],
        ),
        (
            "milestones",
            [
                Part(
                    seen(m.Milestone, user),
                    ("id", "meeting_id", "commitment_id", "body_id", "title", "due_date",
                     "original_due_date", "status", "completed_on", "owner"),
                    milestone,
                    {
                        "moves": linked(
                            m.MilestoneReschedule, "milestone_id", "from_date", "to_date",
                            "moved_on", "at", "name", "reason", order=("at", "id"),
                        )
                    },
                )
            ],
        ),
        (
            "assessments",
            [
                Part(
                    seen(m.Assessment, user),
                    ("id", "commitment_id", "party_id", "score", "justification", "as_of",
                     "stage"),
                    assessment,
                    {"sources": cites(m.Assessment)},
                )
            ],
        ),
        (
            "claims",
            [
                Part(
                    seen(m.Claim, user),
                    ("id", "commitment_id", "body_id", "meeting_id", "text", "verification",
                     "verified_on", "note"),
                    claim,
                    {"sources": cites(m.Claim)},
                )
            ],
        ),
        (
            "sources",
            [
                Part(
                    m.Source.objects.visible_to(user).order_by("pk"),
                    ("id", "title", "url", "publisher", "published_on", "accessed_on",
                     "reliability"),
                    source,
                    {
                        "files": linked(
                            m.SourceFile, "source_id", "name", "content_type", "size", "sha256",
                            "retrieved_on", order=("added_at", "id"),
                        )
                    },
                )
            ],
        ),
    ]  # fmt: skip
