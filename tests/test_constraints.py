"""Each invariant is stated once, as a database constraint with its message: the database
refuses what breaks it, and a form (``full_clean``) reports it once, next to its field."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction

from agreements import models as m

SEPT_3 = datetime.date(2025, 9, 3)


def choice_fields() -> list[tuple[type[models.Model], models.Field]]:
    return [
        (model, field)
        for model in apps.get_app_config("agreements").get_models()
        if not model.__name__.startswith("Historical")
        for field in model._meta.fields
        if field.choices
    ]


def test_every_choice_field_has_its_constraint():
    """A constraint names the field in its condition: ``<field>__in`` or a 0–3 range."""
    missing = []
    for model, field in choice_fields():
        conditions = [str(c.condition) for c in model._meta.constraints if hasattr(c, "condition")]
        if not any(f"'{field.name}__in'" in c or f"'{field.name}__gte'" in c for c in conditions):
            missing.append(f"{model.__name__}.{field.name}")
    assert missing == []


def test_the_database_refuses_a_theme_it_does_not_hold(commitment):
    """Themes are records now (issue #10): a foreign key, checked at commit, holds the column
    to them; ``check_constraints`` runs that check now, as the commit would."""
    with pytest.raises(IntegrityError), transaction.atomic():
        m.Commitment.objects.filter(pk=commitment.pk).update(theme_id="astrology")
        connection.check_constraints(table_names=[m.Commitment._meta.db_table])


@pytest.mark.parametrize(
    ("model", "field", "bad"),
    [
        (m.Source, "reliability", "Z"),
        (m.Participant, "role", "king"),
        (m.Milestone, "status", "forgotten"),
        (m.Statement, "kind", "rumour"),
        (m.ProgressUpdate, "proposed_status", 7),
        (m.StatusChange, "from_status", 9),
        (m.StatusChange, "to_status", 9),
        (m.StatusChange, "from_cancellation", "vanished"),
        (m.StatusChange, "to_cancellation", "vanished"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else str(v),
)
def test_the_database_refuses_a_value_outside_the_vocabulary(records, model, field, bad):
    with pytest.raises(IntegrityError), transaction.atomic():
        # Behind the forms' back (and the append-only triggers are PostgreSQL's own matter).
        model._base_manager.filter(pk=records[model].pk).update(**{field: bad})


@pytest.mark.parametrize(
    ("build", "field", "message"),
    [
        (
            lambda w: m.Meeting(
                team=w["team"],
                title="x",
                start_date=SEPT_3,
                end_date=SEPT_3 - datetime.timedelta(1),
                outcome_type=m.OutcomeType.MOU,
            ),
            "end_date",
            "A meeting cannot end before it starts.",
        ),
        (
            lambda w: m.Statement(meeting=w["meeting"], text="Words", said_on=SEPT_3),
            "__all__",
            "A statement is attributed to a speaker or a party.",
        ),
        (
            lambda w: m.Milestone(
                commitment=w["commitment"], title="x", due_date=SEPT_3, status="done"
            ),
            "completed_on",
            "A done milestone has a completion date, and only a done one.",
        ),
        (
            lambda w: m.BodyMembership(
                body=w["body"],
                party=w["us"],
                start_date=SEPT_3,
                end_date=SEPT_3 - datetime.timedelta(1),
            ),
            "end_date",
            "A membership cannot end before it starts.",
        ),
        (
            lambda w: m.BodyMembership(body=w["body"]),
            "__all__",
            "A member is a person or a party: name at least one.",
        ),
        (
            lambda w: m.Claim(text="Unclear"),
            "__all__",
            "A claim is about exactly one meeting, commitment or body.",
        ),
        (
            lambda w: m.Party(name="Atlantis", code="atl"),
            "code",
            "A state's code is its ISO 3166 alpha-2 or alpha-3 code, e.g. US or MEX.",
        ),
    ],
    ids=["meeting-dates", "statement", "milestone", "membership-dates", "member", "claim", "code"],
)
def test_a_broken_invariant_is_reported_once_next_to_its_field(
    meeting, commitment, team, us, build, field, message
):
    body = m.ImplementationBody.objects.create(meeting=meeting, name="Group")
    world = {"meeting": meeting, "commitment": commitment, "team": team, "us": us, "body": body}
    with pytest.raises(ValidationError) as exc:
        build(world).full_clean()
    reported = [text for texts in exc.value.message_dict.values() for text in texts]
    assert exc.value.message_dict[field] == [message]
    assert reported.count(message) == 1


def test_a_commitment_cannot_supersede_itself(commitment):
    commitment.cancellation = m.Cancellation.SUPERSEDED
    commitment.superseded_by = commitment
    with pytest.raises(ValidationError) as exc:
        commitment.full_clean()
    assert exc.value.message_dict["superseded_by"] == ["A commitment cannot supersede itself."]
    with pytest.raises(IntegrityError), transaction.atomic():
        m.Commitment.objects.filter(pk=commitment.pk).update(
            cancellation="superseded", superseded_by=commitment.pk
        )
