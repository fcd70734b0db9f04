"""What backs the record up: statements, claims and their verification, sources, and the
events around a meeting."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Claim, ContextEvent, Meeting, Source, Statement, refuse_dated_outside
from .base import create_record, refuse_archived, refuse_other_teams, save_versioned


@transaction.atomic
def add_statement(
    *, statement: Statement, sources=(), commitments=(), joint_parties=(), by: AbstractBaseUser
) -> Statement:
    """Record words said at or about a meeting, with the meeting's commitments they mention
    and, for a joint statement, the parties it was issued with besides its ``party``."""
    refuse_archived(statement.meeting)
    if any(c.meeting_id != statement.meeting_id for c in commitments):
        raise ValidationError({"commitments": _("Name only commitments of this meeting.")})
    joint_parties = [p for p in joint_parties if p.pk != statement.party_id]
    if joint_parties and statement.party_id is None:
        raise ValidationError({"party": _("A joint statement names its first party here.")})
    return create_record(
        statement, by=by, sources=sources, commitments=commitments, joint_parties=joint_parties
    )


@transaction.atomic
def add_claim(*, claim: Claim, sources=(), by: AbstractBaseUser) -> Claim:
    """Record a claim; every state but unconfirmed needs a source."""
    refuse_archived(claim.meeting, claim.commitment, claim.body)
    if error := Claim.sources_error(claim.verification, list(sources)):
        raise ValidationError({"sources": error})
    return create_record(claim, by=by, sources=sources)


@transaction.atomic
def verify_claim(
    *,
    claim: Claim,
    verification: str,
    source: Source | None = None,
    expected: int,
    by: AbstractBaseUser,
    on: datetime.date | None = None,
) -> Claim:
    """Move a claim to another verification state, citing ``source`` where it adds one, as
    established ``on`` a day (today by default; between its meeting and today).

    Every state but unconfirmed needs at least one source (cited before or now)."""
    refuse_archived(claim)
    on = on or timezone.localdate()
    refuse_dated_outside(on, claim.record_meeting.start_date, field="verified_on")
    if source is not None:
        refuse_other_teams(claim, {"sources": [source]})
    cited = [*claim.sources.all(), *([source] if source else [])]
    if error := Claim.sources_error(verification, cited):
        raise ValidationError({"source": error})
    claim.verification, claim.verified_on = verification, on
    save_versioned(claim, expected=expected, fields=["verification", "verified_on"], by=by)
    if source is not None:
        claim.sources.add(source)
    return claim


@transaction.atomic
def add_source(*, source: Source, meeting: Meeting, by: AbstractBaseUser) -> Source:
    """Add a source to the meeting's team, reporting on the meeting and cited on it. Two
    people adding the same address at once: the second is told so, as if the form had seen
    the first."""
    refuse_archived(meeting)
    source.meeting = meeting
    try:
        with transaction.atomic():
            create_record(source, by=by)
    except IntegrityError:
        if source.url and Source.objects.filter(team=source.team, url=source.url).exists():
            raise ValidationError(
                {"url": _("This team already has a source with this address.")}
            ) from None
        raise
    meeting.sources.add(source)
    return source


@transaction.atomic
def add_context_event(*, event: ContextEvent, sources=(), by: AbstractBaseUser) -> ContextEvent:
    """Record an event around a meeting (a visit, a follow-up), with its sources."""
    refuse_archived(event.meeting)
    return create_record(event, by=by, sources=sources)
