"""A record's change history, read from django-simple-history's tables as a list of entries:
who (or which command), when, from where, why, and each field's old and new value.

A fixed number of queries whatever the length of the history: the history rows, one query per
many-to-many field for its snapshots, one per related model for the names shown.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import system_texts

# Bookkeeping columns that change with every save and say nothing to a reader.
IGNORED = {"id", "created_at", "updated_at", "version"}
KINDS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime.datetime
    kind: str
    who: str
    via: str
    reason: str
    changes: list[FieldChange] = field(default_factory=list)


def history_of(record: models.Model, *, limit: int = 500) -> list[HistoryEntry]:
    """The record's history, newest first."""
    model = type(record)
    rows = list(
        record.history.select_related("history_user").order_by("-history_date", "-history_id")[
            :limit
        ]
    )
    rows.reverse()
    kept = {f.name for f in record.history.model._meta.fields}  # not the copies (``excluded``)
    fields = [f for f in model._meta.concrete_fields if f.name in kept and f.name not in IGNORED]
    names = _related_names(fields, rows)
    snapshots = _m2m_snapshots(record, rows)
    entries, previous = [], None
    for row in rows:
        current = {f.name: _shown(f, getattr(row, f.attname), names) for f in fields}
        current |= snapshots.get(row.history_id, {})
        if previous is None:
            changes = [FieldChange(_label(model, k), "", v) for k, v in current.items() if v]
        else:
            changes = [
                FieldChange(_label(model, k), previous.get(k, ""), v)
                for k, v in current.items()
                if previous.get(k, "") != v
            ]
        if row.history_type != "~" or changes:
            entries.append(
                HistoryEntry(
                    when=row.history_date,
                    kind=str(KINDS.get(row.history_type, row.history_type)),
                    who=row.history_user.get_username() if row.history_user else "",
                    via=row.history_via,
                    reason=system_texts.shown(row.history_change_reason),
                    changes=changes,
                )
            )
        previous = current
    entries.reverse()
    return entries


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name).capitalize()


def _shown(f: models.Field, value, names: dict) -> str:
    if value is None or value == "":
        return ""
    if f.is_relation:
        return names.get((f.related_model, value), f"#{value}")
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _related_names(fields, rows) -> dict:
    """Names of every related record the history mentions: one query per related model."""
    wanted = defaultdict(set)
    for f in fields:
        if f.is_relation:
            for row in rows:
                if (value := getattr(row, f.attname)) is not None:
                    wanted[f.related_model].add(value)
    names = {}
    for related, pks in wanted.items():
        for obj in related._base_manager.filter(pk__in=pks):
            names[(related, obj.pk)] = str(obj)
    return names


def _m2m_snapshots(record, rows) -> dict[int, dict[str, str]]:
    """For each history row, its many-to-many fields as text (e.g. the sources cited)."""
    history_model = record.history.model
    ids = [row.history_id for row in rows]
    snapshots: dict[int, dict[str, str]] = defaultdict(dict)
    for relation in history_model._meta.related_objects:
        through = relation.related_model
        target = next(
            (
                f
                for f in through._meta.fields
                if f.is_relation and f.name not in ("history", type(record)._meta.model_name)
            ),
            None,
        )
        if target is None:
            continue
        name = relation.name.removeprefix(f"{history_model._meta.model_name}_")
        pairs = list(
            through.objects.filter(history_id__in=ids).values_list("history_id", target.attname)
        )
        labels = {
            obj.pk: str(obj)
            for obj in target.related_model._base_manager.filter(pk__in={pk for _, pk in pairs})
        }
        chosen = defaultdict(list)
        for history_id, pk in pairs:
            chosen[history_id].append(labels.get(pk, f"#{pk}"))
        for history_id in ids:
            snapshots[history_id][name] = ", ".join(sorted(chosen.get(history_id, [])))
    return snapshots


def participants_history(meeting, *, limit: int = 500) -> list[HistoryEntry]:
    """Who was added to, changed at, or removed from the meeting, newest first (a participant
    has no page of its own: its history is the meeting's). One query for the rows, one each
    for the names of the persons and parties they mention."""
    from .models import Participant, ParticipantRole

    rows = list(
        Participant.history.filter(meeting_id=meeting.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:limit]
    )
    rows.reverse()
    persons = _names(Participant._meta.get_field("person").related_model, rows, "person_id")
    parties = _names(Participant._meta.get_field("party").related_model, rows, "party_id")
    roles = dict(ParticipantRole.choices)

    def described(row) -> str:
        person = persons.get(row.person_id, f"#{row.person_id}")
        party = parties.get(row.party_id, f"#{row.party_id}")
        return gettext("%(person)s, %(office)s (%(role)s, for %(party)s)") % {
            "person": person,
            "office": row.office,
            "role": roles.get(row.role, row.role),
            "party": party,
        }

    entries, last = [], {}
    for row in rows:
        before = last.get(row.id, "")
        now = "" if row.history_type == "-" else described(row)
        if row.history_type == "-":
            now, before = "", before or described(row)
        last[row.id] = now
        if before == now:
            continue
        entries.append(
            HistoryEntry(
                when=row.history_date,
                kind={
                    "+": gettext("Participant added"),
                    "-": gettext("Participant removed"),
                }.get(row.history_type, gettext("Participant changed")),
                who=row.history_user.get_username() if row.history_user else "",
                via=row.history_via,
                reason=system_texts.shown(row.history_change_reason),
                changes=[FieldChange(gettext("Participant"), before, now)],
            )
        )
    entries.reverse()
    return entries


def _names(model, rows, attname: str) -> dict:
    pks = {getattr(row, attname) for row in rows} - {None}
    return {obj.pk: str(obj) for obj in model._base_manager.filter(pk__in=pks)}
