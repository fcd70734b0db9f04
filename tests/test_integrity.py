"""A status change and its history entry are written together or not at all; append-only
tables refuse changes in the database itself."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.db import DatabaseError, IntegrityError, connection, transaction

from agreements import actions
from agreements.models import (
    Assessment,
    Commitment,
    Milestone,
    MilestoneReschedule,
    ProgressUpdate,
    ReviewEvent,
    StatusChange,
)


def test_failure_between_history_and_status_leaves_neither(commitment, editor, monkeypatch):
    def fail(*args, **kwargs):
        raise DatabaseError("disk full")

    # The history entry is written first; the commitment's own save then fails.
    monkeypatch.setattr(Commitment, "save", fail)
    with pytest.raises(DatabaseError):
        actions.change_commitment_status(
            commitment=commitment, status=2, reason="Task force operating", by=editor, via="web"
        )
    monkeypatch.undo()
    commitment.refresh_from_db()
    assert commitment.status == 0
    assert not StatusChange.objects.exists()


def test_failure_while_applying_an_approval_leaves_the_update_submitted(
    commitment, editor, reviewer, monkeypatch
):
    update = actions.submit_update(
        commitment=commitment, author=editor, narrative="Seizures up", proposed_status=3
    )
    monkeypatch.setattr(Commitment, "save", lambda *a, **k: (_ for _ in ()).throw(DatabaseError()))
    with pytest.raises(DatabaseError):
        actions.approve_update(update=update, by=reviewer)
    monkeypatch.undo()
    assert ProgressUpdate.objects.get().awaits_review
    assert not ReviewEvent.objects.filter(action="approve").exists()
    assert not StatusChange.objects.exists()


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only triggers are PostgreSQL's (SQLite's test flush deletes rows)",
)


@postgres_only
@pytest.mark.parametrize(
    "model",
    [ProgressUpdate, ReviewEvent, Assessment, StatusChange, MilestoneReschedule],
    ids=lambda m: m.__name__,
)
def test_postgresql_refuses_update_and_delete_on_append_only_tables(
    model, commitment, editor, reviewer, us
):
    update = actions.submit_update(commitment=commitment, author=editor, narrative="n")
    actions.approve_update(update=update, by=reviewer)
    actions.change_commitment_status(
        commitment=commitment, status=1, reason="r", by=editor, via="web"
    )
    Assessment.objects.create(
        commitment=commitment,
        party=us,
        score="0",
        justification="j",
        as_of="2025-10-01",
        assessed_by=reviewer,
    )
    milestone = Milestone.objects.create(
        commitment=commitment, title="Review", due_date=datetime.date(2025, 12, 1)
    )
    actions.reschedule_milestone(
        milestone=milestone,
        expected=milestone.version,
        to_date=datetime.date(2026, 3, 1),
        reason="Extended by 90 days",
        by=editor,
    )
    table = model._meta.db_table
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert model.objects.exists()


@postgres_only
def test_postgresql_refuses_a_review_of_ones_own_update(commitment, editor):
    update = actions.submit_update(commitment=commitment, author=editor, narrative="n")
    with (
        pytest.raises(DatabaseError, match="nobody reviews their own update"),
        transaction.atomic(),
    ):
        ReviewEvent.objects.create(update=update, action="approve", by=editor)


@postgres_only
def test_postgresql_refuses_changing_or_deleting_history(commitment):
    commitment.lead_agency = "SRE"
    commitment.save(update_fields=["lead_agency"])
    table = Commitment.history.model._meta.db_table
    for statement in (f"UPDATE {table} SET history_via = 'forged'", f"DELETE FROM {table}"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert Commitment.history.count() == 2


@postgres_only
def test_postgresql_lets_only_the_review_state_of_an_update_change(commitment, editor):
    update = actions.submit_update(commitment=commitment, author=editor, narrative="n")
    table = ProgressUpdate._meta.db_table
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET narrative = 'rewritten', review_state = 'approved'")
    update.refresh_from_db()
    assert (update.narrative, update.review_state) == ("n", "submitted")


@postgres_only
@pytest.mark.parametrize("state", ["draft", "approved", "returned", "resubmitted"])
def test_postgresql_refuses_a_review_state_that_disagrees_with_the_events(
    commitment, editor, state
):
    actions.submit_update(commitment=commitment, author=editor, narrative="n")
    table = ProgressUpdate._meta.db_table
    with (
        pytest.raises(DatabaseError, match="disagrees with its review events"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET review_state = %s", [state])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would check


@postgres_only
def test_postgresql_accepts_the_states_the_actions_write(commitment, editor, reviewer):
    first = actions.submit_update(commitment=commitment, author=editor, narrative="n")
    actions.return_update(update=first, by=reviewer, comment="Cite it")
    second = actions.submit_update(
        commitment=commitment, author=editor, narrative="n2", revises=first
    )
    actions.approve_update(update=second, by=reviewer)
    draft = actions.submit_update(commitment=commitment, author=editor, narrative="d", draft=True)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no error: they agree
    states = dict(ProgressUpdate.objects.values_list("pk", "review_state"))
    assert states == {first.pk: "returned", second.pk: "approved", draft.pk: "draft"}


def test_a_commitment_copies_its_meetings_team_and_date(commitment, meeting, other_team):
    """The list's indexes lead with these copies; they follow the meeting wherever it goes."""
    assert (commitment.team_id, commitment.meeting_date) == (meeting.team_id, meeting.start_date)
    meeting.team = other_team
    meeting.start_date = datetime.date(2026, 1, 15)
    meeting.save()
    commitment.refresh_from_db()
    assert (commitment.team_id, commitment.meeting_date) == (other_team.pk, meeting.start_date)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a composite foreign key")
def test_postgresql_refuses_a_copy_that_disagrees_with_the_meeting(commitment, other_team):
    table = Commitment._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET team_id = %s", [other_team.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_claim_copies_its_records_meeting_and_team(commitment, meeting, other_team, us):
    """The claims list and the meeting page read these copies; they follow a commitment moved
    to another meeting and a meeting moved to another team."""
    from agreements.models import Claim

    from .conftest import make_body, make_meeting

    about_commitment = Claim.objects.create(commitment=commitment, text="Seizures rose")
    about_body = Claim.objects.create(body=make_body(meeting), text="It met twice")
    for claim in (about_commitment, about_body):
        claim.refresh_from_db()
        assert (claim.record_meeting_id, claim.team_id) == (meeting.pk, meeting.team_id)
    meeting.team = other_team
    meeting.save()
    assert set(Claim.objects.values_list("team_id", flat=True)) == {other_team.pk}
    elsewhere = make_meeting(other_team, title="Next round")
    commitment.meeting = elsewhere
    commitment.save()
    about_commitment.refresh_from_db()
    assert about_commitment.record_meeting_id == elsewhere.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a trigger of PostgreSQL's")
def test_postgresql_sets_a_claims_copies_whatever_the_writer_sends(commitment, other_team):
    from agreements.models import Claim

    claim = Claim.objects.create(commitment=commitment, text="Seizures rose")
    Claim.objects.filter(pk=claim.pk).update(team_id=other_team.pk)
    claim.refresh_from_db()
    assert claim.team_id == commitment.team_id


@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers of PostgreSQL's")
def test_postgresql_keeps_sources_and_the_citations_of_append_only_records(records):
    """Deleting a source would silently drop it from every record citing it."""
    from agreements.models import Source

    source = records[Source]
    update, assessment = records[ProgressUpdate], records[Assessment]
    update_citations = ProgressUpdate.sources.through.objects.create(
        progressupdate=update, source=source
    )
    Assessment.sources.through.objects.create(assessment=assessment, source=source)
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.filter(pk=source.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        update_citations.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        assessment.sources.clear()
    assert update.sources.get() == assessment.sources.get() == source


@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers of PostgreSQL's")
def test_postgresql_keeps_every_link_inside_one_team(commitment, meeting, other_team):
    """Whatever writes (a script, a shell): links across teams are refused (security 6)."""
    from agreements.models import Source

    from .conftest import make_body, make_commitment, make_meeting, make_source

    elsewhere = make_commitment(make_meeting(other_team, title="Brussels"), title="EU pledge")
    body = make_body(meeting)
    with pytest.raises(IntegrityError), transaction.atomic():
        body.commitments.add(elsewhere)
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(pk=commitment.pk).update(
            cancellation="superseded", superseded_by=elsewhere
        )
    foreign: Source = make_source(other_team)
    for record in (meeting, commitment, body):
        with pytest.raises(IntegrityError), transaction.atomic():
            record.sources.add(foreign)
    body.commitments.add(commitment)  # its own team's: fine
    meeting.sources.add(make_source(meeting.team))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers of PostgreSQL's")
def test_postgresql_keeps_participants_speakers_and_members_inside_one_team(
    meeting, other_team, us
):
    """Persons are a team's own records: the database refuses another team's person as a
    participant, a speaker or a body member (security 6)."""
    from agreements.models import BodyMembership, Participant, Person, Statement

    from .conftest import make_body

    theirs = Person.objects.create(team=other_team, name="Their envoy")
    ours = Person.objects.create(team=meeting.team, name="Our envoy")
    body = make_body(meeting)
    rows = [
        lambda person: Participant.objects.create(
            meeting=meeting, person=person, party=us, office="Envoy", role="delegate"
        ),
        lambda person: Statement.objects.create(
            meeting=meeting, speaker=person, text="Words.", said_on=meeting.start_date
        ),
        lambda person: BodyMembership.objects.create(body=body, person=person, party=us),
    ]
    for row in rows:
        with pytest.raises(IntegrityError), transaction.atomic():
            row(theirs)
        row(ours)  # its own team's: fine


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a trigger of PostgreSQL's")
def test_postgresql_relates_meetings_of_one_team_only(meeting, other_team):
    from agreements.models import MeetingLink

    from .conftest import make_meeting

    theirs = make_meeting(other_team, start_date=datetime.date(2021, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingLink.objects.create(meeting=meeting, relation="follows_up", other=theirs)
    ours = make_meeting(meeting.team, start_date=datetime.date(2021, 1, 1))
    MeetingLink.objects.create(meeting=meeting, relation="follows_up", other=ours)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers of PostgreSQL's")
def test_postgresql_removes_a_statements_or_claims_citation_only_in_a_recorded_edit(
    records, admin_client, admin_user
):
    """Evidence never disappears behind the record's back (security 4): raw SQL cannot drop
    a citation of a statement or a claim; the admin's edit can, and its history says who."""
    from agreements.audit import allow_citation_edits
    from agreements.models import Claim, Source, Statement

    from .admin_forms import admin_url, post_page

    source = records[Source]
    statement, claim = records[Statement], records[Claim]
    statement.sources.add(source)
    claim.sources.add(source)
    for record in (statement, claim):
        with pytest.raises(IntegrityError), transaction.atomic():
            record.sources.clear()
        assert record.sources.get() == source
    with transaction.atomic():
        allow_citation_edits(admin_user)
        claim.sources.clear()
    assert not claim.sources.exists()
    url = admin_url(Statement, "change", statement.pk)
    assert post_page(admin_client, url, sources=[]).status_code == 302
    assert not statement.sources.exists()
    assert statement.history.first().history_user == admin_user


@postgres_only
def test_postgresql_keeps_every_history_table_append_only(db):
    """Including those added after the first history migration (themes', meeting links')."""
    tables = {
        model._meta.db_table
        for model in apps.get_app_config("agreements").get_models()
        if model._meta.db_table.startswith("agreements_historical")
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers"
            " WHERE trigger_name LIKE '%%_append_only'"
        )
        guarded = {table for (table,) in cursor.fetchall()}
    assert tables - guarded == set()
