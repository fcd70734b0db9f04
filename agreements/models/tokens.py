"""Keys a user's scripts read the API with."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import track_history


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A key for the read API (``Authorization: Bearer <key>``): it reads what its user may
    see, until the user or an admin revokes it. Only a digest is kept: the key is shown once,
    when it is made, and cannot be read back from the database."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(
        max_length=100,
        verbose_name=_("name"),
        help_text=_("What it is for, e.g. “the data portal”."),
    )
    prefix = models.CharField(
        max_length=8,
        editable=False,
        verbose_name=_("prefix"),
        help_text=_("Its first characters."),
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("last used at")
    )
    revoked_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("revoked at")
    )

    objects = ApiTokenQuerySet.as_manager()
    history = track_history(secrets=("digest",))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user, name: str) -> tuple[ApiToken, str]:
        """A new token and its key (to show once)."""
        key = "at_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[:8], digest=digest(key))
        return token, key

    @classmethod
    def holder(cls, key: str):
        """The user a live key reads as (its use noted, at most once a minute), else None."""
        token = cls.objects.live().select_related("user").filter(digest=digest(key)).first()
        if token is None:
            return None
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)  # not a change to trace
        return token.user

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
