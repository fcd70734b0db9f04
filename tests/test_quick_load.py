"""Records read from the database made by ``QuickLoad`` (``agreements/models/loading.py``) are
the records Django's own ``Model.from_db`` makes: the same values under the same names in the
same order, the same state, deferred columns read on first use, related records as selected;
and Django's is used when a receiver listens to ``post_init``."""

from __future__ import annotations

import datetime

import pytest
from django.db import models
from django.db.models.signals import post_init

from agreements.models import Commitment, Meeting, Milestone, Team, Theme
from agreements.models.loading import QuickLoad, _columns
from agreements.views.meeting_rows import MILESTONE_FIELDS


def djangos(queryset):
    """The same rows, each record made by Django's own ``from_db``."""
    original = QuickLoad.__dict__["from_db"]

    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        return models.Model.from_db.__func__(cls, db, field_names, values, fetch_mode=fetch_mode)

    QuickLoad.from_db = classmethod(from_db)
    try:
        return list(queryset.all())
    finally:
        QuickLoad.from_db = original


def same(quick, django):
    assert type(quick) is type(django)
    assert list(quick.__dict__) == list(django.__dict__)
    for name, value in django.__dict__.items():
        if name != "_state":
            assert quick.__dict__[name] == value, name
    assert (quick._state.adding, quick._state.db) == (django._state.adding, django._state.db)
    assert quick._state.fields_cache.keys() == django._state.fields_cache.keys()


@pytest.mark.parametrize(
    "model", [Commitment, Meeting, Milestone, Team, Theme], ids=lambda m: m.__name__
)
def test_the_models_records_are_made_quickly(model):
    assert issubclass(model, QuickLoad) and _columns(model) is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "shape",
    ["whole", "only", "defer", "related"],
)
def test_a_record_read_is_the_record_djangos_from_db_makes(commitment, shape):
    rows = Commitment.objects.filter(pk=commitment.pk)
    if shape == "only":
        rows = rows.only("title", "meeting", "target_date")
    elif shape == "defer":
        rows = rows.defer("text", "search_vector")
    elif shape == "related":
        rows = rows.select_related("meeting__team", "theme").only(
            "title", "meeting__title", "meeting__team__name", "theme__name"
        )
    [quick], [django] = list(rows), djangos(rows)
    same(quick, django)
    assert quick == commitment and not quick._state.adding
    assert quick.text == commitment.text  # a column not read, read on first use
    if shape == "related":
        same(quick.meeting, django.meeting)
        same(quick.meeting.team, django.meeting.team)
        assert quick.meeting.team.name == commitment.meeting.team.name


@pytest.mark.django_db
def test_a_milestone_read_as_a_meeting_row_is_the_record_djangos_from_db_makes(commitment):
    """A meeting's commitment rows read their milestones' few columns (``MILESTONE_FIELDS``)."""
    milestone = Milestone.objects.create(
        commitment=commitment, title="First report", due_date=datetime.date(2026, 5, 1)
    )
    rows = Milestone.objects.filter(pk=milestone.pk).only(*MILESTONE_FIELDS)
    [quick], [django] = list(rows), djangos(rows)
    same(quick, django)
    assert quick == milestone and quick.owner == milestone.owner  # not read: on first use


@pytest.mark.django_db
def test_a_model_someone_listens_to_is_made_by_djangos_from_db(commitment):
    seen = []

    def listen(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(listen, sender=Commitment)
    try:
        [read] = Commitment.objects.filter(pk=commitment.pk)
    finally:
        post_init.disconnect(listen, sender=Commitment)
    assert seen == [commitment.pk] and read == commitment
