"""Records read from the database made without Django's ``Model.__init__`` (``QuickLoad``).

Every row a query reads becomes a record through ``Model.from_db``, which Django documents as
the place to change how that is done. Django's lays the row's values out along every column of
the model (a placeholder for each column not read), then calls ``__init__``, which sets each
value through the column's descriptor and sends ``pre_init`` and ``post_init``. The admin's
list of commitments builds four records a row (the commitment, its meeting, the meeting's team,
its theme), 200 a page: that was about 1.6 ms of the page's 13 ms of Python's time.

A record made by ``QuickLoad`` is the same as Django's: the same state (not being added, the
database it came from), the values read in its ``__dict__`` under the same names in the same
order, the columns not read left out (read on first use, as Django's deferred columns are).
Only when nothing can tell the difference: the model keeps Django's ``__init__``, every column
is read by Django's own plain descriptor (whose setting on a new record only stores the
value), and no receiver listens to ``pre_init`` or ``post_init`` for the model. Otherwise the
record is made by Django's ``from_db``.
"""

from __future__ import annotations

from django.db import models
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

# Descriptors whose setting of a value on a new record only stores it in ``__dict__``.
_PLAIN = (DeferredAttribute, ForeignKeyDeferredAttribute)

# Each model's column names (``attname``) in the order of its columns, or None when its
# records must be made by Django's ``from_db`` (see the module).
_COLUMNS: dict[type, tuple[str, ...] | None] = {}

# The names of the columns a query read, in the order of the model's columns, by model and by
# the names as the query gives them (the same few shapes of query for every page).
_READ: dict[tuple, list[str]] = {}


def _columns(model: type[models.Model]) -> tuple[str, ...] | None:
    try:
        return _COLUMNS[model]
    except KeyError:
        pass
    fields = model._meta.concrete_fields
    plain = model.__init__ is models.Model.__init__ and all(
        type(model.__dict__.get(field.attname)) in _PLAIN for field in fields
    )
    columns = _COLUMNS[model] = tuple(field.attname for field in fields) if plain else None
    return columns


def _read(model, columns: tuple[str, ...], field_names) -> list[str]:
    """The names of the columns read, in the order of the model's columns: the order of the
    values Django's ``from_db`` is given (it lays them out the same way)."""
    key = (model, tuple(field_names))
    try:
        return _READ[key]
    except KeyError:
        pass
    if len(_READ) >= 1000:  # a few shapes a model; only a bound, never reached
        _READ.clear()
    read = _READ[key] = [name for name in columns if name in field_names]
    return read


class QuickLoad:
    """Mixed into a model (before ``models.Model``): its records read from the database made
    as the module says."""

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        columns = _columns(cls)
        if columns is None or pre_init.has_listeners(cls) or post_init.has_listeners(cls):
            return super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        record = cls.__new__(cls)
        state = record._state = ModelState()
        state.adding = False
        state.db = db
        if fetch_mode is not None:
            state.fetch_mode = fetch_mode
        if len(values) == len(columns):
            record.__dict__.update(zip(columns, values, strict=True))
        else:
            record.__dict__.update(zip(_read(cls, columns, field_names), values, strict=True))
        return record
