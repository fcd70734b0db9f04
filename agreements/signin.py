"""Sign-in throttling: django-axes, extended (``AXES_HANDLER``) with a lock on a username from
every address, and the security log's sign-in events.

Two limits, both on both sign-in pages (ours and the admin's) and on "confirm it is you":

- django-axes's own: ``AXES_FAILURE_LIMIT`` failures for one username from one address lock
  that pair for ``AXES_COOLOFF_TIME`` (5 in 15 minutes);
- this module's: ``USERNAME_FAILURE_LIMIT`` failures for one username from any mix of
  addresses within ``USERNAME_FAILURE_WINDOW`` lock the username for every address for that
  long again (20 in 24 hours), or until a records admin unlocks it (admin → Locked usernames);
  the account's owner is told by email. A successful sign-in does not reset this count: the
  owner signing in gives a guesser no more tries.

The failures are counted from the security log (``SecurityEvent``, kind ``sign_in_failed``),
which keeps every one; an attempt refused because of a lock is logged as refused and counts
for neither limit's start. Unknown usernames are counted and locked alike, so the answer never
tells whether an account exists (only an existing account's owner gets the email).
"""

from __future__ import annotations

from functools import partial

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from .actions.security import Kind, record_event
from .models import SecurityEvent, SignInLock

# Which lock refused or locked the request (``request.sign_in_lock``), for the answer's words.
ADDRESS, USERNAME = "address", "username"


class SignInHandler(AxesDatabaseHandler):
    """django-axes's database handler, plus the username lock and the security log."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        username = get_client_username(request, credentials)
        if username and SignInLock.objects.holding().filter(username=username).exists():
            request.sign_in_lock = USERNAME
            return True
        if super().is_locked(request, credentials):
            request.sign_in_lock = ADDRESS
            return True
        return False

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        refused = getattr(request, "sign_in_lock", None) if request is not None else None
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None:
            return
        username = (get_client_username(request, credentials) or "")[:150]
        account = _account(username)
        if refused:
            record_event(
                Kind.SIGN_IN_REFUSED,
                request=request,
                user=account,
                username=username,
                detail=refused,
            )
            _answer_locked(request, credentials, refused)
            return
        record_event(Kind.SIGN_IN_FAILED, request=request, user=account, username=username)
        if request.axes_locked_out:  # django-axes has just locked this username and address
            request.sign_in_lock = ADDRESS
            record_event(
                Kind.LOCKED_FROM_ADDRESS,
                request=request,
                user=account,
                username=username,
                detail=f"{request.axes_failures_since_start} failures",
            )
        if username and lock_if_due(username, request=request, account=account):
            _answer_locked(request, credentials, USERNAME)

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        page = "admin" if request.path.startswith("/admin/") else ""
        record_event(Kind.SIGNED_IN, request=request, user=user, detail=page)

    def user_logged_out(self, sender, request, user, **kwargs):
        super().user_logged_out(sender, request, user, **kwargs)
        if user is not None:
            record_event(Kind.SIGNED_OUT, request=request, user=user)


def _account(username: str):
    if not username:
        return None
    return get_user_model().objects.filter(username=username).first()


def _answer_locked(request: HttpRequest, credentials: dict | None, scope: str) -> None:
    """Have ``axes.middleware.AxesMiddleware`` answer this request with the lockout page."""
    request.axes_locked_out = True
    request.axes_credentials = credentials
    request.sign_in_lock = scope


def lock_if_due(username: str, *, request: HttpRequest, account=None) -> SignInLock | None:
    """Lock ``username`` for every address when it has had ``USERNAME_FAILURE_LIMIT`` failed
    sign-ins within ``USERNAME_FAILURE_WINDOW`` (since the last unlock, if later), unless it
    is locked already; tell the account's owner by email. Returns the new lock, if any."""
    now = timezone.now()
    window = settings.USERNAME_FAILURE_WINDOW
    since = now - window
    unlocked = SignInLock.objects.filter(username=username, unlocked_at__gt=since).aggregate(
        last=Max("unlocked_at")
    )["last"]
    failures = SecurityEvent.objects.filter(
        username=username, kind=Kind.SIGN_IN_FAILED, at__gt=max(since, unlocked or since)
    )
    count = failures.count()
    if count < settings.USERNAME_FAILURE_LIMIT:
        return None
    with transaction.atomic():
        if SignInLock.objects.holding(now).filter(username=username).exists():
            return None
        lock = SignInLock.objects.create(
            username=username,
            locked_at=now,
            until=now + window,
            failures=count,
            addresses=failures.exclude(ip_address=None).values("ip_address").distinct().count(),
        )
        record_event(
            Kind.USERNAME_LOCKED,
            request=request,
            user=account,
            username=username,
            detail=f"{lock.failures} failures from {lock.addresses} addresses",
        )
        if account is not None and account.email and account.is_active:
            from . import tasks

            transaction.on_commit(partial(tasks.send_lockout_notice.enqueue, lock.pk), robust=True)
    return lock


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """The answer to a locked-out sign-in (``AXES_LOCKOUT_CALLABLE``): which lock, and for how
    long, the same for an account that exists and one that does not."""
    scope = getattr(request, "sign_in_lock", ADDRESS)
    context = {
        "scope": scope,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "hours": int(settings.USERNAME_FAILURE_WINDOW.total_seconds() // 3600),
    }
    return render(
        request, settings.AXES_LOCKOUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE
    )


def notify_locked(lock: SignInLock) -> bool:
    """Tell the owner of a locked username, in their language: how many failed sign-ins, from
    how many addresses, until when, and what to do. False when there is nobody to tell."""
    from .reminders import absolute, render_mail

    account = _account(lock.username)
    if account is None or not account.email or not account.is_active:
        return False
    context = {"lock": lock, "sign_in_url": absolute(reverse("login"))}
    render_mail("username_locked", context, account).send()
    return True


def notify_change(event: SecurityEvent) -> bool:
    """Tell an account's owner, in their language, of a change to how they sign in or to what
    opens the tracker without their password (``actions.security.NOTIFIED``): what, when, from
    which address, by whom if not them. False when there is nobody to tell."""
    from .reminders import render_mail

    account = event.user
    if account is None or not account.email or not account.is_active:
        return False
    render_mail("security_notice", {"event": event}, account).send()
    return True
