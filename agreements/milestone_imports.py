"""Milestones from a spreadsheet, into one meeting (``plan_milestones``): each row checked
with the form the checklist uses and matched to the milestone it updates, by ``id`` or by what
it is a step of and its title. The file's lines, their checks and the plan's shape are
``imports``' (see there for the whole of an import)."""

from __future__ import annotations

import datetime

import tablib
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from . import models as m
from .forms.milestones import MilestoneImportForm
from .imports import Plan, Row, checked, file_lines, once, planned


def plan_milestones(meeting: m.Meeting, dataset: tablib.Dataset, seen: dict | None = None) -> Plan:
    """Every milestone row checked and matched (see the module). A row names what it is a step
    of by ``commitment`` (a commitment's title or reference), ``body`` (a body's name), or
    ``of`` as an export writes it ("meeting: …" for the meeting itself, "commitment: …",
    "body: …"). An import never moves a saved
    milestone's date: that is a reschedule, whose reason is kept (the commitment's page)."""
    seen = seen or {}
    existing = list(
        m.Milestone.objects.filter(
            Q(meeting=meeting) | Q(commitment__meeting=meeting) | Q(body__meeting=meeting)
        )
    )
    by_id = {str(ms.pk): ms for ms in existing}
    by_parent = {
        (ms.meeting_id, ms.commitment_id, ms.body_id, ms.title.casefold()): ms for ms in existing
    }
    commitments = {}
    for commitment in m.Commitment.objects.filter(meeting=meeting):
        commitments[commitment.title.casefold()] = commitment
        if commitment.reference:
            commitments[commitment.reference.casefold()] = commitment
    bodies = {b.name.casefold(): b for b in m.ImplementationBody.objects.filter(meeting=meeting)}
    rows, lines = [], {}
    for row, values in file_lines(dataset):
        rows.append(row)
        target = by_id.get(values["id"]) if values.get("id") else None
        if values.get("id") and target is None:
            row.errors.append(
                ("id", _("Not a milestone of this meeting: leave it empty to add one."))
            )
            row.outcome = "error"
            continue
        parent, column = _parent(values, meeting, commitments, bodies)
        if parent is None and target is not None:
            parent = target.belongs_to
        if parent is None:
            row.errors.append(
                (
                    column,
                    _(
                        "Name the commitment (its title or reference) or body it is a step "
                        "of, or “meeting” for the meeting itself."
                    ),
                )
            )
        elif target is None:
            parent_key = (
                parent.pk if isinstance(parent, m.Meeting) else None,
                parent.pk if isinstance(parent, m.Commitment) else None,
                parent.pk if isinstance(parent, m.ImplementationBody) else None,
                row.title.casefold(),
            )
            target = by_parent.get(parent_key)
        key = (type(parent).__name__, getattr(parent, "pk", 0), row.title.casefold())
        once(row, target.pk if target else key, lines, "milestone")
        if parent is None:
            row.outcome = "error"
            continue
        instance = target or m.Milestone(
            meeting=parent if isinstance(parent, m.Meeting) else None,
            commitment=parent if isinstance(parent, m.Commitment) else None,
            body=parent if isinstance(parent, m.ImplementationBody) else None,
        )
        data = {name: values.get(name, "") for name in MilestoneImportForm.Meta.fields}
        for name in MilestoneImportForm.Meta.fields:
            if name not in values and target is not None:
                value = getattr(target, name)
                data[name] = value.isoformat() if hasattr(value, "isoformat") else value
        form = MilestoneImportForm(data, instance=instance)
        if checked(row, form, whole="due_date") and target and "due_date" in form.changed_data:
            row.errors.append(
                (
                    "due_date",
                    _(
                        "An import does not move a milestone: give it a new date on its "
                        "commitment's page, where the reason is kept."
                    ),
                )
            )
        completed_on = _completed_on(row, values, meeting, target)
        if row.errors:
            row.outcome = "error"
            continue
        changed = list(form.changed_data)
        if completed_on is not None and completed_on != form.instance.completed_on:
            form.instance.status, form.instance.completed_on = m.MilestoneStatus.DONE, completed_on
            changed.append("completed_on")
        planned(row, form, target, changed, seen)
    return Plan(rows)


def _completed_on(row: Row, values: dict, meeting: m.Meeting, target) -> datetime.date | None:
    """The day a milestone row says it was done, checked as the checklist checks it; None when
    it says none. An empty cell leaves a done milestone done: an import never opens one again
    (the checklist does), so an older file cannot undo what was ticked since."""
    text = values.get("completed_on", "")
    if not text:
        return None
    if target is not None and target.status not in (
        m.MilestoneStatus.PLANNED,
        m.MilestoneStatus.DONE,
    ):
        row.errors.append(
            (
                "completed_on",
                _("“%(title)s” is %(status)s: it cannot be ticked.")
                % {"title": target.title, "status": target.get_status_display().lower()},
            )
        )
        return None
    try:
        day = forms.DateField().clean(text)
        m.refuse_dated_outside(day, meeting.start_date, field="completed_on")
    except ValidationError as error:
        row.errors += [("completed_on", message) for message in error.messages]
        return None
    return day


def _parent(values: dict, meeting: m.Meeting, commitments: dict, bodies: dict):
    """What a milestone row is a step of, and the column that says so."""
    of = values.get("of", "")
    kind, _sep, name = of.partition(":")
    if kind.strip() == "meeting" and not values.get("commitment") and not values.get("body"):
        # The meeting imported into (an export names it; another meeting's is refused).
        same = name.strip().casefold() in ("", meeting.title.casefold())
        return (meeting if same else None), "of"
    if values.get("commitment") or kind.strip() == "commitment":
        wanted = values.get("commitment") or name.strip()
        column = "commitment" if values.get("commitment") else "of"
        return commitments.get(wanted.casefold()), column
    if values.get("body") or kind.strip() == "body":
        wanted = values.get("body") or name.strip()
        column = "body" if values.get("body") else "of"
        return bodies.get(wanted.casefold()), column
    return None, "commitment"
