"""Background work on Django's tasks framework (``django.tasks``), queued in our database
(django-tasks-db) and run by ``manage.py db_worker``: any number of workers, on any machines
sharing the database, each task run by one of them. Arguments are ids and ISO dates (JSON);
each task reads the records when it runs."""

from __future__ import annotations

import datetime
import logging

from django.contrib.auth import get_user_model
from django.tasks import task
from django.utils import timezone

from . import reminders, signin
from .models import SecurityEvent, SignInLock, SourceFile, StatusChange

logger = logging.getLogger(__name__)

# A digest the mail server refused is tried again later, this many times in all.
DIGEST_ATTEMPTS = 4
RETRY_AFTER = datetime.timedelta(minutes=10)
# A follower's notice the mail server refused is tried again, alone, this many times in all.
NOTICE_ATTEMPTS = 4


@task()
def send_digest(user_id: int, day: str, attempt: int = 1) -> bool:
    """Send one user's digest for ``day`` (YYYY-MM-DD), once (see ``reminders.send_digest``).
    When sending fails, the claim is released and a later attempt is enqueued."""
    user = get_user_model().objects.select_related("preference").filter(pk=user_id).first()
    if user is None:
        return False
    try:
        return reminders.send_digest(user=user, day=datetime.date.fromisoformat(day))
    except Exception:
        if attempt < DIGEST_ATTEMPTS:
            send_digest.using(run_after=timezone.now() + RETRY_AFTER * attempt).enqueue(
                user_id, day, attempt + 1
            )
            logger.warning("Digest for user %s on %s failed: attempt %s", user_id, day, attempt)
        raise


@task()
def notify_followers(change_id: int, user_id: int | None = None, attempt: int = 1) -> int:
    """Tell the followers of a commitment (or, on a later attempt, the one follower whose mail
    failed) about one change of its official status. A refused mail is tried again later, for
    that follower alone, ``NOTICE_ATTEMPTS`` times in all."""
    change = (
        StatusChange.objects.select_related("commitment", "changed_by").filter(pk=change_id).first()
    )
    if change is None:
        return 0
    sent, failed = reminders.notify_followers(change=change, only=user_id)
    for follower_id in failed:
        if attempt < NOTICE_ATTEMPTS:
            notify_followers.using(run_after=timezone.now() + RETRY_AFTER * attempt).enqueue(
                change_id, follower_id, attempt + 1
            )
        else:
            logger.error("Status change %s: gave up on user %s", change_id, follower_id)
    if failed:
        raise RuntimeError(f"Status change {change_id}: {len(failed)} notice(s) not sent")
    return sent


@task()
def send_lockout_notice(lock_id: int, attempt: int = 1) -> bool:
    """Tell a locked username's owner by email (``signin.notify_locked``); a mail the server
    refused is tried again later, ``NOTICE_ATTEMPTS`` times in all."""
    lock = SignInLock.objects.filter(pk=lock_id).first()
    if lock is None:
        return False
    try:
        return signin.notify_locked(lock)
    except Exception:
        if attempt < NOTICE_ATTEMPTS:
            send_lockout_notice.using(run_after=timezone.now() + RETRY_AFTER * attempt).enqueue(
                lock_id, attempt + 1
            )
        logger.warning("Lockout notice %s failed: attempt %s", lock_id, attempt)
        raise


@task()
def send_security_notice(event_id: int, attempt: int = 1) -> bool:
    """Tell an account's owner of a change to how they sign in (``signin.notify_change``); a
    mail the server refused is tried again later, ``NOTICE_ATTEMPTS`` times in all."""
    event = SecurityEvent.objects.select_related("user", "by").filter(pk=event_id).first()
    if event is None:
        return False
    try:
        return signin.notify_change(event)
    except Exception:
        if attempt < NOTICE_ATTEMPTS:
            send_security_notice.using(run_after=timezone.now() + RETRY_AFTER * attempt).enqueue(
                event_id, attempt + 1
            )
        logger.warning("Security notice %s failed: attempt %s", event_id, attempt)
        raise


@task()
def read_kept_file(file_id: int) -> str:
    """Read the words of a kept file into its searched words (``actions.read_words``); a file
    that cannot be read stays kept, marked so. Returns how it went."""
    from .actions.files import read_words

    kept = SourceFile.objects.filter(pk=file_id).first()
    if kept is None:
        return "gone"
    return read_words(kept).extraction
