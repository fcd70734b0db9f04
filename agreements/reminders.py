"""The reminder and follower emails: who gets what, written in each recipient's language,
each digest sent at most once per user and day. The tasks (``agreements.tasks``) call these;
the records are read when the mail is written, not when it was enqueued.

Sending is "at least once" at worst: the claim on a digest is committed after the mail server
accepted the mail, so a worker killed between the two could send it again on a retry; a mail
server that refuses it leaves no claim, and the digest goes out on the next attempt.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .models import (
    Commitment,
    Digest,
    DigestKind,
    DigestSent,
    Follow,
    ProgressUpdate,
    StatusChange,
    TeamMembership,
    TeamRole,
    language_of,
    teams_with_reminders,
)

logger = logging.getLogger(__name__)
User = get_user_model()


def absolute(path: str) -> str:
    """A link for an email: the tracker's address (``SITE_URL``) and ``path``."""
    return settings.SITE_URL + path


def render_mail(template: str, context: dict, to: AbstractBaseUser) -> EmailMultiAlternatives:
    """``templates/agreements/email/<template>_subject.txt`` and ``<template>.txt``, written in
    the recipient's language, as one plain-text mail from DEFAULT_FROM_EMAIL."""
    context = {"recipient": to, "site_url": settings.SITE_URL, **context}
    with translation.override(language_of(to)):
        subject = render_to_string(f"agreements/email/{template}_subject.txt", context)
        body = render_to_string(f"agreements/email/{template}.txt", context)
    subject = " ".join(subject.split())  # one line, whatever the template's whitespace
    return EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [to.email])


# --- The daily digest --------------------------------------------------------------------------


def users_needing_a_digest(day: datetime.date) -> list[AbstractBaseUser]:
    """Active users with an email address, not yet sent the day's digest, whose digest holds
    something: members of a team with a milestone to remind of, and reviewers of a team with
    an update waiting that is not their own. A fixed number of queries, however many users."""
    with_milestones, with_updates = teams_with_reminders(day)
    if not with_milestones and not with_updates:
        return []
    someone_elses_update = (
        ProgressUpdate.objects.awaiting_review()
        .filter(commitment__team=OuterRef("team"))
        .filter(~Q(author=OuterRef("user")))
    )
    reviewers_with_work = TeamMembership.objects.filter(
        role=TeamRole.REVIEWER, team__in=with_updates
    ).filter(Exists(someone_elses_update))
    return list(
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            Q(team_memberships__team__in=with_milestones)
            | Q(pk__in=reviewers_with_work.values("user"))
        )
        .exclude(digests_sent__kind=DigestKind.DAILY, digests_sent__day=day)
        .distinct()
        .order_by("pk")
    )


def send_digest(*, user: AbstractBaseUser, day: datetime.date) -> bool:
    """Send ``user`` their digest for ``day`` unless it was sent already or holds nothing.
    Returns whether a mail went out. A failure to send raises, with the claim released."""
    with DigestSent.claim(user, DigestKind.DAILY, day) as claimed:
        if not claimed:
            return False
        digest = Digest.of(user, day)
        if not digest:
            transaction.set_rollback(True)  # nothing to say: no claim either
            return False
        context = {
            "digest": digest,
            "milestones_url": absolute(reverse("agreements:milestone_list")),
            "review_url": absolute(reverse("agreements:review_queue")),
        }
        render_mail("digest", context, user).send()
    return True


# --- Following a commitment --------------------------------------------------------------------


def followers_to_notify(change: StatusChange) -> list[AbstractBaseUser]:
    """The followers of the changed commitment told of ``change``: active, with an email
    address, able to see the commitment now, and not the person who made the change."""
    follows = (
        Follow.objects.filter(commitment_id=change.commitment_id, user__is_active=True)
        .exclude(user__email="")
        .select_related("user__preference")
        .order_by("pk")
    )
    if change.changed_by_id is not None:
        follows = follows.exclude(user_id=change.changed_by_id)
    return [
        f.user
        for f in follows
        if Commitment.objects.visible_to(f.user).filter(pk=change.commitment_id).exists()
    ]


def notify_followers(*, change: StatusChange, only: int | None = None) -> tuple[int, list[int]]:
    """Mail each follower (``followers_to_notify``; with ``only``, that one user alone) what
    changed, from what to what, by whom and why, with a link to the commitment. Every follower
    is tried; returns how many were sent and the ids of those whose mail failed (the task tries
    each of them again on their own, so nobody hears of a change twice)."""
    commitment = change.commitment
    url = absolute(commitment.get_absolute_url())
    sent, failed = 0, []
    for follower in followers_to_notify(change):
        if only is not None and follower.pk != only:
            continue
        message = render_mail(
            "status_change",
            {"change": change, "commitment": commitment, "commitment_url": url},
            follower,
        )
        try:
            message.send()
        except Exception:  # the others still hear of it
            logger.exception("Status change %s: mail to user %s failed", change.pk, follower.pk)
            failed.append(follower.pk)
        else:
            sent += 1
    return sent, failed
