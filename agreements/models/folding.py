"""Text compared as people type it, accents and case aside: "Rodriguez" finds Rodríguez, "méx"
finds Mexico.

``fold`` is one SQL function on both databases, ``agreements_fold(text)``: on PostgreSQL
``lower(unaccent(text))``, an immutable wrapper of the ``unaccent`` extension (created with the
database's rules, migrations/_rules.py); on SQLite this module's ``fold``, registered on every
connection as it opens. The lookup ``fold_contains`` folds both sides (``name__fold_contains``),
and ``found_by`` builds a picker's match from it: each word typed in one of the fields.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.backends.signals import connection_created
from django.db.models import Q


def fold(text: str | None) -> str | None:
    """``text`` lowercased, its letters without their accents (é → e, ñ → n)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _register_fold(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("agreements_fold", 1, fold, deterministic=True)


connection_created.connect(_register_fold, dispatch_uid="agreements_fold")


@models.CharField.register_lookup
@models.TextField.register_lookup
class FoldedContains(models.Lookup):
    """``field__fold_contains=words``: the words appear in the field, both folded (``fold``)."""

    lookup_name = "fold_contains"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        params = (*lhs_params, *(connection.ops.prep_for_like_query(p) for p in rhs_params))
        pattern = connection.pattern_ops["contains"].format(f"agreements_fold({rhs})")
        return f"agreements_fold({lhs}) {pattern}", params


YEAR = re.compile(r"^\d{4}$")


def found_by(fields: tuple[str, ...], words: str) -> Q:
    """Rows where each word of ``words`` is in one of ``fields`` (folded). A field named
    ``<date>__year`` matches a word that is that year ("2025")."""
    match = Q()
    for word in words.split():
        each = Q()
        for field in fields:
            if field.endswith("__year"):
                if YEAR.match(word):
                    each |= Q(**{field: int(word)})
            else:
                each |= Q(**{f"{field}__fold_contains": word})
        match &= each
    return match


def crosses_many(model: type[models.Model], fields: tuple[str, ...]) -> bool:
    """Whether a path of ``fields`` goes through a to-many relation (its matches then repeat
    rows, and need ``distinct()``)."""
    for path in fields:
        current = model
        for name in path.split("__"):
            try:
                field = current._meta.get_field(name)
            except FieldDoesNotExist:  # a transform ("year"), not a field
                break
            if field.many_to_many or field.one_to_many:
                return True
            if not field.is_relation:
                break
            current = field.related_model
    return False
