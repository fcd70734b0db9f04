"""A commitment's vocabularies: the implementation scale (the Peace Accords Matrix's 0–3), how
a commitment ended early, and a party's role in it. Below the commitment's queries and model,
which both read them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImplementationStatus(models.IntegerChoices):
    """Peace Accords Matrix ordinal scale."""

    NOT_STARTED = 0, _("Not started")
    MINIMAL = 1, _("Minimal")
    INTERMEDIATE = 2, _("Intermediate")
    COMPLETE = 3, _("Complete")


class Cancellation(models.TextChoices):
    CANCELLED = "cancelled", _("Cancelled")
    SUPERSEDED = "superseded", _("Superseded")


class PartyRole(models.TextChoices):
    COMMITTED = "committed", _("Committed")
    JOINT = "joint", _("Joint")
    COUNTERPART = "counterpart", _("Counterpart")
    IMPLEMENTER = "implementer", _("Implementer")
