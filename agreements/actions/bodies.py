"""Implementation bodies set up at meetings, and who sits on them."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    BodyMembership,
    Confirmation,
    ImplementationBody,
    Person,
    refuse_dated_outside,
)
from .base import create_record, refuse_archived, save_versioned


@transaction.atomic
def add_body(
    *, body: ImplementationBody, commitments=(), by: AbstractBaseUser
) -> ImplementationBody:
    """Record a body set up at a meeting, with the meeting's commitments it oversees."""
    refuse_archived(body.meeting)
    return create_record(body, by=by, commitments=commitments)


@transaction.atomic
def add_membership(
    *, membership: BodyMembership, sources=(), by: AbstractBaseUser
) -> BodyMembership:
    """Seat a person or a party on a body, confirmed or not."""
    refuse_archived(membership.body)
    return create_record(membership, by=by, sources=sources)


@transaction.atomic
def add_memberships(
    *, rows: list[tuple[BodyMembership, str]], by: AbstractBaseUser
) -> list[BodyMembership]:
    """Seat several members on a body at once, all or none: each row a membership and, when
    its person is new, their name (the person is created for the body's team, with the party
    they sit for as their usual party)."""
    seated = []
    for membership, new_person in rows:
        if new_person:
            membership.person = create_record(
                Person(team=membership.body.meeting.team, name=new_person, party=membership.party),
                by=by,
            )
        seated.append(add_membership(membership=membership, by=by))
    return seated


@transaction.atomic
def set_membership_confirmation(
    *,
    membership: BodyMembership,
    confirmation: str,
    expected: int,
    by: AbstractBaseUser,
    on: datetime.date | None = None,
) -> BodyMembership:
    """Record how far a membership is confirmed (confirmed, reported, unconfirmed); confirmed,
    ``on`` the day it was (today by default; between the body's meeting and today)."""
    refuse_archived(membership.body)
    if confirmation not in Confirmation.values:
        raise ValidationError(_("Choose confirmed, reported or unconfirmed."))
    confirmed = confirmation == Confirmation.CONFIRMED
    if confirmed:
        on = on or timezone.localdate()
        refuse_dated_outside(on, membership.body.meeting.start_date, field="confirmed_on")
    membership.confirmation = confirmation
    membership.confirmed_on = on if confirmed else None
    fields = ["confirmation", "confirmed_on"]
    save_versioned(membership, expected=expected, fields=fields, by=by)
    return membership


@transaction.atomic
def end_membership(
    *, membership: BodyMembership, expected: int, by: AbstractBaseUser, on=None
) -> BodyMembership:
    """End a membership ``on`` a day (today by default); the membership itself is kept."""
    refuse_archived(membership.body)
    if membership.end_date is not None:
        raise ValidationError(
            _("%(membership)s: the membership already ended.") % {"membership": membership}
        )
    membership.end_date = on or timezone.localdate()
    refuse_dated_outside(membership.end_date, membership.body.meeting.start_date, field="end_date")
    save_versioned(membership, expected=expected, fields=["end_date"], by=by)
    return membership
