"""The milestones list (issue #11, point 1 needs it filtered and exported): every dated step the
user can see, soonest first, filtered in place, and as CSV."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements import actions
from agreements.models import ApiToken, CalendarFeed, Digest, Milestone, teams_with_reminders
from tests.conftest import HTMX, make_body, make_commitment
from tests.test_exports import read

LIST = "/milestones/"


def milestone(of, title: str, days: int, **extra) -> Milestone:
    due = timezone.localdate() + datetime.timedelta(days=days)
    field = "commitment" if hasattr(of, "theme_id") else "body"
    return Milestone.objects.create(**{field: of}, title=title, due_date=due, **extra)


def test_milestones_of_commitments_and_bodies_soonest_first(client, editor, meeting, commitment):
    body = make_body(meeting, name="Working group")
    milestone(commitment, "Report due", 10)
    milestone(body, "Group meets", -3)
    milestone(commitment, "Plan drafted", 40)
    client.force_login(editor)
    response = client.get(LIST)
    titles = [ms.title for ms in response.context["page"].object_list]
    assert titles == ["Group meets", "Report due", "Plan drafted"]
    html = response.content.decode()
    assert '<span class="badge danger">Overdue</span>' in html  # the body's, three days late
    assert "Working group" in html and commitment.title in html


def test_a_row_reads_in_the_readers_language_and_links_to_its_record(
    client, editor, meeting, commitment
):
    """The rows are a Jinja2 template (agreements/jinja2.py): labels, badges and dates
    translated as in Django's templates, each row linked to what the milestone belongs to."""
    body = make_body(meeting, name="Working <b>group</b>")
    milestone(commitment, "Report due", -2)
    milestone(body, "Group meets", 3)
    client.force_login(editor)
    html = client.get(LIST, headers={"accept-language": "es"}).content.decode()
    assert "Vencimiento:" in html and "Responsable:" in html
    assert '<span class="badge danger">Vencido</span>' in html
    assert f'<a href="{commitment.get_absolute_url()}">' in html
    assert f'<a href="{body.get_absolute_url()}">Working &lt;b&gt;group&lt;/b&gt;</a>' in html


def test_filters_swap_the_table_in_place(client, editor, commitment):
    milestone(commitment, "Late", -1)
    milestone(commitment, "Soon", 5)
    milestone(commitment, "Later", 60)
    milestone(commitment, "Done early", 2, status="done", completed_on=timezone.localdate())
    client.force_login(editor)

    def titles(**query) -> list[str]:
        response = client.get(LIST, query, **HTMX)
        assert "<html" not in response.content.decode()
        return [ms.title for ms in response.context["page"].object_list]

    assert titles(when="overdue") == ["Late"]
    assert titles(when="30") == ["Soon"]  # open ones only: "Done early" is done
    assert titles(when="90") == ["Soon", "Later"]
    assert titles(status="done") == ["Done early"]
    assert titles(q="lat") == ["Late", "Later"]
    assert titles(when="next year") == ["Late", "Done early", "Soon", "Later"]  # ignored


def test_another_teams_milestones_are_never_listed_nor_exported(client, outsider, commitment):
    milestone(commitment, "Secret step", 5)
    client.force_login(outsider)
    assert "Secret step" not in client.get(LIST).content.decode()
    assert read(client.get(LIST, {"format": "csv"})) == []


def test_milestones_export(client, editor, commitment):
    moved = milestone(commitment, "=Report", 5, owner="SRE")
    moved.original_due_date = moved.due_date - datetime.timedelta(days=90)
    moved.save()
    client.force_login(editor)
    (row,) = read(client.get(LIST, {"format": "csv"}))
    assert row["title"] == "'=Report"
    assert row["first_due_date"] == moved.original_due_date.isoformat()
    assert (row["status"], row["overdue"], row["owner"]) == ("Planned", "no", "SRE")
    assert row["of"] == f"commitment: {commitment.title}"


@pytest.mark.perf
def test_the_list_query_count_does_not_grow(client, editor, meeting, queries):
    body = make_body(meeting)

    def add(n: int) -> None:
        for i in range(n):
            moved = milestone(make_commitment(meeting), f"c{i}", i)
            move(moved, moved.due_date + datetime.timedelta(days=1), by=editor, name=f"n{i}")
            milestone(body, f"b{i}", i)

    client.force_login(editor)
    queries.stay_flat(client, add, LIST)


# A moved deadline, in full wherever the milestone is shown (issue #26, point 6) ---------------


def move(ms: Milestone, to: datetime.date, *, by, name="", reason="Extended", moved_on=None):
    ms.refresh_from_db()
    return actions.reschedule_milestone(
        milestone=ms,
        expected=ms.version,
        to_date=to,
        reason=reason,
        name=name,
        by=by,
        moved_on=moved_on,
    )


def test_a_move_is_named_in_the_move_form_and_shown_in_full_wherever_the_milestone_is(
    client, editor, meeting, commitment
):
    """A 90-day tariff suspension extended: its new end has a name of its own. The current
    date, the first one and every move (dates, who, why) show on the commitment's, meeting's
    and body's pages, in the list and in the briefings, never folded away."""
    today = timezone.localdate()
    first, new = today - datetime.timedelta(days=10), today + datetime.timedelta(days=80)
    suspension = Milestone.objects.create(
        commitment=commitment, title="Tariff suspension ends", due_date=first
    )
    body = make_body(meeting, name="Working group")
    body.commitments.add(commitment)
    sitting = Milestone.objects.create(body=body, title="Group meets", due_date=first)
    move(sitting, new, by=editor, name="Rescheduled sitting", reason="Host asked")
    client.force_login(editor)
    page = reverse("agreements:commitment_detail", args=[commitment.pk])
    response = client.post(
        page,
        {
            "action": "reschedule_milestone",
            "milestone": suspension.pk,
            "version": suspension.version,
            "to_date": new.isoformat(),
            "reason": "Suspension extended by another 90 days",
            "name": "  Extended suspension ends ",
        },
        **HTMX,
    )
    assert response.status_code == 200, response.content.decode()[:400]
    (moved,) = suspension.reschedules.all()
    assert (moved.name, moved.from_date, moved.to_date) == ("Extended suspension ends", first, new)
    shown = (
        "Extended suspension ends</strong>: "
        f"{first:%-d %b %Y} → {new:%-d %b %Y}, “Suspension extended by another 90 days”"
    )
    body_shown = f"Rescheduled sitting</strong>: {first:%-d %b %Y} → {new:%-d %b %Y}, “Host asked”"
    pages = {
        "commitment": (page, [shown]),
        "meeting": (meeting.get_absolute_url(), [shown]),
        "body": (body.get_absolute_url(), [body_shown]),
        "list": (LIST, [shown, body_shown]),
        "meeting briefing": (reverse("agreements:meeting_briefing", args=[meeting.pk]), [shown]),
        "body briefing": (
            reverse("agreements:body_briefing", args=[body.pk]),
            [shown, body_shown],
        ),
    }
    for where, (url, moves) in pages.items():
        html = client.get(url).content.decode()
        for text in moves:
            assert text in html, where
        assert f"First due {first:%-d %b %Y}, moved once:" in html, where
        assert f"{editor.username}, {today:%-d %b %Y}" in html, where  # who, when
        assert f"{new:%-d %b %Y}" in html, where  # its date now
        assert '<details class="moves"' not in html, where


def test_on_a_past_day_a_milestone_shows_the_moves_made_by_then(
    client, editor, meeting, commitment
):
    today = timezone.localdate()
    first = today - datetime.timedelta(days=40)
    ms = Milestone.objects.create(commitment=commitment, title="Audit", due_date=first)
    move(ms, today + datetime.timedelta(days=5), by=editor, name="Late audit", moved_on=today)
    client.force_login(editor)
    before = (today - datetime.timedelta(days=20)).isoformat()
    for url in (
        meeting.get_absolute_url(),
        reverse("agreements:meeting_briefing", args=[meeting.pk]),
    ):
        now = client.get(url).content.decode()
        assert "Late audit" in now, url
        then = client.get(url, {"as_of": before}).content.decode()
        assert "Late audit" not in then and "First due" not in then, url
        assert f"{first:%-d %b %Y}" in then, url  # the date it had then


def test_a_moves_name_is_exported_wherever_its_moves_are(client, editor, meeting, commitment):
    today = timezone.localdate()
    ms = Milestone.objects.create(
        commitment=commitment, title="Tariff suspension ends", due_date=today
    )
    move(ms, today + datetime.timedelta(days=90), by=editor, name="Extended suspension ends")
    unnamed = Milestone.objects.create(commitment=commitment, title="Plain", due_date=today)
    move(unnamed, today + datetime.timedelta(days=9), by=editor)
    client.force_login(editor)
    rows = {r["title"]: r for r in read(client.get(LIST, {"format": "csv"}))}
    assert (rows["Tariff suspension ends"]["moved_as"], rows["Plain"]["moved_as"]) == (
        "Extended suspension ends",
        "",
    )
    data = json.loads(b"".join(client.get("/open-data.json").streaming_content))
    assert data["meta"]["version"] == 4
    names = {m["title"]: [mv["name"] for mv in m["moves"]] for m in data["milestones"]}
    assert names == {"Tariff suspension ends": ["Extended suspension ends"], "Plain": [""]}
    _, key = ApiToken.issue(editor, "script")
    api = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/milestones").json()
    assert {m["title"]: [mv["name"] for mv in m["moves"]] for m in api["items"]} == names
    feed = client.get(
        reverse("agreements:calendar_feed", args=[CalendarFeed.of(editor).token])
    ).content.decode()
    assert "(“Extended suspension ends”)" in feed.replace("\r\n ", "")


# A milestone of the meeting itself (issue #26, point 4) --------------------------------------


def test_a_meetings_own_milestone_is_shown_wherever_milestones_are(
    client, editor, outsider, meeting, team
):
    """The list (with its team filter), the CSV, the open data, the API, the calendar feed, a
    reminder's digest, the meeting's briefing and the dashboard's overdue count on a past day
    all show a milestone that belongs to the meeting itself, as they show a commitment's."""
    today = timezone.localdate()
    late = Milestone.objects.create(
        meeting=meeting, title="Ratification deadline", due_date=today - datetime.timedelta(3)
    )
    client.force_login(editor)
    page = client.get(LIST, {"team": team.pk})
    assert [ms.title for ms in page.context["page"].object_list] == ["Ratification deadline"]
    html = page.content.decode()
    assert f'href="/meetings/meeting-{meeting.pk}/"' in html and "the meeting itself" in html
    (row,) = read(client.get(LIST, {"format": "csv"}))
    assert (row["of"], row["meeting"]) == (f"meeting: {meeting.title}", meeting.title)
    data = json.loads(b"".join(client.get("/open-data.json").streaming_content))
    (item,) = data["milestones"]
    assert (item["meeting_id"], item["commitment_id"], item["body_id"]) == (
        f"meeting-{meeting.pk}",
        None,
        None,
    )
    _, key = ApiToken.issue(editor, "script")
    (api,) = (
        Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/milestones").json()["items"]
    )
    assert (api["meeting_id"], api["commitment_id"]) == (f"meeting-{meeting.pk}", None)
    feed = client.get(
        reverse("agreements:calendar_feed", args=[CalendarFeed.of(editor).token])
    ).content.decode()
    assert f"Ratification deadline · {meeting}" in feed.replace("\r\n ", "")
    assert "Meeting milestone" in feed
    editor.email = "editor@desk.example"  # a digest goes to an address
    editor.save(update_fields=["email"])
    digest = Digest.of(editor, today)
    assert digest.overdue == [late]
    assert teams_with_reminders(today)[0] == {team.pk}
    briefing = client.get(reverse("agreements:meeting_briefing", args=[meeting.pk]))
    assert "Milestones of the meeting" in briefing.content.decode()
    assert briefing.context["briefing"].overdue_milestones == 1
    yesterday = (today - datetime.timedelta(1)).isoformat()
    then = client.get("/", {"as_of": yesterday}).context["overdue_milestones"]
    assert [ms.title for ms in then] == ["Ratification deadline"]
    client.force_login(outsider)
    assert not client.get(LIST).context["page"].object_list
