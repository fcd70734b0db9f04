"""Briefing reports: a printable page per meeting, per body and per party."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.models import (
    Assessment,
    Claim,
    ComplianceScore,
    Milestone,
    MilestoneStatus,
    Verification,
)
from agreements.views import briefings
from tests.conftest import make_body, make_commitment, make_meeting, make_source, make_user


def today():
    """Asked when a test runs, not when the module is imported: a run that passes midnight keeps
    its days."""
    return timezone.localdate()


def past():
    return today() - datetime.timedelta(days=40)


def url(name: str, record) -> str:
    return reverse(f"agreements:{name}_briefing", args=[record.pk])


def assess(commitment, party, score=ComplianceScore.FULL, *, by, sources=(), **extra):
    assessment = Assessment.objects.create(
        commitment=commitment,
        party=party,
        score=score,
        justification=extra.pop("justification", "Seizures doubled"),
        as_of=extra.pop("as_of", commitment.meeting.start_date),
        assessed_by=by,
        **extra,
    )
    assessment.sources.add(*sources)
    return assessment


@pytest.fixture
def briefed(meeting, team, us, mexico, reviewer):
    """A meeting with one commitment carrying everything a briefing reports, and what it must
    leave out: an older assessment, a done and a cancelled milestone, a verified claim."""
    meeting.start_date = today() - datetime.timedelta(days=100)
    meeting.save(update_fields=["start_date"])
    readout, report, wire = (make_source(team, title=t) for t in ("Readout", "Report", "Wire"))
    meeting.sources.add(readout)
    commitment = make_commitment(
        meeting,
        parties=[us, mexico],
        title="Halt fentanyl flows",
        reference="3.2",
        status=2,
        target_date=past(),
        lead_agency="Security cabinet",
    )
    commitment.sources.add(report, readout)  # the readout is cited again: the same number
    assess(commitment, us, ComplianceScore.NONE, by=reviewer, as_of=meeting.start_date)
    assess(commitment, us, by=reviewer, sources=[wire], as_of=today())
    for title, due, status in (
        ("Joint report", past(), MilestoneStatus.PLANNED),
        ("Kick-off", past(), MilestoneStatus.DONE),
        ("Dropped step", past(), MilestoneStatus.CANCELLED),
        ("Second review", today() + datetime.timedelta(days=20), MilestoneStatus.PLANNED),
        ("Final review", today() + datetime.timedelta(days=90), MilestoneStatus.PLANNED),
    ):
        Milestone.objects.create(
            commitment=commitment,
            title=title,
            due_date=due,
            status=status,
            completed_on=due if status == MilestoneStatus.DONE else None,
        )
    Claim.objects.create(text="Flows fell by half", commitment=commitment)
    Claim.objects.create(
        text="Verified already", commitment=commitment, verification=Verification.VERIFIED
    ).sources.add(wire)
    Claim.objects.create(
        text="Schedule not published", meeting=meeting, verification=Verification.DISPUTED
    ).sources.add(wire)
    return {"meeting": meeting, "commitment": commitment, "sources": [readout, report, wire]}


def test_meeting_briefing_reports_each_commitment_with_what_a_reader_needs(
    client, reviewer, briefed
):
    client.force_login(reviewer)
    response = client.get(url("meeting", briefed["meeting"]))
    assert response.status_code == 200
    html = response.content.decode()
    for shown in (
        "Briefing report",
        "3.2",
        "Halt fentanyl flows",
        "Status 2 of 3:",
        "Intermediate",
        "Overdue",  # past its target date, not complete
        "Drugs",
        "Security cabinet",
        "United States",
        "+1 full or nearly full compliance",  # the latest assessment, not the older -1
        "Not assessed",  # Mexico
        "Joint report",  # an overdue milestone
        "Next due: Second review",
        "Flows fell by half",  # open claims, with their state
        "Unconfirmed",
        "Schedule not published",
        "Disputed",
        "reviewer",  # printed by
        "North America",  # the team
        today().strftime("%-d %B %Y"),  # as of today
    ):
        assert shown in html, shown
    for left_out in (
        "-1 no compliance",
        "Kick-off",
        "Dropped step",
        "Final review",
        "Verified already",
    ):
        assert left_out not in html, left_out


def test_the_sources_are_numbered_once_in_the_order_first_cited(client, reviewer, briefed):
    client.force_login(reviewer)
    briefing = client.get(url("meeting", briefed["meeting"])).context["briefing"]
    readout, report, wire = briefed["sources"]
    # The meeting's readout first, then the wire (the claim about the meeting), then the report:
    # the order a reader meets them in.
    assert briefing.sources == [(1, readout), (2, wire), (3, report)]
    item = briefing.items[0]
    assert item.notes == [1, 3]  # the readout again keeps its number
    (mexico, mexico_assessment), (us, us_assessment) = item.compliance  # by party name
    assert (mexico.party.code, mexico_assessment) == ("MX", None)
    assert (us.party.code, us_assessment.notes) == ("US", [2])
    html = client.get(url("meeting", briefed["meeting"])).content.decode()
    assert 'id="source-3"' in html
    assert 'href="#source-3"' in html
    assert wire.url in html  # printed as text, for paper


def test_the_summary_counts_what_needs_attention(client, reviewer, briefed, us):
    make_commitment(briefed["meeting"], parties=[us], status=0, cancellation="cancelled")
    client.force_login(reviewer)
    briefing = client.get(url("meeting", briefed["meeting"])).context["briefing"]
    assert len(briefing.items) == 2
    assert briefing.index == pytest.approx(66.7)  # the cancelled one does not count
    assert (briefing.overdue_commitments, briefing.overdue_milestones) == (1, 1)
    assert briefing.open_claims == 2


def test_body_briefing_covers_what_it_oversees_and_its_own_meetings(
    client, reviewer, briefed, meeting
):
    body = make_body(meeting, name="High-level implementation group")
    body.commitments.add(briefed["commitment"])
    make_commitment(meeting, title="Not overseen")
    Milestone.objects.create(body=body, title="First session", due_date=past())
    Milestone.objects.create(
        body=body, title="Second session", due_date=today() + datetime.timedelta(days=5)
    )
    Claim.objects.create(text="Membership not published", body=body)
    client.force_login(reviewer)
    html = client.get(url("body", body)).content.decode()
    for shown in (
        "High-level implementation group",
        "Halt fentanyl flows",
        "Joint report",
        "First session",
        "Next meeting: Second session",
        "Membership not published",
        meeting.title,  # each item says its meeting
    ):
        assert shown in html, shown
    assert "Not overseen" not in html


def test_party_briefing_covers_the_commitments_it_has_a_role_in_among_the_users_records(
    client, editor, admin_user, briefed, meeting, mexico, other_team
):
    make_commitment(meeting, title="Not for Mexico")
    elsewhere = make_meeting(other_team, title="Elsewhere")
    make_commitment(elsewhere, parties=[mexico], title="Of another team")
    archived = make_commitment(meeting, parties=[mexico], title="Archived one")
    archived.archive(by=editor, reason="Recorded twice")

    client.force_login(editor)
    html = client.get(url("party", mexico)).content.decode()
    assert "Halt fentanyl flows" in html
    for left_out in ("Not for Mexico", "Of another team", "Archived one"):
        assert left_out not in html, left_out

    client.force_login(admin_user)
    html = client.get(url("party", mexico)).content.decode()
    assert "Halt fentanyl flows" in html
    assert "Of another team" in html
    assert "Every team" in html


def test_a_party_briefing_says_when_it_holds_only_the_most_recent(
    client, editor, meeting, mexico, monkeypatch
):
    monkeypatch.setattr(briefings, "PARTY_LIMIT", 3)
    for _ in range(5):
        make_commitment(meeting, parties=[mexico])
    client.force_login(editor)
    response = client.get(url("party", mexico))
    assert len(response.context["briefing"].items) == 3
    assert "The 3 most recent of 5 commitments" in response.content.decode()


def test_a_party_with_nothing_the_user_may_see_shows_an_empty_briefing(
    client, outsider, briefed, mexico
):
    client.force_login(outsider)
    response = client.get(url("party", mexico))
    assert response.status_code == 200
    html = response.content.decode()
    assert "No commitment you may see gives Mexico a role." in html
    assert "Halt fentanyl flows" not in html


def test_another_teams_meeting_or_body_briefing_is_not_found(client, outsider, meeting):
    body = make_body(meeting)
    client.force_login(outsider)
    assert client.get(url("meeting", meeting)).status_code == 404
    assert client.get(url("body", body)).status_code == 404


@pytest.mark.parametrize("pk", ["999999", "9" * 30])
def test_an_unknown_party_is_not_found(client, editor, pk):
    client.force_login(editor)
    assert client.get(f"/parties/party-{pk}/briefing/").status_code == 404


def test_briefings_need_a_sign_in(client, meeting, us):
    for path in (url("meeting", meeting), url("body", make_body(meeting)), url("party", us)):
        response = client.get(path)
        assert response.status_code == 302
        assert "/accounts/login/" in response.headers["Location"]


def test_briefings_only_answer_get(client, editor, meeting, us):
    client.force_login(editor)
    assert client.post(url("meeting", meeting)).status_code == 405
    assert client.post(url("party", us)).status_code == 405


def test_the_meeting_and_body_pages_link_their_briefings(client, reviewer, meeting, us, mexico):
    body = make_body(meeting)
    client.force_login(reviewer)
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert f'href="{url("meeting", meeting)}"' in html
    assert f'href="{url("party", mexico)}">Briefing on Mexico</a>' in html
    assert f'href="{url("party", us)}">Briefing on United States</a>' in html
    assert f'href="{url("body", body)}"' in client.get(body.get_absolute_url()).content.decode()


def test_the_print_button_waits_for_javascript(client, reviewer, meeting):
    """Without JavaScript the button could do nothing: it is served hidden, and the page says
    to use the browser's Print command (tests/browser/test_briefings.py shows it with JS)."""
    client.force_login(reviewer)
    html = client.get(url("meeting", meeting)).content.decode()
    assert '<button type="button" class="print-button" data-print hidden>Print</button>' in html
    assert "with your browser's Print command" in html


@pytest.mark.perf
def test_briefing_query_counts_do_not_grow(client, admin_user, team, us, mexico, queries):
    reviewer = make_user("assessor", team=team, role="reviewer")

    def meeting_with(n: int):
        meeting = make_meeting(team, start_date=past())
        body = make_body(meeting)
        for _ in range(n):
            commitment = make_commitment(meeting, parties=[us, mexico], target_date=past())
            commitment.sources.add(make_source(team))
            body.commitments.add(commitment)
            assess(commitment, us, by=reviewer, sources=[make_source(team)])
            assess(commitment, us, ComplianceScore.PARTIAL, by=reviewer, as_of=today())
            Milestone.objects.create(commitment=commitment, title="m", due_date=past())
            Milestone.objects.create(commitment=commitment, title="n", due_date=today())
            Claim.objects.create(commitment=commitment, text="c").sources.add(make_source(team))
            Claim.objects.create(meeting=meeting, text="d").sources.add(make_source(team))
            Claim.objects.create(body=body, text="e").sources.add(make_source(team))
            Milestone.objects.create(body=body, title="b", due_date=past())
            meeting.sources.add(make_source(team))
        return meeting, body

    client.force_login(admin_user)
    small, small_body = meeting_with(5)
    few = [
        queries.of(client, url("meeting", small)),
        queries.of(client, url("body", small_body)),
        queries.of(client, url("party", mexico)),
    ]
    large, large_body = meeting_with(50)
    assert [
        queries.of(client, url("meeting", large)),
        queries.of(client, url("body", large_body)),
        queries.of(client, url("party", mexico)),  # now 55 commitments
    ] == few


def test_the_meeting_and_body_briefings_list_their_own_overdue_milestones(
    client, reviewer, meeting
):
    body = make_body(meeting, name="High-level implementation group")
    Milestone.objects.create(meeting=meeting, title="Ministers report back", due_date=past())
    Milestone.objects.create(body=body, title="First session", due_date=past())
    client.force_login(reviewer)
    for kind, record, heading, title in (
        ("meeting", meeting, "Milestones of the meeting", "Ministers report back"),
        ("body", body, "Meetings of the body", "First session"),
    ):
        html = client.get(url(kind, record)).content.decode()
        section = html.split(heading, 1)[1].split("</section>", 1)[0]
        assert "Overdue" in section and title in section
