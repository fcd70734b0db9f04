"""Each user's private calendar address (iCalendar feed of the milestones they can see)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import track_history


def _new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits: the address cannot be guessed


class CalendarFeed(models.Model):
    """A user's secret calendar address. Calendar apps cannot sign in, so whoever holds the
    address reads the milestones its user can see (only those, as the pages would show them
    now), until the user resets it: the old address then answers 404. A deactivated user's
    address answers 404 too. The token is never kept in the history (only that it changed)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("user"),
    )
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    issued_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("issued at")
    )

    history = track_history(secrets=("token",))

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"Calendar of {self.user}"

    @classmethod
    def of(cls, user) -> CalendarFeed:
        feed, _created = cls.objects.get_or_create(user=user)
        return feed

    def reset(self) -> None:
        """A new address; the old one stops working at once."""
        self.token, self.issued_at = _new_token(), timezone.now()
        self.save(update_fields=["token", "issued_at"])
