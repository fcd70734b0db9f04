"""The security log, and usernames locked after failed sign-ins from any mix of addresses.

``SecurityEvent`` is append-only: each sign-in, failure, lockout, unlock, second-factor change,
password change, API key and calendar address change, with who, when and from where. It is
written by ``actions.security`` (which also writes it as a JSON line to the logs) and read by
records admins in the admin, never changed there. On PostgreSQL the database refuses UPDATE
and DELETE on it (migration 0005).

``SignInLock`` is a username locked for every address (``agreements.signin``): it holds until
its time is up or a records admin unlocks it.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import ChoiceLabels, choice_check


class SecurityEventKind(models.TextChoices):
    SIGNED_IN = "signed_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_IN_REFUSED = "sign_in_refused", _("Sign-in refused: locked")
    LOCKED_FROM_ADDRESS = "locked_from_address", _("Locked out from one address")
    USERNAME_LOCKED = "username_locked", _("Username locked for every address")
    UNLOCKED = "unlocked", _("Unlocked by an admin")
    SIGNED_OUT = "signed_out", _("Signed out")
    SECOND_FACTOR_PASSED = "second_factor_passed", _("Second factor given")
    SECOND_FACTOR_FAILED = "second_factor_failed", _("Wrong second-factor code")
    IDENTITY_CONFIRMED = "identity_confirmed", _("Confirmed it was them, for a change")
    SECOND_FACTOR_ON = "second_factor_on", _("Two-factor sign-in turned on")
    SECOND_FACTOR_OFF = "second_factor_off", _("Two-factor sign-in turned off")
    RECOVERY_CODES_MADE = "recovery_codes_made", _("New recovery codes made")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    API_KEY_MADE = "api_key_made", _("API key made")
    API_KEY_REVOKED = "api_key_revoked", _("API key revoked")
    CALENDAR_ADDRESS_MADE = "calendar_address_made", _("Calendar address made")
    CALENDAR_ADDRESS_RESET = "calendar_address_reset", _("Calendar address replaced")


class SecurityEvent(ChoiceLabels, models.Model):
    """One event of the security log. ``username`` is the account it concerns (as typed, for a
    failed sign-in: it may name nobody), ``user`` that account when it exists, ``by`` who acted
    when that is someone else (an admin unlocking, revoking, removing a device); ``ip_address``
    and ``user_agent`` say from where, ``request_id`` finds the request in the logs."""

    at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("when"))
    kind = models.CharField(
        max_length=30, choices=SecurityEventKind.choices, verbose_name=_("what")
    )
    username = models.CharField(max_length=150, blank=True, verbose_name=_("username"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # The log outlives nothing it names: an account with a security history is
        # deactivated, not deleted.
        on_delete=models.PROTECT,
        related_name="security_events",
        verbose_name=_("user"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Who did it, when not the user themselves (an admin)."),
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("address"))
    user_agent = models.CharField(max_length=300, blank=True, verbose_name=_("browser"))
    path = models.CharField(max_length=200, blank=True, verbose_name=_("page"))
    request_id = models.CharField(max_length=100, blank=True, verbose_name=_("request id"))
    detail = models.CharField(max_length=200, blank=True, verbose_name=_("detail"))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("security event")
        verbose_name_plural = _("security log")
        indexes = [
            # The failures of one username in a window (``agreements.signin``).
            models.Index(fields=["username", "kind", "at"], name="security_event_username"),
            models.Index(fields=["at"], name="security_event_at"),
        ]
        constraints = [choice_check("security_event_kind_valid", "kind", SecurityEventKind)]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.username or '-'} ({self.at:%Y-%m-%d %H:%M})"


class SignInLockQuerySet(models.QuerySet):
    def holding(self, now: datetime.datetime | None = None):
        """Locks in force: not unlocked, and not yet over."""
        return self.filter(unlocked_at__isnull=True, until__gt=now or timezone.now())


class SignInLock(models.Model):
    """A username refused sign-in from every address after ``failures`` failed sign-ins from any
    mix of addresses (``settings.USERNAME_FAILURE_LIMIT`` within ``USERNAME_FAILURE_WINDOW``),
    until ``until`` or until a records admin unlocks it. Unknown usernames are locked alike, so
    the answer never tells whether an account exists."""

    username = models.CharField(max_length=150, verbose_name=_("username"))
    locked_at = models.DateTimeField(default=timezone.now, verbose_name=_("locked at"))
    until = models.DateTimeField(verbose_name=_("until"))
    failures = models.PositiveIntegerField(verbose_name=_("failed sign-ins"))
    addresses = models.PositiveIntegerField(verbose_name=_("from addresses"))
    unlocked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("unlocked at"))
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unlocked by"),
    )

    objects = SignInLockQuerySet.as_manager()

    class Meta:
        ordering = ["-locked_at", "-pk"]
        verbose_name = _("locked username")
        verbose_name_plural = _("locked usernames")
        indexes = [models.Index(fields=["username", "until"], name="sign_in_lock_username")]

    def __str__(self) -> str:
        return self.username

    @property
    def holds(self) -> bool:
        return self.unlocked_at is None and self.until > timezone.now()
