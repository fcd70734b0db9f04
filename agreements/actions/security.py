"""Account security: the security log, and every change to how someone signs in or what opens
the tracker without a password (API keys, calendar addresses, the second factor), each of which
writes its event in the log.

``record_event`` writes one ``SecurityEvent`` (who, when, from where) and the same as a JSON
line to the logs (the ``security`` logger, at INFO whatever ``LOG_LEVEL`` says: see settings).
The sign-in events themselves (signed in, failed, refused, locked) are recorded by the sign-in
handler, ``agreements.signin``; the rest here, by the action that makes the change.
"""

from __future__ import annotations

import logging
from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker.logs import current_request_id
from tracker.proxy import client_ip

from .. import system_texts
from ..models import ApiToken, CalendarFeed, SecurityEvent, SecurityEventKind, SignInLock
from .base import trace

logger = logging.getLogger("security")

Kind = SecurityEventKind
# Changes the account's owner is told of by email (``tasks.send_security_notice``), wherever
# they were made from: if it was not them, they know at once.
NOTIFIED = {
    Kind.PASSWORD_CHANGED,
    Kind.SECOND_FACTOR_ON,
    Kind.SECOND_FACTOR_OFF,
    Kind.RECOVERY_CODES_MADE,
    Kind.API_KEY_MADE,
    Kind.CALENDAR_ADDRESS_MADE,
}
RECOVERY_CODES = 10
# The name of the recovery codes' device (stored, and looked up by it): not interface text.
RECOVERY = "Recovery codes"


def record_event(
    kind: str,
    *,
    request: HttpRequest | None = None,
    user: AbstractBaseUser | None = None,
    username: str = "",
    by: AbstractBaseUser | None = None,
    detail: str = "",
) -> SecurityEvent:
    """One event of the security log about ``user`` (or, when there is no such account, the
    ``username`` typed), made by ``by`` when that is someone else, from ``request``'s address.
    Written to the database and, as a JSON line, to the logs."""
    if user is not None and not user.is_authenticated:
        user = None
    username = (user.get_username() if user is not None else username)[:150]
    if by is not None and (not by.is_authenticated or by == user):
        by = None
    meta = request.META if request is not None else {}
    address = getattr(request, "axes_ip_address", None) if request is not None else None
    if request is not None and address is None:
        address = client_ip(request)
    event = SecurityEvent.objects.create(
        kind=kind,
        username=username,
        user=user,
        by=by,
        ip_address=address or None,
        user_agent=str(meta.get("HTTP_USER_AGENT", ""))[:300],
        path=(request.path if request is not None else "")[:200],
        request_id=(getattr(request, "request_id", None) or current_request_id.get() or "")[:100],
        detail=detail[:200],
    )
    logger.info(
        "%s %s",
        kind,
        username or "-",
        extra={
            "event": kind,
            "username": username,
            "user_id": user.pk if user is not None else None,
            "by": by.get_username() if by is not None else None,
            "ip_address": event.ip_address,
            "user_agent": event.user_agent,
            "path": event.path,
            "detail": detail or None,
            "event_id": event.pk,
        },
    )
    if kind in NOTIFIED and user is not None and user.email and user.is_active:
        from .. import tasks

        transaction.on_commit(partial(tasks.send_security_notice.enqueue, event.pk), robust=True)
    return event


# --- API keys and calendar addresses -------------------------------------------------------------


@transaction.atomic
def make_api_key(
    *, user: AbstractBaseUser, name: str, request: HttpRequest
) -> tuple[ApiToken, str]:
    """A new key for ``user``'s scripts; returns it with the key itself, to show once."""
    token, key = ApiToken.issue(user, name)
    record_event(Kind.API_KEY_MADE, request=request, user=user, detail=f"{token}")
    return token, key


@transaction.atomic
def revoke_api_key(*, token: ApiToken, by: AbstractBaseUser, request: HttpRequest) -> None:
    """The key stops opening the API at once (its user's own doing, or an admin's)."""
    trace(token, by, "" if by == token.user else system_texts.stored("token_revoked_by_admin"))
    token.revoke()
    record_event(Kind.API_KEY_REVOKED, request=request, user=token.user, by=by, detail=f"{token}")


@transaction.atomic
def make_calendar_address(*, user: AbstractBaseUser, request: HttpRequest) -> CalendarFeed:
    """``user``'s private calendar address, made now (or the one they have)."""
    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if created:
        record_event(Kind.CALENDAR_ADDRESS_MADE, request=request, user=user)
    return feed


@transaction.atomic
def reset_calendar_address(
    *, feed: CalendarFeed, by: AbstractBaseUser, request: HttpRequest
) -> None:
    """A new address for the feed; the old one answers 404 from now on."""
    trace(feed, by, "" if by == feed.user else system_texts.stored("feed_retired_by_admin"))
    feed.reset()
    record_event(Kind.CALENDAR_ADDRESS_RESET, request=request, user=feed.user, by=by)


# --- The second factor ---------------------------------------------------------------------------


@transaction.atomic
def turn_on_second_factor(*, device: TOTPDevice, request: HttpRequest) -> list[str]:
    """Confirm the user's new authenticator app (its first code was right); returns their new
    recovery codes, to show once."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(device.user)
    record_event(Kind.SECOND_FACTOR_ON, request=request, user=device.user)
    return codes


@transaction.atomic
def make_recovery_codes(*, user: AbstractBaseUser, request: HttpRequest) -> list[str]:
    """Ten new recovery codes, each good once; the old ones stop working."""
    codes = _new_recovery_codes(user)
    record_event(Kind.RECOVERY_CODES_MADE, request=request, user=user)
    return codes


@transaction.atomic
def turn_off_second_factor(
    *, user: AbstractBaseUser, by: AbstractBaseUser, request: HttpRequest, detail: str = ""
) -> int:
    """Remove every second-factor device of ``user`` (their app and recovery codes): by
    themselves, or by an admin for someone who lost both. Returns how many were removed."""
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    if removed:
        record_event(Kind.SECOND_FACTOR_OFF, request=request, user=user, by=by, detail=detail)
    return removed


def _new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


# --- Passwords and locks -------------------------------------------------------------------------


def password_changed(*, user: AbstractBaseUser, by: AbstractBaseUser, request: HttpRequest) -> None:
    """Note a password change (Django's forms save it): by its user, or set by an admin."""
    record_event(Kind.PASSWORD_CHANGED, request=request, user=user, by=by)


@transaction.atomic
def unlock_username(*, lock: SignInLock, by: AbstractBaseUser, request: HttpRequest) -> bool:
    """A records admin lets a locked username sign in again, from every address: the lock ends
    and the failures counted so far are forgotten (the per-address ones of django-axes too).
    False when the lock had already ended."""
    from axes.handlers.proxy import AxesProxyHandler

    lock = SignInLock.objects.select_for_update().get(pk=lock.pk)
    if not lock.holds:
        return False
    lock.unlocked_at, lock.unlocked_by = timezone.now(), by
    lock.save(update_fields=["unlocked_at", "unlocked_by"])
    AxesProxyHandler.reset_attempts(username=lock.username)
    account = get_user_model().objects.filter(username=lock.username).first()
    record_event(Kind.UNLOCKED, request=request, user=account, username=lock.username, by=by)
    return True
