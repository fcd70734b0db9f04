"""Every change to every record, from any path, is kept: who (or which command), when, which
fields, old and new values; each record's page has a History view."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from agreements import actions
from agreements.history import history_of
from agreements.models import Commitment, Meeting, Participant, Party, Person
from tests.conftest import make_source, meeting_data


def history_url(kind: str, record) -> str:
    return reverse("agreements:record_history", args=[kind, record.pk])


def test_a_change_on_the_pages_is_kept_with_who_and_what(client, editor, meeting, us, mexico):
    client.force_login(editor)
    data = {
        "team": meeting.team_id,
        "title": "Renamed talks",
        "start_date": "2025-09-03",
        "city": "Monterrey",
        "parties": [us.pk, mexico.pk],
        "outcome_type": "reaffirmation",
        "version": meeting.version,
        "commitments-TOTAL_FORMS": "0",
        "commitments-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("agreements:meeting_edit", args=[meeting.pk]), data)
    assert response.status_code == 302
    latest = history_of(Meeting.objects.get())[0]
    assert (latest.kind, latest.who, latest.via) == ("Changed", "editor", "web")
    changed = {c.label: (c.old, c.new) for c in latest.changes}
    assert changed["Title"] == (meeting.title, "Renamed talks")
    assert changed["City"] == ("", "Monterrey")


def test_a_change_in_the_admin_is_kept(client, admin_user, commitment):
    client.force_login(admin_user)
    client.post(
        reverse("admin:agreements_commitment_change", args=[commitment.pk]),
        {
            "meeting": commitment.meeting_id,
            "position": 0,
            "title": commitment.title,
            "text": commitment.text,
            "theme": commitment.theme_id,
            "status": 0,
            "lead_agency": "SRE",
            "opened_version": commitment.version,
            "party_roles-TOTAL_FORMS": 0,
            "party_roles-INITIAL_FORMS": 0,
            "milestones-TOTAL_FORMS": 0,
            "milestones-INITIAL_FORMS": 0,
            "status_changes-TOTAL_FORMS": 0,
            "status_changes-INITIAL_FORMS": 0,
        },
    )
    latest = history_of(Commitment.objects.get())[0]
    assert (latest.who, latest.via) == ("admin", "admin")
    assert [(c.label, c.new) for c in latest.changes] == [("Lead agency", "SRE")]


def test_a_command_is_named_in_the_history(db):
    call_command("load_demo", stdout=io.StringIO())
    first = history_of(Meeting.objects.get(title="U.S.–Mexico security meeting"))[-1]
    assert (first.kind, first.who, first.via) == ("Created", "", "command:load_demo")


def test_a_status_change_keeps_its_reason_in_the_history(commitment, editor):
    actions.change_commitment_status(
        commitment=commitment, status=1, reason="Task force set up", by=editor, via="web"
    )
    latest = history_of(commitment)[0]
    assert (latest.reason, latest.who, latest.via) == ("Task force set up", "editor", "web")
    assert [(c.label, c.old, c.new) for c in latest.changes] == [
        ("Status", "Not started", "Minimal")
    ]


def test_cited_sources_are_part_of_the_history(commitment, team):
    source = make_source(team, title="Customs figures")
    commitment.sources.add(source)
    latest = history_of(commitment)[0]
    assert [(c.label, c.old, c.new) for c in latest.changes] == [
        ("Sources", "", "Customs figures (Wire)")
    ]


def test_history_page_lists_the_changes(client, reviewer, commitment, editor):
    actions.change_commitment_status(
        commitment=commitment, status=2, reason="Seizures doubled", by=editor, via="web"
    )
    client.force_login(reviewer)
    html = client.get(history_url("commitment", commitment)).content.decode()
    assert "Seizures doubled" in html and "Intermediate" in html and "Not started" in html
    assert f"History of {commitment.title}" in html
    page = client.get(reverse("agreements:commitment_detail", args=[commitment.pk]))
    assert history_url("commitment", commitment) in page.content.decode()


def test_history_page_hides_other_teams_records(client, outsider, meeting):
    client.force_login(outsider)
    assert client.get(history_url("meeting", meeting)).status_code == 404
    assert client.get(f"/history/team/{meeting.team_id}/").status_code == 404


@pytest.mark.perf
def test_history_page_query_count_does_not_grow(client, editor, commitment, team, queries):
    def change(n: int) -> None:
        for i in range(n):
            commitment.lead_agency = f"Agency {i}"
            commitment.save_versioned(expected=commitment.version, update_fields=["lead_agency"])
            commitment.sources.add(make_source(team))

    client.force_login(editor)
    queries.stay_flat(client, change, history_url("commitment", commitment))


def test_the_meetings_history_shows_who_was_added_changed_and_removed(client, editor, meeting, us):
    rubio = Person.objects.create(team=meeting.team, name="Marco Rubio")
    participant = Participant(person=rubio, party=us, office="Secretary of State", role="delegate")
    row = actions.ParticipantRow(participant, "")
    actions.save_meeting(
        meeting=meeting,
        expected=meeting.version,
        parties=[us],
        rows=[],
        participants=[row],
        by=editor,
    )
    participant.role = "head_of_delegation"
    meeting.refresh_from_db()
    actions.save_meeting(
        meeting=meeting,
        expected=meeting.version,
        parties=[us],
        rows=[],
        participants=[row],
        by=editor,
    )
    meeting.refresh_from_db()
    actions.save_meeting(
        meeting=meeting,
        expected=meeting.version,
        parties=[us],
        rows=[],
        removed=[participant],
        by=editor,
    )
    client.force_login(editor)
    entries = client.get(f"/history/meeting-{meeting.pk}/").context["entries"]
    seen = [
        (e.kind, e.who, e.changes[0].old, e.changes[0].new)
        for e in entries
        if e.kind.startswith("Participant")
    ]
    us_name = str(us)
    assert seen == [
        (
            "Participant removed",
            "editor",
            f"Marco Rubio, Secretary of State (Head of delegation, for {us_name})",
            "",
        ),
        (
            "Participant changed",
            "editor",
            f"Marco Rubio, Secretary of State (Delegate, for {us_name})",
            f"Marco Rubio, Secretary of State (Head of delegation, for {us_name})",
        ),
        (
            "Participant added",
            "editor",
            "",
            f"Marco Rubio, Secretary of State (Delegate, for {us_name})",
        ),
    ]


@pytest.fixture
def rubio(team, us):
    return Person.objects.create(team=team, name="Marco Rubio", party=us, current_office="SecState")


def test_every_write_of_the_meeting_form_names_its_user(
    client, editor, team, meeting, us, mexico, rubio
):
    p = Participant.objects.create(
        meeting=meeting, person=rubio, party=us, office="SecState", role="delegate"
    )
    data = meeting_data(team, us, mexico, [], version=meeting.version) | {
        "new_party_name": "Atlantis",
        "new_party_code": "ATL",
        "participants-TOTAL_FORMS": "2",
        "participants-INITIAL_FORMS": "1",
        "participants-0-id": p.pk,
        "participants-0-person": rubio.pk,
        "participants-0-office": "SecState",
        "participants-0-party": us.pk,
        "participants-0-role": "delegate",
        "participants-0-DELETE": "on",
        "participants-1-new_person": "Claudia Sheinbaum",
        "participants-1-office": "President",
        "participants-1-party": mexico.pk,
        "participants-1-role": "host",
    }
    client.force_login(editor)
    assert (
        client.post(reverse("agreements:meeting_edit", args=[meeting.pk]), data).status_code == 302
    )

    records = {
        "party": Party.history.get(name="Atlantis"),
        "person": Person.history.get(name="Claudia Sheinbaum"),
        "participant added": Participant.history.filter(person__name="Claudia Sheinbaum").get(),
        "participant removed": Participant.history.filter(id=p.pk, history_type="-").get(),
        "meeting": meeting.history.first(),
    }
    assert {k: r.history_user for k, r in records.items()} == dict.fromkeys(records, editor)
