"""What every record shares: its history, its version, its sources, archiving, timestamps."""

from __future__ import annotations

import datetime
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models import Q
from django.db.models.query import ValuesListIterable
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.hashable import make_hashable
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class ChoiceLabels:
    """``get_<field>_display()`` from each field's labels gathered once. Django gathers them
    again on every call, and a long timeline or list calls it hundreds of times a page; the
    label itself is still translated on each call, into the reader's language."""

    def _get_FIELD_display(self, field):
        return _label(field, getattr(self, field.attname))


@cache
def _labels(field: models.Field) -> dict:
    return dict(make_hashable(field.flatchoices))


def _label(field: models.Field, value) -> str:
    return force_str(_labels(field).get(make_hashable(value), value), strings_only=True)


def label_of(model: type[models.Model], name: str, value) -> str:
    """``get_<name>_display()`` of a record of ``model`` whose ``name`` is ``value``, for rows
    read without their record (``as_lines``)."""
    return _label(model._meta.get_field(name), value)


def content_language(help_text: str) -> models.CharField:
    """The language a record's own words are written in (they are never translated: a quotation
    stays as it was said), as a BCP 47 tag; pages mark the words with it (``lang``)."""
    return models.CharField(
        max_length=10,
        default="en",
        validators=[
            RegexValidator(
                r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                _("A language tag such as en, es or es-MX."),
            )
        ],
        verbose_name=_("language"),
        help_text=help_text,
    )


class AuditTrail(models.Model):
    """Extra columns on every history record (see ``agreements.audit``)."""

    history_via = models.CharField(
        max_length=100, blank=True, help_text="Where the change came from: web, admin, command:…"
    )

    class Meta:
        abstract = True


def track_history(
    *m2m_fields: str, copies: tuple[str, ...] = (), secrets: tuple[str, ...] = ()
) -> HistoricalRecords:
    """Every change to the model kept: who, when, from where, every field's old and new value
    (``copies``, columns copied from a related record for indexes, are not the model's own;
    ``secrets`` are never written to the history, only that the record changed)."""
    return HistoricalRecords(
        bases=[AuditTrail], m2m_fields=list(m2m_fields), excluded_fields=[*copies, *secrets]
    )


class VersionConflict(Exception):
    """The record changed since the version the user started from."""

    def __init__(self, record: models.Model, expected: int, current: int | None):
        super().__init__(f"{record} is at version {current}, not {expected}")
        self.record, self.expected, self.current = record, expected, current


class Versioned(ChoiceLabels, models.Model):
    """Optimistic concurrency: every change bumps ``version``; a form opened at an older
    version cannot save over a newer one (``save_versioned`` raises ``VersionConflict``)."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save_versioned(self, *, expected: int, update_fields: list[str] | None = None) -> None:
        """Save if the stored row is still at ``expected``, as ``expected + 1``; the row is
        locked meanwhile, so of two concurrent saves from the same version one conflicts."""
        with transaction.atomic():
            current = (
                type(self)
                .objects.select_for_update()
                .filter(pk=self.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current != expected:
                raise VersionConflict(self, expected, current)
            self.version = expected + 1
            if update_fields is not None:
                update_fields = [*update_fields, "version"]
                if any(f.name == "updated_at" for f in self._meta.fields):
                    update_fields.append("updated_at")
            self.save(update_fields=update_fields)


class Sourced(ChoiceLabels, models.Model):
    """Any record can cite sources."""

    sources = models.ManyToManyField(
        "agreements.Source",
        blank=True,
        related_name="%(class)s_records",
        verbose_name=_("sources"),
    )

    class Meta:
        abstract = True


class Check(models.CheckConstraint):
    """A CHECK constraint: the invariant stated once, in the database, with the message forms
    show. ``field`` puts that message next to the field it is about (Django's own constraint
    errors are the form's). The database sees a plain CheckConstraint: ``field`` is Python's
    only, so migrations record the plain class."""

    def __init__(self, *args, field: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.field = field

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            if self.field is None:
                raise
            raise ValidationError({self.field: error.error_list}) from None

    def deconstruct(self):
        _path, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs

    def clone(self):
        clone = super().clone()  # rebuilt from deconstruct(), which leaves ``field`` out
        clone.field = self.field
        return clone


class CoveringIndex(models.Index):
    """An index whose entries also carry the ``covers`` columns on PostgreSQL (``INCLUDE``),
    so a walk that filters on them reads the index alone; elsewhere a plain index of its
    fields. Django's own ``include`` says the same but warns on SQLite (models.W040), where
    the checks must pass clean."""

    def __init__(self, *args, covers: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.covers = tuple(covers)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        return path, args, {**kwargs, "covers": self.covers}

    def create_sql(self, model, schema_editor, using="", **kwargs):
        covering = schema_editor.connection.features.supports_covering_indexes
        made = models.Index(
            fields=self.fields, name=self.name, include=self.covers if covering else None
        )
        return made.create_sql(model, schema_editor, using, **kwargs)


def _choose_one_of(choices: type[models.Choices]) -> str:
    """The message of a value outside the vocabulary, in the reader's language."""
    return gettext("Choose one of: %(choices)s.") % {
        "choices": ", ".join(str(label) for label in choices.labels)
    }


def choice_check(
    name: str,
    field: str,
    choices: type[models.Choices],
    *,
    blank: bool = False,
    null: bool = False,
) -> Check:
    """The constraint ``name``: the database accepts only the vocabulary's values in ``field``
    (and "" if ``blank``, NULL if ``null``). The one way every model writes a choice constraint.

    Its message lists the labels, next to the field."""
    values = [*([""] if blank else []), *choices.values]
    condition = Q(**{f"{field}__in": values})
    if null:
        condition |= Q(**{f"{field}__isnull": True})
    return Check(
        condition=condition,
        name=name,
        violation_error_message=lazy(_choose_one_of, str)(choices),
        field=field,
    )


def active_q(model: type[models.Model], prefix: str = "") -> Q:
    """The condition for an active record of ``model``: neither it (when it is archivable) nor
    any record it hangs from (``model.archived_via``, paths such as "meeting") is archived.
    ``prefix`` reads it through a relation, e.g. ``active_q(Commitment, "commitment__")``.

    The one definition of "active": ``ArchivableQuerySet.active()`` and every list, average
    and subquery use it. A null path (a claim about a body has no commitment) counts as active.
    """
    own = [""] if issubclass(model, Archivable) else []
    paths = [*own, *(f"{path}__" for path in getattr(model, "archived_via", ()))]
    return Q(*(Q(**{f"{prefix}{path}archived_at__isnull": True}) for path in paths))


def as_lines(queryset: models.QuerySet, line: type) -> models.QuerySet:
    """``queryset`` read as ``line`` objects (``line.of`` of each row of its ``FIELDS``): what
    a list shows of each record in a line, where model instances and their related ones cost
    more to build than the rows to read. Still a lazy queryset, ordered and sliced as any."""
    rows = queryset.values_list(*line.FIELDS)
    rows._iterable_class = _lines_of(line)  # as ``values_list(named=True)`` sets its own
    return rows


@cache
def _lines_of(line: type) -> type[ValuesListIterable]:
    class Lines(ValuesListIterable):
        def __iter__(self):
            return map(line.of, super().__iter__())

    return Lines


def is_read_only(record: models.Model) -> bool:
    """Archived, or hanging from an archived record (``archived_via``): no change until an
    admin restores it. Read from the record's relations (``actions`` ask the database)."""
    for path in ("", *getattr(record, "archived_via", ())):
        current = record
        for part in path.split("__") if path else ():
            current = getattr(current, part, None)
        if current is not None and getattr(current, "archived_at", None) is not None:
            return True
    return False


class ArchivableQuerySet(models.QuerySet):
    """Records that are archived, or hang from archived ones, leave lists and averages."""

    def active(self):
        return self.filter(active_q(self.model))


class Archivable(models.Model):
    """Records are archived, never deleted: archived ones leave lists and averages but stay
    reachable by link, and an admin can restore them. ``archived_via`` names the archivable
    records this one hangs from: archiving a meeting archives what it holds, for lists."""

    archived_via: tuple[str, ...] = ()

    archived_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("archived at")
    )
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("archived by"),
    )

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_read_only(self) -> bool:
        return is_read_only(self)

    def archive(self, *, by: AbstractBaseUser, reason: str) -> None:
        """Archive the record (a versioned change, kept in its history with the reason)."""
        self._set_archived(timezone.now(), by, reason)

    def restore(self, *, by: AbstractBaseUser, reason: str) -> None:
        self._set_archived(None, None, reason, by=by)

    def _set_archived(self, at, archived_by, reason: str, *, by=None) -> None:
        if not reason or not reason.strip():
            raise ValidationError(
                {"reason": gettext("Say why: it is kept in the record's history.")}
            )
        try:  # no database keeps a NUL character in a text (PostgreSQL refuses it)
            ProhibitNullCharactersValidator()(reason)
        except ValidationError as error:
            raise ValidationError({"reason": error.messages}) from None
        self.archived_at, self.archived_by = at, archived_by
        self._change_reason = reason.strip()
        self._history_user = by or archived_by
        self.save_versioned(expected=self.version, update_fields=["archived_at", "archived_by"])


class Timestamped(ChoiceLabels, models.Model):
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        abstract = True


def as_index(mean_score: float | None) -> float | None:
    """Mean score on the 0–3 scale as a percentage, one decimal; None stays None."""
    return None if mean_score is None else round(mean_score / 3 * 100, 1)


def refuse_dated_outside(
    day: datetime.date, since: datetime.date, *, field: str, future=None, before=None
) -> None:
    """A fact happened between its meeting (``since``) and today: dated beyond today it would
    stand as the latest until then, and nothing could put it right. Refused next to ``field``
    with the messages given (``before`` takes the meeting's %(date)s), or general ones."""
    if day > timezone.localdate():
        raise ValidationError({field: future or gettext("It cannot be dated in the future.")})
    if day < since:
        before = before or gettext("It cannot be dated before its meeting (%(date)s).")
        raise ValidationError({field: before % {"date": date_format(since, "j M Y")}})
