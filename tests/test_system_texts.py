"""Texts the system writes into the records (history reasons, a status change's "why") are kept
as a code and values and read in each reader's language; a reason a person typed, and one
stored before, are shown as they were written."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import translation

from agreements import actions, reminders, system_texts
from agreements.models import Follow, ImplementationStatus, Preference, StatusChange
from tests.conftest import make_user


def history_url(record) -> str:
    return reverse("agreements:record_history", args=["commitment", record.pk])


def approve_from_the_queue(client, reviewer, update, *, language: str, comment: str = ""):
    """The reviewer, reading the pages in ``language``, approves the update from the queue."""
    Preference.objects.update_or_create(user=reviewer, defaults={"language": language})
    client.force_login(reviewer)
    data = {"action": "approve", "update": update.pk, "comment": comment}
    response = client.post(reverse("agreements:review_queue"), data)
    assert response.status_code == 302
    client.logout()


def reader(team, language: str):
    user = make_user(f"reader-{language}", team=team, role="editor")
    Preference.objects.create(user=user, language=language)
    return user


@pytest.fixture
def update(commitment, editor):
    return actions.submit_update(
        commitment=commitment,
        author=editor,
        narrative="Seizures up by a third",
        proposed_status=ImplementationStatus.INTERMEDIATE,
    )


def test_an_approval_made_in_english_reads_in_spanish_to_a_spanish_reader(
    client, team, reviewer, commitment, update
):
    approve_from_the_queue(client, reviewer, update, language="en-gb")
    client.force_login(reader(team, "es"))
    history = client.get(history_url(commitment)).content.decode()
    assert "Actualización de avance aprobada: Seizures up by a third" in history
    assert "Approved progress update" not in history
    page = client.get(commitment.get_absolute_url()).content.decode()  # its timeline
    assert "Actualización de avance aprobada: Seizures up by a third" in page
    assert "Approved progress update" not in page


def test_an_approval_made_in_spanish_reads_in_english_to_an_english_reader(
    client, team, reviewer, commitment, update
):
    approve_from_the_queue(client, reviewer, update, language="es")
    client.force_login(reader(team, "en-gb"))
    history = client.get(history_url(commitment)).content.decode()
    assert "Approved progress update: Seizures up by a third" in history
    assert "Actualización de avance aprobada" not in history
    page = client.get(commitment.get_absolute_url()).content.decode()
    assert "Approved progress update: Seizures up by a third" in page


def test_what_is_stored_is_the_code_and_its_values(client, reviewer, commitment, update):
    approve_from_the_queue(client, reviewer, update, language="es")
    change = StatusChange.objects.get(commitment=commitment)
    assert system_texts.parsed(change.reason) == (
        "update_approved",
        {"narrative": "Seizures up by a third"},
    )
    entry = commitment.history.latest()
    assert entry.history_change_reason == change.reason


def test_a_reason_the_reviewer_typed_is_shown_as_typed(client, team, reviewer, commitment, update):
    approve_from_the_queue(client, reviewer, update, language="en-gb", comment="Figures check out")
    client.force_login(reader(team, "es"))
    history = client.get(history_url(commitment)).content.decode()
    assert "Figures check out" in history
    page = client.get(commitment.get_absolute_url()).content.decode()
    assert "Figures check out" in page


def test_a_reason_stored_as_english_text_before_still_shows(client, team, commitment):
    # A row written before reasons were codes: the English sentence itself (history rows
    # are never updated, on PostgreSQL not at all: one is written as it was then).
    commitment.lead_agency = "Attorney General's office"
    commitment._change_reason = "Approved progress update: old row"
    commitment.save(update_fields=["lead_agency"])
    client.force_login(reader(team, "es"))
    history = client.get(history_url(commitment)).content.decode()
    assert "Approved progress update: old row" in history


def test_a_reschedule_reads_in_each_language_with_the_reason_as_typed(editor, commitment, meeting):
    milestone = commitment.milestones.create(title="First report", due_date=meeting.start_date)
    actions.reschedule_milestone(
        milestone=milestone,
        expected=milestone.version,
        to_date=meeting.start_date.replace(year=meeting.start_date.year + 1),
        reason="Talks resumed late",
        by=editor,
    )
    stored = milestone.history.latest().history_change_reason
    with translation.override("en-gb"):
        assert system_texts.shown(stored) == "Rescheduled: Talks resumed late"
    with translation.override("es"):
        assert system_texts.shown(stored) == "Reprogramado: Talks resumed late"


def test_open_data_keeps_the_english_sentence(client, team, reviewer, commitment, update):
    approve_from_the_queue(client, reviewer, update, language="es")
    client.force_login(reader(team, "es"))
    response = client.get(reverse("agreements:open_data"))
    data = b"".join(response.streaming_content if response.streaming else [response.content])
    text = data.decode()
    assert "Approved progress update: Seizures up by a third" in text


def test_a_text_that_only_looks_stored_is_shown_as_it_is():
    for text in ["system:", "system:{not json", 'system:{"code": "nope", "values": {}}', "plain"]:
        assert system_texts.shown(text) == text
    assert json.loads(system_texts.stored("imported", filename="a.csv").removeprefix("system:"))


def test_a_follower_told_in_spanish_reads_the_reason_in_spanish(
    client, team, reviewer, commitment, update, mailoutbox
):
    follower = reader(team, "es")
    follower.email = "follower@example.org"
    follower.save(update_fields=["email"])
    Follow.objects.create(user=follower, commitment=commitment)
    approve_from_the_queue(client, reviewer, update, language="en-gb")
    change = StatusChange.objects.get(commitment=commitment)
    mailoutbox.clear()
    reminders.notify_followers(change=change)
    (mail,) = mailoutbox
    assert "Actualización de avance aprobada: Seizures up by a third" in mail.body


def test_the_admin_reads_system_reasons_in_its_readers_language(
    admin_user, client, reviewer, commitment, update
):
    approve_from_the_queue(client, reviewer, update, language="en-gb")
    Preference.objects.create(user=admin_user, language="es")
    client.force_login(admin_user)
    sentence = "Actualización de avance aprobada: Seizures up by a third"
    history = reverse("admin:agreements_commitment_history", args=[commitment.pk])
    assert sentence in client.get(history).content.decode()
    change = reverse("admin:agreements_commitment_change", args=[commitment.pk])
    assert sentence in client.get(change).content.decode()  # its status history inline
    status = StatusChange.objects.get(commitment=commitment)
    one = reverse("admin:agreements_statuschange_change", args=[status.pk])
    page = client.get(one).content.decode()
    assert sentence in page
    assert "system:" not in page
