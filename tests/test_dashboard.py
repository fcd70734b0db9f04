from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from agreements.actions import submit_update
from agreements.forms.as_of import AsOfForm
from agreements.forms.compare import DrawnPartiesForm
from agreements.models import (
    Assessment,
    Cancellation,
    ImplementationBody,
    ImplementationStatus,
    Milestone,
    ProgressUpdate,
    TeamMembership,
    TeamRole,
)
from tests.conftest import (
    compiled_sql,
    make_body,
    make_commitment,
    make_meeting,
    make_user,
)


def test_dashboard_shows_the_index_overall_and_by_theme_and_body(
    client, editor, meeting, us, mexico
):
    body = make_body(meeting, name="High-level implementation group")
    done = make_commitment(meeting, parties=[us], theme="arms", status=3)
    make_commitment(meeting, parties=[us, mexico], theme="drugs", status=1)
    make_commitment(meeting, theme="drugs", cancellation=Cancellation.CANCELLED)
    body.commitments.add(done)
    client.force_login(editor)
    page = client.get("/").content.decode()
    # (3 + 1) / 2 ÷ 3 = 67 %; the cancelled commitment does not count.
    assert "67%" in page
    assert "Arms trafficking: 100.0%" in page  # the SVG's text equivalent
    assert "Drugs: 33.3%" in page
    assert f"High-level implementation group ({meeting.title}): 100.0%" in page
    assert "cancelled or superseded" in page


def test_the_themes_are_named_in_the_read_that_counts_them(client, editor, meeting):
    """Today's tally and a past day's history name their themes as they count them, in the
    reader's language: no query of the themes' own."""
    make_commitment(meeting, theme="arms", status=3)
    client.force_login(editor)
    for url in ("/", f"/?as_of={timezone.localdate() - datetime.timedelta(1):%Y-%m-%d}"):
        with CaptureQueriesContext(connection) as read:
            page = client.get(url).content.decode()
        assert "Arms trafficking: 100.0%" in page, url
        themes = 'SELECT "agreements_theme"."code" AS "code", "agreements_theme"."name"'
        assert not [q for q in read.captured_queries if q["sql"].startswith(themes)]
        assert any('"agreements_theme"' in q["sql"] for q in read.captured_queries)
        with translation.override("es"):
            spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
        assert "Tráfico de armas: 100,0%" in spanish, url


def test_each_index_leads_to_the_records_behind_it(client, editor, reviewer, meeting, us):
    body = make_body(meeting, name="High-level implementation group")
    done = make_commitment(meeting, parties=[us], theme="arms", status=3)
    body.commitments.add(done)
    assess(done, us, "+1", datetime.date(2025, 10, 1), reviewer)
    client.force_login(editor)
    page = client.get("/").content.decode()
    assert '<a href="/commitments/?theme=arms">Arms trafficking</a>' in page
    assert f'<a href="/parties/party-{us.pk}/briefing/">United States</a>' in page
    assert f'<a href="{body.get_absolute_url()}">High-level implementation group (' in page
    # And a commitment's parties lead to their briefings too.
    detail = client.get(done.get_absolute_url()).content.decode()
    assert detail.count(f'<a href="/parties/party-{us.pk}/briefing/">United States</a>') == 2


def assess(commitment, party, score, as_of, by):
    return Assessment.objects.create(
        commitment=commitment,
        party=party,
        score=score,
        justification="Evidence",
        as_of=as_of,
        assessed_by=by,
    )


def test_dashboard_compliance_by_party_uses_each_latest_assessment(
    client, editor, reviewer, meeting, us, mexico
):
    first = make_commitment(meeting, parties=[us, mexico])
    second = make_commitment(meeting, parties=[us, mexico])
    cancelled = make_commitment(meeting, parties=[us], cancellation=Cancellation.CANCELLED)
    day = datetime.date(2025, 10, 1)
    assess(first, us, "-1", day, reviewer)  # superseded by the next one
    assess(first, us, "+1", day + datetime.timedelta(30), reviewer)
    assess(second, us, "0", day, reviewer)
    assess(cancelled, us, "-1", day, reviewer)  # leaves the averages
    assess(first, mexico, "n/a", day, reviewer)  # not assessed is not −1
    client.force_login(editor)
    rows = {row["key"]: row for row in client.get("/").context["by_party"]}
    assert (rows["United States"]["mean"], rows["United States"]["index"]) == (0.5, 75.0)
    assert rows["United States"]["count"] == 2
    assert rows["Mexico"]["index"] is None and rows["Mexico"]["count"] == 0


def test_dashboard_lists_overdue_and_due_soon_milestones(client, editor, commitment):
    today = timezone.localdate()
    commitment.meeting.start_date = today - datetime.timedelta(days=60)
    commitment.meeting.save(update_fields=["start_date"])
    Milestone.objects.create(
        commitment=commitment, title="Joint task force", due_date=today - datetime.timedelta(1)
    )
    Milestone.objects.create(
        commitment=commitment, title="First report", due_date=today + datetime.timedelta(10)
    )
    Milestone.objects.create(
        commitment=commitment, title="Annual review", due_date=today + datetime.timedelta(100)
    )
    client.force_login(editor)
    response = client.get("/")
    overdue = [m.title for m in response.context["overdue_milestones"]]
    due_soon = [m.title for m in response.context["due_soon"]]
    assert overdue == ["Joint task force"]
    assert due_soon == ["First report"]


def test_the_milestones_lists_sql_is_made_once_and_reads_what_the_queryset_reads(
    client, editor, outsider, admin_user, team, other_team, commitment
):
    """The lists of milestones overdue and due soon are read by SQL made once a process for
    each number of teams (``overdue_and_due_within_for``), run with the reader's teams and
    the day: the same lines as ``visible_to(user).overdue_and_due_within``, for one team, two,
    all (an admin) and none of them (another team's member); a later page compiles none."""
    from agreements.models.milestone_lists import overdue_and_due_within_for

    today = timezone.localdate()
    theirs = make_commitment(make_meeting(other_team))
    for n in range(14):
        for record in (commitment, theirs):
            Milestone.objects.create(
                commitment=record, title=f"Step {n}", due_date=today + datetime.timedelta(n - 7)
            )
    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.EDITOR)
    for user in (editor, outsider, admin_user, both):
        for day in (today, today - datetime.timedelta(5), today + datetime.timedelta(30)):
            made = overdue_and_due_within_for(user, day, 3, 10)
            assert made == Milestone.objects.visible_to(user).overdue_and_due_within(day, 3, 10)
    assert [len(lines) for lines in overdue_and_due_within_for(both, today, 3, 10)] == [10, 8]
    client.force_login(editor)
    client.get("/")
    with compiled_sql() as compiled:
        response = client.get("/", {"_": "later"})
    assert [line.title for line in response.context["due_soon"]][:2] == ["Step 7", "Step 8"]
    assert not [sql for sql in compiled if '"agreements_milestone"' in sql]


def test_dashboard_shows_reviewers_what_waits_for_them(client, editor, reviewer, commitment):
    submit_update(commitment=commitment, author=editor, narrative="Seizures rose 20%")
    client.force_login(reviewer)
    assert len(client.get("/").context["awaiting_review"]) == 1
    client.force_login(editor)  # nobody reviews their own update
    assert len(client.get("/").context["awaiting_review"]) == 0


@pytest.mark.django_db(transaction=True)  # each write commits, as it does in production
def test_dashboard_counts_commitments_without_update_for_90_days(client, editor, commitment):
    old = timezone.now() - datetime.timedelta(days=120)
    type(commitment).objects.filter(pk=commitment.pk).update(created_at=old)
    client.force_login(editor)
    assert list(client.get("/").context["stale"]) == [commitment]
    ProgressUpdate.objects.create(commitment=commitment, author=editor, narrative="News")
    assert list(client.get("/").context["stale"]) == []


def test_dashboard_lists_the_never_updated_first_then_the_longest_without_update(
    client, editor, meeting, commitment
):
    """Read from ``last_update_at``, which the database writes with every new update."""
    long_ago = timezone.now() - datetime.timedelta(days=400)
    updated = make_commitment(meeting, title="Updated a year ago")
    never = make_commitment(meeting, title="Never updated")
    type(commitment).objects.update(created_at=long_ago)
    # Updates are append-only: the year-old one is written as the trigger would have.
    type(commitment).objects.filter(pk=updated.pk).update(last_update_at=long_ago)
    ProgressUpdate.objects.create(commitment=commitment, author=editor, narrative="Fresh")
    assert type(commitment).objects.get(pk=commitment.pk).last_update_at is not None
    client.force_login(editor)
    assert list(client.get("/").context["stale"]) == [never, updated]


def test_the_longest_without_update_are_merged_across_the_readers_teams(
    client, team, other_team, meeting
):
    """Each team's are read on their own (``views.paging.runs``), then merged: the list is
    the first ten of all of them, in order, whichever team each belongs to."""
    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.EDITOR)
    elsewhere = make_meeting(other_team)
    now = timezone.now()
    for n in range(8):
        for held in (meeting, elsewhere):
            made = make_commitment(held, title=f"{held.team.slug} {n}")
            stamp = now - datetime.timedelta(days=100 + 2 * n + (held == elsewhere))
            type(made).objects.filter(pk=made.pk).update(
                created_at=now - datetime.timedelta(days=900), last_update_at=stamp
            )
    client.force_login(both)
    stale = [c.title for c in client.get("/").context["stale"]]
    assert stale == [f"{slug} {n}" for n in range(7, 2, -1) for slug in ("europe", "north-america")]


def test_a_milestone_line_names_what_it_belongs_to_as_its_record_names_itself(
    client, editor, team, commitment
):
    """The lists read each milestone's line (title, date, its record's name), not the
    records: a meeting's, a commitment's and a body's milestone each named as its record is."""
    today = timezone.localdate()
    due = today - datetime.timedelta(3)
    planned = make_meeting(team, title="Summit", start_date=today - datetime.timedelta(30))
    type(planned).objects.filter(pk=planned.pk).update(planned=True)
    planned.refresh_from_db()
    body = make_body(commitment.meeting, name="Border working group")
    Milestone.objects.create(meeting=planned, title="Agenda agreed", due_date=due)
    Milestone.objects.create(commitment=commitment, title="Task force", due_date=due)
    Milestone.objects.create(body=body, title="First sitting", due_date=due)
    client.force_login(editor)
    lines = client.get("/").context["overdue_milestones"]
    assert {(line.title, line.belongs_to) for line in lines} == {
        ("Agenda agreed", str(planned)),
        ("Task force", commitment.title),
        ("First sitting", "Border working group"),
    }
    assert "(planned, " in str(planned)


def test_dashboard_counts_nothing_from_another_team(client, outsider, commitment):
    client.force_login(outsider)
    response = client.get("/")
    assert response.context["counting"] == 0
    assert commitment.title not in response.content.decode()


@pytest.mark.perf
def test_dashboard_query_count_does_not_grow_with_the_data(client, editor, team, us, queries):
    def fill(n: int) -> None:
        for _ in range(n):
            meeting = make_meeting(team)
            body = make_body(meeting)
            commitment = make_commitment(meeting, parties=[us], status=ImplementationStatus.MINIMAL)
            body.commitments.add(commitment)
            Milestone.objects.create(
                commitment=commitment, title="m", due_date=timezone.localdate()
            )

    client.force_login(editor)
    queries.stay_flat(client, fill, "/")


def test_pages_show_no_template_syntax(client, editor, commitment):
    """A template comment or tag that leaked into the page would show here."""
    client.force_login(editor)
    for url in (
        "/",
        "/commitments/",
        f"/commitments/commitment-{commitment.pk}/",
        "/accounts/password/",
    ):
        html = client.get(url).content.decode()
        for leak in ("{#", "#}", "{%", "%}", "{{", "}}"):
            assert leak not in html, (url, leak)


def test_dashboard_shows_recent_updates_with_their_review_state(client, editor, commitment):
    submit_update(commitment=commitment, author=editor, narrative="Seizures up")
    client.force_login(editor)
    response = client.get("/")
    shown = [(u.commitment, u.author, u.review_state) for u in response.context["recent_updates"]]
    assert shown == [(commitment.title, editor.username, "submitted")]
    assert "Submitted" in response.content.decode()


@pytest.mark.django_db(transaction=True)  # each write commits, as it does in production
def test_the_figures_show_a_committed_change_at_once(client, editor, meeting):
    make_commitment(meeting, title="Joint task force", status=ImplementationStatus.MINIMAL)
    client.force_login(editor)
    assert "33%" in client.get("/").content.decode()
    make_commitment(meeting, title="Second commitment", status=ImplementationStatus.COMPLETE)
    assert "67%" in client.get("/").content.decode()  # (1 + 3) / 2 ÷ 3


def test_teams_and_languages_each_get_their_own_figures(client, editor, outsider, commitment):
    client.force_login(editor)
    assert commitment.title in client.get("/commitments/").content.decode()
    client.force_login(outsider)
    page = client.get("/")
    assert page.context["counting"] == 0  # the outsider's own figures
    client.force_login(editor)
    client.post("/accounts/language/", {"language": "es", "next": "/"})
    html = client.get("/").content.decode()
    assert "Por estado" in html and "By status" not in html


def test_the_dashboard_escapes_what_its_records_name(client, editor, reviewer, meeting, us):
    """Index bars, the chart's numbers and the lists write names as text, never as HTML."""
    us.name = "United <b>States</b>"
    us.save(update_fields=["name"])
    body = make_body(meeting, name="Group <i>one</i>")
    done = make_commitment(meeting, parties=[us], status=3, title="Seize <script>x</script>")
    body.commitments.add(done)
    assess(done, us, "+1", datetime.date(2025, 10, 1), reviewer)
    Milestone.objects.create(
        commitment=done, title="Report <b>due</b>", due_date=timezone.localdate()
    )
    old = timezone.now() - datetime.timedelta(days=120)
    type(done).objects.filter(pk=done.pk).update(created_at=old)
    client.force_login(editor)
    page = client.get("/").content.decode()
    for raw in ("<b>States</b>", "<i>one</i>", "<script>x</script>", "<b>due</b>"):
        assert raw not in page
    assert "United &lt;b&gt;States&lt;/b&gt;</a>" in page  # its index bar
    assert "Group &lt;i&gt;one&lt;/i&gt;" in page
    assert "Seize &lt;script&gt;x&lt;/script&gt;" in page  # without news
    assert "Report &lt;b&gt;due&lt;/b&gt;" in page  # due soon


def test_the_dashboard_in_spanish_writes_its_lists_and_chart_in_spanish(
    client, editor, meeting, commitment
):
    Milestone.objects.create(
        commitment=commitment,
        title="Joint task force",
        due_date=timezone.localdate() - datetime.timedelta(1),
    )
    client.force_login(editor)
    client.post("/accounts/language/", {"language": "es", "next": "/"})
    html = client.get("/").content.decode()
    assert "Hitos vencidos" in html and "vence el" in html  # a list, by the Jinja2 template
    assert "Las cifras del gráfico" in html and "Periodo" in html  # the chart's numbers
    assert "Vencen en los próximos 30 días" in html  # a heading with a count


@pytest.mark.perf
def test_the_dashboard_over_two_teams_reads_as_many_queries_at_any_size(
    client, team, other_team, us, queries
):
    """Its lists hold rows of both teams, fewer than they show at first (two meetings, then
    twenty-two; the lists show 5 and 10): a query per row or per team would show. (A past
    day: ``test_a_past_days_lists_read_as_many_queries_at_any_size_when_they_hold_rows``.)"""
    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.EDITOR)
    long_ago = timezone.now() - datetime.timedelta(days=200)

    def fill(n: int) -> None:
        for i in range(n // 2):
            meeting = make_meeting((team, other_team)[i % 2], start_date=timezone.localdate())
            commitment = make_commitment(meeting, parties=[us], status=1)
            type(commitment).objects.filter(pk=commitment.pk).update(created_at=long_ago)
            Milestone.objects.create(
                commitment=commitment,
                title="m",
                due_date=timezone.localdate() - datetime.timedelta(days=n),
            )

    client.force_login(both)
    fill(5)
    shown = client.get("/").context
    assert len(shown["recent_meetings"]) == 2 and len(shown["overdue_milestones"]) == 2
    queries.stay_flat(client, fill, "/")


def test_a_past_day_shows_the_bodies_of_the_meetings_held_by_then(client, editor, team):
    """On a past day, "Index by body" lists the bodies of the latest meetings held by then:
    however many meetings came after it, the earlier meetings' bodies are shown."""
    held = make_meeting(team, title="Held in 2024", start_date=datetime.date(2024, 3, 1))
    body = make_body(held, name="Border working group")
    body.commitments.add(make_commitment(held))
    for _ in range(12):  # more later meetings with bodies than the card lists
        later = make_meeting(team, start_date=datetime.date(2025, 9, 3))
        make_body(later).commitments.add(make_commitment(later))
    client.force_login(editor)
    shown = [row["key"] for row in client.get("/?as_of=2024-06-30").context["by_body"]]
    assert shown == ["Border working group (Held in 2024)"]


@pytest.mark.perf
def test_a_past_days_lists_read_as_many_queries_at_any_size_when_they_hold_rows(
    client, team, other_team, us, editor, queries
):
    """The past day's own lists (milestones overdue then, moved and not; the bodies, meetings
    and status changes of then; the chart), over two teams, read as many queries with a row
    or two as with more than each list shows. Two things make the count able to move: the
    meetings are held before the day (made on their default day, after 2025-06-30, they would
    leave every list of that day empty), and the first fill stays under the lists' caps (five
    meetings, ten rows: ``stay_flat``'s 5 rows a team over two teams would fill them, and an
    extra query a row would cost as much at 5 as at 50)."""
    from agreements import actions

    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.EDITOR)
    day = "2025-06-30"

    def fill(n: int) -> None:
        for _ in range(n // 5):  # 1, then 9 more, a team
            for held in (team, other_team):
                meeting = make_meeting(held, start_date=datetime.date(2025, 1, 10))
                commitment = make_commitment(meeting, parties=[us])
                make_body(meeting).commitments.add(commitment)
                actions.change_commitment_status(
                    commitment=commitment,
                    status=1,
                    reason="Started",
                    by=editor,
                    via="web",
                    effective_on=datetime.date(2025, 3, 1),
                )
                milestone = Milestone.objects.create(
                    commitment=commitment, title="m", due_date=datetime.date(2025, 5, 1)
                )
                if held == other_team:  # moved after the day: overdue then at its date then
                    actions.reschedule_milestone(
                        milestone=milestone,
                        expected=milestone.version,
                        to_date=datetime.date(2026, 1, 1),
                        reason="Extended",
                        by=editor,
                        moved_on=datetime.date(2025, 8, 1),
                    )

    client.force_login(both)
    queries.stay_flat(client, fill, f"/?as_of={day}")
    shown = client.get(f"/?as_of={day}").context
    overdue = shown["overdue_milestones"]
    assert len(overdue) == 10 and {m.due_date for m in overdue} == {datetime.date(2025, 5, 1)}
    assert shown["by_body"] and shown["recent_meetings"]
    assert shown["recent_changes"] and shown["curve"] is not None


def test_the_bodies_figures_are_those_of_the_bodies_list(client, editor, meeting):
    """The latest meetings' bodies are read first and their figures after, in one read of
    those bodies: the same as each body's own (``with_index``), the cancelled not counted,
    a body that oversees none that count left out."""
    counted = make_body(meeting, name="Counted group")
    counted.commitments.add(
        make_commitment(meeting, status=3),
        make_commitment(meeting, status=0),
        make_commitment(meeting, status=1, cancellation=Cancellation.CANCELLED),
    )
    idle = make_body(meeting, name="Idle group")
    idle.commitments.add(make_commitment(meeting, cancellation=Cancellation.CANCELLED))
    client.force_login(editor)
    rows = {row["key"]: (row["index"], row["count"]) for row in client.get("/").context["by_body"]}
    listed = {b.pk: (b.index, b.commitment_count) for b in ImplementationBody.objects.with_index()}
    assert listed[counted.pk] == (50.0, 2)
    assert rows == {f"Counted group ({meeting.title})": listed[counted.pk]}


def test_the_summary_is_written_as_its_template_wrote_it_in_the_readers_language():
    """The figures' summary (the ``dashboard_summary`` tag): the index as ``floatformat:0``
    writes it, "–" without one; the counts each in its plural, "more than" the cap past it;
    a status's label escaped as the templates escape it; in the reader's language."""
    drawn = engines["django"].from_string(
        "{% load dashboard %}{% dashboard_summary index counting overdue cap stalled "
        "cancelled rows %}"
    )
    rows = [{"status": 0, "label": "Not <started> & 'late'", "count": 1234}]
    figures = dict(index=66.5, counting=1, overdue=1, cap=999, stalled=2, cancelled=1, rows=rows)
    html = drawn.render(figures)
    assert html == (
        '<section class="grid" aria-label="Summary">\n  <div class="card">\n'
        '    <h2 class="visually-hidden">Implementation index</h2>\n'
        '    <p class="muted">Implementation index</p>\n    <p class="stat">67%</p>\n'
        '    <p class="muted">Mean status ÷ 3 over 1 commitment that counts.</p>\n  </div>\n'
        '  <div class="card">\n    <p class="muted">Needs attention</p>\n'
        '    <ul class="plain">\n      <li><strong>1</strong> overdue commitment</li>\n'
        "      <li><strong>2</strong> stalled</li>\n"
        "      <li><strong>1</strong> cancelled or superseded (not counted)</li>\n"
        "    </ul>\n  </div>\n"
        '  <div class="card">\n    <h2>By status</h2>\n    <table class="data">\n'
        '      <caption class="visually-hidden">Commitments by implementation status</caption>\n'
        '      <thead><tr><th scope="col">Status</th><th scope="col">Commitments</th></tr>'
        "</thead>\n      <tbody>\n        \n"
        '          <tr><td><span class="badge status-0">Not &lt;started&gt; &amp; '
        "&#x27;late&#x27;</span></td><td>1234</td></tr>\n        \n"
        "      </tbody>\n    </table>\n  </div>\n</section>"
    )
    past_cap = drawn.render(figures | {"index": None, "counting": 3, "overdue": 1000})
    assert '<p class="stat">–</p>' in past_cap
    assert "over 3 commitments that count." in past_cap
    assert "<li><strong>More than 999</strong> overdue commitments</li>" in past_cap
    with translation.override("es"):
        spanish = drawn.render(figures | {"rows": []})
    assert '<section class="grid" aria-label="Resumen">' in spanish
    assert "Estado medio ÷ 3 sobre 1 compromiso computable." in spanish
    assert "<li><strong>1</strong> compromiso vencido</li>" in spanish
    assert "<tbody>\n        \n      </tbody>" in spanish


def test_the_heading_and_the_day_form_are_written_as_their_template_wrote_them(rf):
    """The heading, its day and the form for a past day (the ``dashboard_head`` tag): the
    page's address escaped as the templates escape it, the parties the chart draws kept,
    and on a past day the way back and what its figures are; in the reader's language."""
    head = engines["django"].from_string("{% load dashboard %}{% dashboard_head %}")
    request = rf.get("/<b>/", {"as_of": "2024-06-30", "drawn": "1", "party": "party-2"})
    past = {
        "request": request,
        "today": datetime.date(2024, 6, 30),
        "as_of": datetime.date(2024, 6, 30),
        "as_of_form": AsOfForm(request.GET),
        "parties_form": DrawnPartiesForm(
            request.GET, assessed=[{"party_id": 2, "key": "Chile", "count": 3}]
        ),
    }
    field = str(past["as_of_form"]["as_of"].as_field_group())
    assert head.render(past) == (
        '<div class="page-head">\n  <h1>Dashboard</h1>\n'
        '  <p class="muted">As of 30 June 2024 · <a href="/open-data.json" download>'
        'Everything you can see, as open data (JSON)</a> · <a href="/api-keys/">API keys</a>'
        "</p>\n</div>\n\n"
        '<form method="get" action="/&lt;b&gt;/" class="as-of" '
        'aria-label="Show the dashboard as it stood on a day">\n'
        f'  <div class="field">{field}</div>\n'
        '  <input type="hidden" name="drawn" value="1">'
        '<input type="hidden" name="party" value="party-2">\n'
        '  <button type="submit" class="secondary">Show</button>\n'
        '  <a href="/&lt;b&gt;/">Back to today</a>\n</form>\n'
        '\n  <p class="past-banner" role="note"><strong>As it stood on 30 June 2024</strong>: '
        "the figures, milestones overdue, meetings held and status changes in effect that day. "
        "What needs doing today (reviews waiting, milestones due soon, commitments without "
        "news) is on today's dashboard.</p>\n"
    )
    today = past | {
        "request": rf.get("/"),
        "as_of": None,
        "parties_form": DrawnPartiesForm({}, assessed=[]),
    }
    with translation.override("es"):
        spanish = head.render(today)
    assert "<h1>Panel</h1>" in spanish
    assert '<p class="muted">A fecha de 30 junio 2024 · ' in spanish
    assert spanish.endswith("</button>\n  \n</form>\n") and "past-banner" not in spanish


def test_the_curve_and_its_parties_form_are_written_as_their_template_wrote_them(rf):
    """The implementation over time (the ``dashboard_curve_section`` tag): nothing without a
    curve; its chart as includes/chart.html draws it, then the parties to draw, opened when
    chosen, a past day kept, the page's address escaped as the templates escape it."""
    section = engines["django"].from_string("{% load dashboard %}{% dashboard_curve_section %}")
    assert section.render({"curve": None}) == ""
    row = {"label": "Q1 <2024>", "index": 50.0, "compliance": [], "due": 0, "met": 0}
    curve = SimpleNamespace(
        rows=lambda: [row], has_milestones=False, quarterly=True, compliance=[], height=200
    )
    request = rf.get("/<b>/", {"drawn": "1", "party": "party-2"})
    assessed = [{"party_id": 2, "key": "Chile", "count": 3}]
    context = {
        "request": request,
        "curve": curve,
        "chart_url": "/chart.svg?a=1&b=2",
        "as_of": datetime.date(2024, 6, 30),
        "parties_form": DrawnPartiesForm(request.GET, assessed=assessed),
    }
    chart = engines["jinja2"].get_template("agreements/chart.html")
    drawn = chart.render({"curve": curve, "chart_url": context["chart_url"]}, request)
    field = context["parties_form"]["party"].as_field_group()
    assert section.render(context) == (
        '\n<section class="card over-time" aria-labelledby="over-time">\n'
        f'  <h2 id="over-time">Implementation over time</h2>\n  {drawn}\n\n  '
        '\n  <details class="drawn-parties" open>\n'
        "    <summary>Choose whose compliance is drawn (1 party assessed)</summary>\n"
        '    <form method="get" action="/&lt;b&gt;/#over-time">\n'
        '      <input type="hidden" name="as_of" value="2024-06-30">\n'
        '      <input type="hidden" name="drawn" value="1">\n'
        f'      <div class="field">{field}</div>\n'
        '      <button type="submit" class="secondary">Draw</button>\n'
        "    </form>\n  </details>\n  \n</section>\n"
    )
    assert "Q1 &lt;2024&gt;" in drawn
    none_assessed = context | {
        "as_of": None,
        "parties_form": DrawnPartiesForm({}, assessed=[]),
    }
    assert section.render(none_assessed).endswith(f"{drawn}\n\n  \n</section>\n")
    with translation.override("es"):
        spanish = section.render(
            context | {"parties_form": DrawnPartiesForm({}, assessed=assessed * 2)}
        )
    assert '<details class="drawn-parties">' in spanish
    assert "Elegir de quién se dibuja el cumplimiento (2 partes evaluadas)" in spanish


def test_the_indexes_by_theme_party_and_body_say_why_there_is_none(rf):
    """The indexes by theme, party and body (the ``dashboard_indexes`` tag): a bar a row, or
    why there is none; the note on the compliance's scale keeps its "%"."""
    indexes = engines["django"].from_string(
        "{% load dashboard %}{% dashboard_indexes by_theme by_party by_body %}"
    )
    empty = {"by_theme": [], "by_party": [], "by_body": []}
    assert indexes.render(empty) == (
        '<section class="grid">\n  <div class="card">\n    <h2>Index by theme</h2>\n'
        '    <p class="muted">No commitments yet.</p>\n  </div>\n'
        '  <div class="card">\n    <h2>Compliance by party</h2>\n'
        '    <p class="muted">Latest reviewer assessments, +1 … −1 shown as 100 … 0 %; '
        "“not assessed” is left out.</p>\n"
        '    <p class="muted">No party has been assessed yet.</p>\n  </div>\n'
        '  <div class="card">\n    <h2>Index by body</h2>\n'
        '    <p class="muted">Bodies of the latest meetings; every body on '
        '<a href="/bodies/">the bodies page</a>.</p>\n'
        '    <p class="muted">No body oversees a commitment yet.</p>\n  </div>\n</section>'
    )
    party = [{"key": "Chile & <Peru>", "index": None, "count": 0, "url": "/p/"}]
    drawn = indexes.render(empty | {"by_party": party})
    assert '<span class="index-none muted">not assessed</span>' in drawn
    assert "Chile &amp; &lt;Peru&gt;" in drawn
    with translation.override("es"):
        spanish = indexes.render(empty)
    assert "100 … 0 %" in spanish and "%%" not in spanish
    assert '<a href="/bodies/">la página de órganos</a>' in spanish
