"""Recorded from a meeting's page: its related meetings (fidelity 4), the implementation bodies
it set up and the context events around it (fidelity 2, 3)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from agreements import actions
from agreements.models import ContextEvent, MeetingLink
from tests.conftest import HTMX, make_body, make_commitment, make_meeting, make_source


def detail_url(meeting) -> str:
    return reverse("agreements:meeting_detail", args=[meeting.pk])


# Related meetings (fidelity 4) ----------------------------------------------------------------


def link(client, meeting, other, relation="follows_up", note="", **extra):
    data = {
        "action": "add_link",
        "link-relation": relation,
        "link-other": other.pk,
        "link-note": note,
    }
    return client.post(detail_url(meeting), data, **extra)


def test_a_follow_up_is_shown_on_both_meetings_and_as_a_chain(client, editor, meeting, team):
    dialogue = make_meeting(
        team, title="High-Level Security Dialogue", start_date=datetime.date(2021, 10, 8)
    )
    next_round = make_meeting(team, title="Next round", start_date=datetime.date(2026, 1, 20))
    client.force_login(editor)
    response = link(client, meeting, dialogue, note="Continues its cooperation", **HTMX)
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="related"')
    assert link(client, next_round, meeting).status_code == 302
    assert list(MeetingLink.objects.values_list("meeting", "relation", "other")) == [
        (meeting.pk, "follows_up", dialogue.pk),
        (next_round.pk, "follows_up", meeting.pk),
    ]
    page = client.get(detail_url(meeting)).content.decode()
    assert f'Follows up <a href="{dialogue.get_absolute_url()}">{dialogue}</a>' in page
    assert "Continues its cooperation" in page
    assert f'Followed up by <a href="{next_round.get_absolute_url()}">{next_round}</a>' in page
    older = client.get(detail_url(dialogue)).content.decode()
    assert f'Followed up by <a href="{meeting.get_absolute_url()}">{meeting}</a>' in older
    assert meeting.chain() == [dialogue, meeting, next_round]
    assert next_round.chain() == [dialogue, meeting, next_round]
    assert f'<strong aria-current="page">{meeting}</strong>' in page


def test_a_meetings_links_and_its_chains_first_steps_are_read_in_one_query(
    editor, meeting, team, django_assert_num_queries
):
    """The page reads every link of the meeting once, both ways; the chain takes its first
    step each way from them, and queries only for the steps beyond."""
    first = make_meeting(team, title="First round", start_date=datetime.date(2020, 1, 1))
    dialogue = make_meeting(team, title="Dialogue", start_date=datetime.date(2021, 10, 8))
    later = make_meeting(team, title="Later round", start_date=datetime.date(2026, 1, 20))
    for a, b in ((dialogue, first), (meeting, dialogue), (later, meeting)):
        MeetingLink.objects.create(meeting=a, relation="follows_up", other=b)
    MeetingLink.objects.create(meeting=meeting, relation="same_series", other=first)
    with django_assert_num_queries(1):
        related = meeting.related()
    assert [(str(label), other) for label, other, _link in related] == [
        ("Follows up", dialogue),
        ("Same series as", first),
        ("Followed up by", later),
    ]
    links = [link for *_, link in related]
    # One query for the step past the dialogue, one finding none before the first round and
    # one finding none after the later round.
    with django_assert_num_queries(3):
        assert meeting.chain(links=links) == [first, dialogue, meeting, later]
    assert meeting.chain() == [first, dialogue, meeting, later]


@pytest.mark.parametrize(
    ("relation", "when", "message"),
    [
        ("follows_up", datetime.date(2026, 1, 1), "is later than this meeting"),
        ("supersedes", datetime.date(2026, 1, 1), "is later than this meeting"),
    ],
)
def test_a_meeting_does_not_follow_up_a_later_one(
    client, editor, meeting, team, relation, when, message
):
    later = make_meeting(team, title="Later", start_date=when)
    client.force_login(editor)
    response = link(client, meeting, later, relation, **HTMX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not MeetingLink.objects.exists()


def test_a_link_is_made_once_whichever_side_it_is_made_from(client, editor, meeting, team):
    round_two = make_meeting(team, title="Round two", start_date=datetime.date(2025, 11, 3))
    client.force_login(editor)
    assert link(client, meeting, round_two, "same_series").status_code == 302
    for response in (
        link(client, meeting, round_two, "same_series", **HTMX),
        link(client, round_two, meeting, "same_series", **HTMX),
    ):
        assert response.status_code == 422
        assert "already" in response.content.decode()
    assert MeetingLink.objects.count() == 1
    page = client.get(detail_url(round_two)).content.decode()
    assert f'Same series as <a href="{meeting.get_absolute_url()}">{meeting}</a>' in page


def test_another_teams_meeting_is_neither_offered_nor_linked(client, editor, meeting, other_team):
    theirs = make_meeting(other_team, title="Brussels talks", start_date=datetime.date(2021, 1, 1))
    client.force_login(editor)
    response = link(client, meeting, theirs, **HTMX)
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    picker = client.get(
        detail_url(meeting), {"_pick": "link-other", "find": "Brussels"}, **HTMX
    ).content.decode()
    assert "Brussels" not in picker
    assert not MeetingLink.objects.exists()


def test_removing_a_link_keeps_who_removed_it(client, editor, meeting, team, outsider):
    earlier = make_meeting(team, title="Earlier", start_date=datetime.date(2024, 1, 1))
    client.force_login(editor)
    link(client, meeting, earlier)
    made = MeetingLink.objects.get()
    client.force_login(outsider)
    assert (
        client.post(detail_url(meeting), {"action": "unlink", "link": made.pk}).status_code == 404
    )
    client.force_login(editor)
    unrelated = make_meeting(team, title="Unrelated")
    response = client.post(detail_url(unrelated), {"action": "unlink", "link": made.pk})
    assert response.status_code == 404  # a link of another meeting's is not this page's
    response = client.post(detail_url(earlier), {"action": "unlink", "link": made.pk}, **HTMX)
    assert response.status_code == 200
    assert "Link removed." in response.content.decode()
    assert not MeetingLink.objects.exists()
    removed = MeetingLink.history.filter(history_type="-").get()
    assert removed.history_user == editor


def test_reviewer_cannot_link_meetings(client, reviewer, meeting, team):
    earlier = make_meeting(team, title="Earlier", start_date=datetime.date(2024, 1, 1))
    client.force_login(reviewer)
    assert link(client, meeting, earlier).status_code == 403
    assert not MeetingLink.objects.exists()


# Bodies and context events from the meeting page (fidelity 2, 3) ------------------------------


def test_staff_record_the_implementation_group_from_the_meeting_page(
    client, editor, meeting, commitment
):
    client.force_login(editor)
    page = client.get(detail_url(meeting), {"add": "body"}, **HTMX).content.decode()
    assert 'name="body-name"' in page
    assert "Version:" not in page  # the version a form was opened at travels hidden, unlabelled
    data = {
        "action": "add_body",
        "body-name": "High-level implementation group",
        "body-mandate": "Carry out the security cooperation agreed at the meeting.",
        "body-cadence": "meets regularly",
        "body-lifecycle": "announced",
        "body-commitments": [commitment.pk],
        "body-membership_note": "Precise membership not published.",
    }
    response = client.post(detail_url(meeting), data, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="bodies"')
    assert "High-level implementation group" in html
    assert "Precise membership not published." in html
    body = meeting.bodies.get()
    assert list(body.commitments.all()) == [commitment]
    assert body.history.first().history_user == editor
    again = client.post(detail_url(meeting), data, **HTMX)  # the same name twice
    assert again.status_code == 422
    assert "This meeting has a body of this name already." in again.content.decode()
    assert 'value="meets regularly"' in again.content.decode()


def test_a_body_is_corrected_on_its_own_page_and_a_stale_form_is_refused(
    client, editor, meeting, commitment
):
    body = make_body(meeting)
    url = reverse("agreements:body_detail", args=[body.pk])
    client.force_login(editor)
    data = {
        "action": "edit_body",
        "body-version": body.version,
        "body-name": "Security implementation group",
        "body-lifecycle": "constituted",
        "body-commitments": [commitment.pk],
    }
    assert client.post(url, data).status_code == 302
    body.refresh_from_db()
    assert (body.name, body.lifecycle) == ("Security implementation group", "constituted")
    assert list(body.commitments.all()) == [commitment]
    stale = client.post(url, data | {"body-name": "Older name"})
    assert stale.status_code == 409
    body.refresh_from_db()
    assert body.name == "Security implementation group"


def test_a_body_takes_only_its_meetings_commitments(client, editor, meeting, team):
    elsewhere = make_commitment(make_meeting(team, title="Other meeting"))
    client.force_login(editor)
    response = client.post(
        detail_url(meeting),
        {
            "action": "add_body",
            "body-name": "Group",
            "body-lifecycle": "announced",
            "body-commitments": [elsewhere.pk],
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


def event_data(**extra) -> dict:
    return {
        "action": "add_event",
        "event-title": "U.S. strike on a vessel in the Caribbean",
        "event-relation": "background",
        "event-occurred_on": "2025-09-02",
        "event-location": "Caribbean Sea",
        "event-fatalities": "11",
    } | extra


def test_staff_add_correct_and_archive_a_context_event(client, editor, meeting, us, team):
    source = make_source(team, title="Reuters on the strike")
    client.force_login(editor)
    response = client.post(
        detail_url(meeting),
        event_data(**{"event-actor": us.pk, "event-sources": [source.pk]}),
        **HTMX,
    )
    assert response.status_code == 200
    assert "11 killed" in response.content.decode()
    event = ContextEvent.objects.get()
    assert (event.actor, list(event.sources.all())) == (us, [source])
    page = client.get(detail_url(meeting), {"edit_event": event.pk}).content.decode()
    assert f'name="event-{event.pk}-title"' in page
    edit = {
        "action": "edit_event",
        "event": event.pk,
        f"event-{event.pk}-version": event.version,
        f"event-{event.pk}-title": "U.S. strike on a drug boat",
        f"event-{event.pk}-relation": "background",
        f"event-{event.pk}-timing_note": "the day before",
    }
    assert client.post(detail_url(meeting), edit).status_code == 302
    event.refresh_from_db()
    assert (event.title, event.occurred_on, event.timing_note) == (
        "U.S. strike on a drug boat",
        None,
        "the day before",
    )
    archive = {"action": "archive_event", "event": event.pk, "reason": "Recorded twice"}
    response = client.post(detail_url(meeting), archive, **HTMX)
    assert response.status_code == 200
    event.refresh_from_db()
    assert event.is_archived
    assert 'class="archived"' in response.content.decode()
    again = client.post(detail_url(meeting), archive, **HTMX)
    assert again.status_code == 409  # archiving twice is refused


def test_an_event_needs_a_date_or_a_timing_note(client, editor, meeting):
    client.force_login(editor)
    response = client.post(detail_url(meeting), event_data(**{"event-occurred_on": ""}), **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Give a date, or say when it happened" in html
    assert 'value="Caribbean Sea"' in html
    assert not ContextEvent.objects.exists()


def test_another_meetings_event_is_not_found_here(client, editor, meeting, team):
    theirs = ContextEvent.objects.create(
        meeting=make_meeting(team), title="Elsewhere", relation="background"
    )
    client.force_login(editor)
    response = client.post(
        detail_url(meeting), {"action": "archive_event", "event": theirs.pk, "reason": "x"}
    )
    assert response.status_code == 404


def test_an_archived_meeting_takes_no_new_link(client, editor, meeting, team, admin_user):

    earlier = make_meeting(team, title="Earlier", start_date=datetime.date(2024, 1, 1))
    actions.archive_record(record=earlier, by=admin_user, reason="Duplicate")
    client.force_login(editor)
    response = link(client, meeting, earlier, **HTMX)
    assert response.status_code == 409
    assert "read-only" in response.content.decode()
    assert not MeetingLink.objects.exists()


# Planned meetings (issue #26, point 10) -------------------------------------------------------


def plan(client, meeting, **fields):
    data = {
        "action": "add_planned",
        "planned-title": "Next round of security talks",
        "planned-start_date": "2026-01-20",
        "planned-city": "Washington",
        "planned-venue": "",
        "planned-parties": [p.pk for p in meeting.parties.all()],
        "planned-note": "Announced at the meeting",
    } | {f"planned-{k}": v for k, v in fields.items()}
    return client.post(detail_url(meeting), data, **HTMX)


def test_a_follow_up_not_yet_held_is_named_as_a_planned_meeting_and_linked(
    client, editor, meeting, us, mexico
):
    client.force_login(editor)
    form = client.get(detail_url(meeting), {"add": "planned"}).content.decode()
    assert "Name a planned follow-up meeting" in form
    assert "Fields marked * are required." in form  # its title and date are marked
    response = plan(client, meeting)
    assert response.status_code == 200
    planned = meeting.linked_from.get().meeting
    assert planned.planned and planned.outcome_type == ""
    assert (planned.title, planned.city, planned.team) == (
        "Next round of security talks",
        "Washington",
        meeting.team,
    )
    assert set(planned.parties.all()) == {us, mexico}
    link = MeetingLink.objects.get()
    assert (link.meeting, link.relation, link.other) == (planned, "follows_up", meeting)
    html = response.content.decode()
    assert "Followed up by" in html and "(planned, 20 Jan 2026)" in html
    page = client.get(detail_url(planned)).content.decode()
    assert "Planned: not held yet" in page and "Fill it in once held" in page


def test_a_planned_meeting_is_labelled_and_not_counted_as_held(client, editor, meeting, team):
    planned = make_meeting(
        team,
        title="Planned round",
        start_date=datetime.date(2026, 1, 20),
        planned=True,
        outcome_type="",
    )
    client.force_login(editor)
    listed = client.get(reverse("agreements:meeting_list")).content.decode()
    assert "Planned round" in listed and "Not held yet" in listed
    dashboard = client.get(reverse("agreements:dashboard"))
    shown = [m.pk for m in dashboard.context["recent_meetings"]]
    assert shown == [meeting.pk] and planned.pk not in shown


def test_a_planned_meeting_is_not_before_the_meeting_it_follows_up(client, editor, meeting):
    client.force_login(editor)
    response = plan(client, meeting, start_date="2025-01-01")
    assert response.status_code == 422
    assert not MeetingLink.objects.exists()
    assert meeting.team.meetings.count() == 1
