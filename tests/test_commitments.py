from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from agreements.actions import submit_update
from agreements.jinja2 import date
from agreements.models import (
    Assessment,
    Cancellation,
    Claim,
    ComplianceScore,
    ImplementationStatus,
    Milestone,
    MilestoneStatus,
    Party,
    ProgressUpdate,
    ReviewState,
)
from agreements.models.unions import orders_in_union
from agreements.views.commitment_rows import day_names
from agreements.views.paging import CappedPaginator
from tests.conftest import (
    HTMX,
    make_body,
    make_commitment,
    make_meeting,
    make_source,
    make_status_change,
)

LIST = "/commitments/"


def detail_url(commitment) -> str:
    return reverse("agreements:commitment_detail", args=[commitment.pk])


def titles(response) -> list[str]:
    return [c.title for c in response.context["page"].object_list]


@pytest.fixture
def three(meeting, us, mexico):
    """Three commitments that differ in every filterable way."""
    past = datetime.date(2025, 10, 1)
    return [
        make_commitment(
            meeting,
            title="Halt fentanyl",
            theme="drugs",
            parties=[mexico],
            status=1,
            target_date=past,
        ),
        make_commitment(
            meeting, title="Stop guns", theme="arms", parties=[us], status=3, target_date=past
        ),
        make_commitment(
            meeting,
            title="Curb fuel theft",
            theme="fuel_theft",
            parties=[us, mexico],
            is_stalled=True,
            text="Huachicol networks",
        ),
    ]


def test_list_shows_the_users_commitments_with_badges(client, editor, three):
    client.force_login(editor)
    response = client.get(LIST)
    html = response.content.decode()
    assert "<html" in html
    assert sorted(titles(response)) == ["Curb fuel theft", "Halt fentanyl", "Stop guns"]
    assert '<span class="badge danger">Overdue</span>' in html
    assert '<span class="badge warn">Stalled</span>' in html
    assert (
        '<span class="badge status-3" title="Implementation status 3 of 3">Complete</span>' in html
    )
    assert "&lt;span" not in html  # no badge printed as text


def test_a_row_escapes_its_texts_and_reads_in_the_readers_language(client, editor, meeting):
    """The rows are a Jinja2 template (agreements/jinja2.py): escaped as Django's are, each
    linked to its commitment's page, dates and labels in the reader's language."""
    tagged = make_commitment(
        meeting,
        title='Seize <script>alert("x")</script> precursors',
        target_date=datetime.date(2030, 1, 15),
        status=ImplementationStatus.COMPLETE,
    )
    client.force_login(editor)
    html = client.get(LIST).content.decode()
    assert "<script>alert" not in html and "Seize &lt;script&gt;alert(" in html
    assert f'<a href="{tagged.get_absolute_url()}">' in html
    assert "<td>15 Jan 2030</td>" in html
    spanish = client.get(LIST, headers={"accept-language": "es"}).content.decode()
    assert "<td>15 Ene 2030</td>" in spanish and ">Completo</span>" in spanish


def test_a_row_writes_a_moment_on_its_day_in_the_readers_time_zone():
    """``day_names``: a moment (an update's time) on the day it is where the reader is, as the
    rows' ``date`` filter writes it; no day, nothing."""
    moment = datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC)
    with timezone.override("Asia/Tokyo"), translation.override("es"):
        name = day_names()
        assert name(moment) == date(moment) == "1 Ene 2027"
        assert name(datetime.date(2026, 12, 31)) == "31 Dic 2026" and name(None) == ""


def test_a_row_names_its_theme_team_and_parties_in_the_readers_language(
    client, editor, meeting, team, us, mexico
):
    """A row's theme and team come from the filter form's reference data and its parties'
    roles from one read for the page: named as the records name them, the parties by name."""
    make_commitment(meeting, title="Halt fentanyl", theme="drugs", parties=[us, mexico])
    client.force_login(editor)
    html = client.get(LIST).content.decode()
    assert '<span class="muted">Drugs</span>' in html
    assert f" · {team.name}</span>" in html
    assert "<td>MX: joint<br>US: joint</td>" in html  # Mexico before the United States
    spanish = client.get(LIST, headers={"accept-language": "es"}).content.decode()
    assert '<span class="muted">Drogas</span>' in spanish
    assert "<td>MX: conjunta<br>US: conjunta</td>" in spanish


def test_the_theme_filter_offers_the_themes_by_their_names_in_the_readers_language(client, editor):
    """As the rows name them: "Drogas" in Spanish, in the order of the names shown."""
    client.force_login(editor)
    spanish = client.get(LIST, headers={"accept-language": "es"})
    options = [label for code, label in spanish.context["form"].fields["theme"].choices if code]
    assert "Drogas" in options and "Drugs" not in options
    assert options == sorted(options, key=str.casefold)
    assert '<option value="drugs">Drogas</option>' in spanish.content.decode()


def test_detail_shows_every_flag_as_a_badge_not_as_text(client, editor, meeting):
    commitment = make_commitment(
        meeting,
        title="Old plan",
        is_stalled=True,
        cancellation=Cancellation.CANCELLED,
        target_date=datetime.date(2025, 10, 1),
    )
    client.force_login(editor)
    html = client.get(detail_url(commitment)).content.decode()
    assert (
        '<span class="badge muted">Cancelled</span><span class="badge warn">Stalled</span>' in html
    )
    assert "&lt;span" not in html


def test_htmx_request_gets_only_the_table(client, editor, three):
    client.force_login(editor)
    html = client.get(LIST, {"theme": "arms"}, **HTMX).content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="commitment-table"')
    assert "Stop guns" in html and "Halt fentanyl" not in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "1"}, ["Halt fentanyl"]),
        ({"theme": "fuel_theft"}, ["Curb fuel theft"]),
        ({"overdue": "on"}, ["Halt fentanyl"]),
        ({"stalled": "on"}, ["Curb fuel theft"]),
        ({"q": "huachicol"}, ["Curb fuel theft"]),
        ({"q": "GUNS"}, ["Stop guns"]),
    ],
)
def test_each_filter_narrows_the_list(client, editor, three, params, expected):
    client.force_login(editor)
    assert titles(client.get(LIST, params)) == expected


def test_party_team_and_body_filters(client, editor, three, us, meeting, team):
    body = make_body(meeting)
    body.commitments.add(three[0])
    client.force_login(editor)
    assert sorted(titles(client.get(LIST, {"party": us.pk}))) == ["Curb fuel theft", "Stop guns"]
    assert titles(client.get(LIST, {"body": body.pk})) == ["Halt fentanyl"]
    assert len(titles(client.get(LIST, {"team": team.pk}))) == 3


def test_filters_offer_only_what_the_user_can_see(client, outsider, three, other_team):
    client.force_login(outsider)
    form = client.get(LIST).context["form"]
    assert list(form.fields["team"].queryset) == [other_team]
    assert not form.fields["body"].queryset.exists()
    # Parties are shared reference data (states and organisations), not a team's records:
    # every one is offered, which says nothing about another team's commitments.
    assert set(form.fields["party"].queryset) == set(Party.objects.all())


def test_sorting_by_each_column_and_back(client, editor, three):
    client.force_login(editor)
    assert titles(client.get(LIST, {"sort": "title"})) == [
        "Curb fuel theft",
        "Halt fentanyl",
        "Stop guns",
    ]
    assert titles(client.get(LIST, {"sort": "-title"})) == [
        "Stop guns",
        "Halt fentanyl",
        "Curb fuel theft",
    ]
    assert titles(client.get(LIST, {"sort": "-status"}))[0] == "Stop guns"
    response = client.get(LIST, {"sort": "title", "theme": "arms"})
    title_column = response.context["columns"][0]
    assert title_column["aria_sort"] == "ascending"
    assert title_column["query"] == "theme=arms&sort=-title"  # filters kept, direction flips


def test_pagination_keeps_the_filters(client, editor, meeting):
    for i in range(30):
        make_commitment(meeting, title=f"Commitment {i:02d}", theme="migration")
    client.force_login(editor)
    response = client.get(LIST, {"theme": "migration", "sort": "title", "page": 2})
    assert titles(response) == [f"Commitment {i:02d}" for i in range(25, 30)]
    assert response.context["page_query"] == "theme=migration&sort=title"


def test_a_long_list_counts_up_to_a_cap_and_says_more(client, editor, meeting, monkeypatch):
    """Counting every row of a large list costs a scan on each page view: it stops at a cap.
    (A search is counted; the plain list's size comes from the tallies, test_page_costs.)"""
    monkeypatch.setattr(CappedPaginator, "CAP", 30)
    for i in range(40):
        make_commitment(meeting, title=f"Commitment {i:02d}")
    client.force_login(editor)
    response = client.get(LIST, {"q": "commitment"})
    assert response.context["page"].paginator.count == 30
    assert "More than 30 commitments" in response.content.decode()
    make_commitment(meeting, title="One more commitment")  # the cap holds whatever the size
    assert client.get(LIST, {"q": "commitment"}).context["page"].paginator.count == 30


def test_the_body_filter_is_a_search_as_you_type_picker(client, editor, meeting, other_team):
    """Bodies grow with the data: the list carries only the chosen one, and typing asks the
    page for matches among the bodies the user may see."""
    ours = make_body(meeting, name="Security Implementation Group")
    make_body(meeting, name="Migration working group")
    theirs = make_body(make_meeting(other_team), name="Security council of Europe")
    client.force_login(editor)
    html = client.get(LIST).content.decode()
    assert 'name="find"' in html and "Migration working group" not in html  # no full list
    # The id as the open data and the API write it; a bare number (as before) reads the same.
    for asked in (f"body-{ours.pk}", ours.pk):
        chosen = client.get(LIST, {"body": asked}).content.decode()
        assert f'<option value="body-{ours.pk}" selected>' in chosen
    options = client.get(LIST, {"_pick": "body", "find": "secur"}, **HTMX).content.decode()
    assert f'value="body-{ours.pk}"' in options and "Security Implementation Group" in options
    assert f'value="body-{theirs.pk}"' not in options and "Migration" not in options
    assert "<html" not in options  # the options only, swapped into the select
    again = client.get(
        LIST, {"_pick": "body", "find": "migration", "body": f"body-{ours.pk}"}, **HTMX
    )
    assert f'<option value="body-{ours.pk}" selected>' in again.content.decode()  # kept


def test_cancelled_commitments_stay_visible(client, editor, meeting):
    make_commitment(meeting, title="Old plan", cancellation=Cancellation.SUPERSEDED)
    client.force_login(editor)
    html = client.get(LIST).content.decode()
    assert "Old plan" in html and "Superseded" in html


def test_the_filters_options_are_read_with_the_themes_in_one_query(
    client, editor, admin_user, team, other_team, us, mexico
):
    """The page's selects: the themes and the parties in one query (``labels_of``), each in
    its names' order; a member's teams from the memberships the request read already; an
    admin's, every team, with the rest. The table alone reads the themes alone."""
    make_commitment(make_meeting(team), title="Halt fentanyl", theme="drugs")
    client.force_login(editor)
    with CaptureQueriesContext(connection) as ran:
        html = client.get(LIST).content.decode()
    lists = [q["sql"] for q in ran.captured_queries if '"agreements_theme"' in q["sql"]]
    assert len(lists) == 1 and '"agreements_party"' in lists[0]
    assert not [q for q in ran.captured_queries if 'FROM "agreements_team"' in q["sql"]]
    teams = f'<option value="" selected>Any team</option><option value="team-{team.pk}">'
    assert teams + "North America</option></select>" in html
    parties = f'<option value="party-{mexico.pk}">Mexico</option><option value="party-{us.pk}">'
    assert parties in html and '<option value="drugs">Drugs</option>' in html
    with CaptureQueriesContext(connection) as ran:
        client.get(LIST, **HTMX)
    lists = [q["sql"] for q in ran.captured_queries if '"agreements_theme"' in q["sql"]]
    assert len(lists) == 1 and '"agreements_party"' not in lists[0]
    client.force_login(admin_user)
    html = client.get(LIST).content.decode()
    every = f'<option value="team-{other_team.pk}">Europe</option><option value="team-{team.pk}">'
    assert every + "North America</option></select>" in html
    assert parties in html and '<option value="drugs">Drugs</option>' in html


@pytest.mark.perf
def test_list_and_fragment_query_counts_do_not_grow(client, editor, team, us, queries):
    def fill(n: int) -> None:
        meeting = make_meeting(team)
        body = make_body(meeting)
        for _ in range(n):
            body.commitments.add(make_commitment(meeting, parties=[us]))

    client.force_login(editor)
    queries.stay_flat(client, fill, LIST, (LIST, {"party": us.pk}, HTMX))


# Detail page ------------------------------------------------------------------------------


def test_detail_shows_the_commitment_and_its_timeline(client, reviewer, editor, commitment):
    make_status_change(commitment, reason="Task force set up", changed_by=editor)
    submit_update(
        commitment=commitment, author=editor, narrative="Seizures rose 20%", proposed_status=2
    )
    client.force_login(reviewer)
    html = client.get(detail_url(commitment)).content.decode()
    assert commitment.text in html
    assert "Task force set up" in html and "Seizures rose 20%" in html
    assert "Proposed: Intermediate" in html  # the pending proposal beside the official status
    assert "Post a progress update" not in html  # reviewers read only


def test_the_timeline_escapes_what_was_typed_and_reads_in_the_readers_language(
    client, editor, commitment, team
):
    """The timeline's events are a Jinja2 template: what was typed escaped (line breaks
    kept), the author's draft offered for review with its form, sentences translated."""
    make_status_change(commitment, reason="Seized <i>tons</i>", to_status=2, changed_by=editor)
    source = make_source(team, title="Report <1>")
    submit_update(
        commitment=commitment,
        author=editor,
        narrative="Line <b>one</b>\nLine two",
        proposed_status=3,
        sources=[source],
    )
    submit_update(commitment=commitment, author=editor, narrative="Unsent", draft=True)
    client.force_login(editor)
    html = client.get(detail_url(commitment)).content.decode()
    assert "<p>Line &lt;b&gt;one&lt;/b&gt;<br>Line two</p>" in html and "<b>one" not in html
    assert "Seized &lt;i&gt;tons&lt;/i&gt;" in html and "<i>tons" not in html
    assert "Evidence: Report &lt;1&gt;</p>" in html
    assert '<span class="muted">proposes Complete</span>' in html
    assert (
        'name="csrfmiddlewaretoken"' in html.split('value="submit_draft"')[0].rsplit("<form", 1)[1]
    )
    spanish = client.get(detail_url(commitment), headers={"accept-language": "es"})
    spanish = spanish.content.decode()
    assert "<strong>Actualización de progreso</strong>" in spanish
    assert "<strong>Cambio de estado</strong>" in spanish and "propone " in spanish


def test_outsider_gets_not_found(client, outsider, commitment):
    client.force_login(outsider)
    assert client.get(detail_url(commitment)).status_code == 404
    assert client.post(detail_url(commitment), {"action": "post_update"}).status_code == 404


def test_editor_ticks_and_unticks_a_milestone_in_place(client, editor, commitment):
    milestone = Milestone.objects.create(
        commitment=commitment, title="Joint statistics", due_date=commitment.meeting.start_date
    )
    client.force_login(editor)
    data = {"action": "toggle_milestone", "milestone": milestone.pk, "version": 1}
    response = client.post(detail_url(commitment), data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="milestone-checklist"')
    assert "“Joint statistics” done." in html
    milestone.refresh_from_db()
    assert (milestone.status, milestone.completed_on) == (
        MilestoneStatus.DONE,
        timezone.localdate(),
    )
    data["version"] = 2
    response = client.post(detail_url(commitment), data)  # without JS: redirect back
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.status, milestone.completed_on) == (MilestoneStatus.PLANNED, None)


def test_milestone_of_another_commitment_is_not_found(client, editor, commitment, meeting):
    other = Milestone.objects.create(
        commitment=make_commitment(meeting), title="x", due_date=meeting.start_date
    )
    client.force_login(editor)
    response = client.post(
        detail_url(commitment), {"action": "toggle_milestone", "milestone": other.pk}
    )
    assert response.status_code == 404


def test_progress_update_is_submitted_and_leaves_the_official_status(
    client, editor, commitment, team
):
    source = make_source(team, title="SSPC seizure figures")
    client.force_login(editor)
    response = client.post(
        detail_url(commitment),
        {
            "action": "post_update",
            "narrative": "Seizures rose 20%",
            "proposed_status": "2",
            "proposed_stalled": "unknown",
            "sources": [source.pk],
        },
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Progress update submitted for review." in html
    assert "Seizures rose 20%" in html and "SSPC seizure figures" in html
    assert response.context["update_form"]["narrative"].value() is None  # a fresh form
    update = ProgressUpdate.objects.get()
    assert (update.author, update.review_state, update.proposed_status) == (
        editor,
        ReviewState.SUBMITTED,
        2,
    )
    assert update.proposed_stalled is None
    commitment.refresh_from_db()
    assert commitment.status == ImplementationStatus.NOT_STARTED


def test_the_update_form_offers_the_stalled_flag_in_words(client, editor, commitment):
    client.force_login(editor)
    form = client.get(detail_url(commitment)).context["update_form"]
    assert [str(label) for _, label in form.fields["proposed_stalled"].widget.choices] == [
        "No change",
        "Stalled",
        "Not stalled",
    ]


def test_invalid_update_keeps_what_was_typed(client, editor, commitment, other_team):
    foreign = make_source(other_team)
    client.force_login(editor)
    response = client.post(
        detail_url(commitment),
        {"action": "post_update", "narrative": "", "proposed_status": "3", "sources": [foreign.pk]},
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "This field is required." in html
    assert 'aria-invalid="true"' in html
    assert '<option value="3" selected>' in html
    assert "is not one of the available choices" in html  # another team's source
    assert not ProgressUpdate.objects.exists()


def test_reviewer_cannot_write(client, reviewer, commitment):
    milestone = Milestone.objects.create(
        commitment=commitment, title="x", due_date=commitment.meeting.start_date
    )
    client.force_login(reviewer)
    for data in (
        {"action": "toggle_milestone", "milestone": milestone.pk},
        {"action": "post_update", "narrative": "Hi"},
    ):
        assert client.post(detail_url(commitment), data).status_code == 403
    assert not ProgressUpdate.objects.exists()


@pytest.mark.perf
def test_detail_query_count_does_not_grow(client, editor, meeting, us, team, queries):
    def commitment_with(n: int):
        commitment = make_commitment(meeting, parties=[us])
        source = make_source(team)
        for i in range(n):
            Milestone.objects.create(
                commitment=commitment, title=f"m{i}", due_date=meeting.start_date
            )
            update = ProgressUpdate.objects.create(
                commitment=commitment, author=editor, narrative="n"
            )
            update.sources.add(source)
            make_status_change(
                commitment, from_status=i % 3, to_status=i % 3 + 1, changed_by=editor
            )
        return commitment

    client.force_login(editor)
    small, large = commitment_with(5), commitment_with(50)
    assert queries.of(client, detail_url(small)) == queries.of(client, detail_url(large))


def test_ticking_a_milestone_changed_meanwhile_is_a_conflict(client, editor, commitment):
    milestone = Milestone.objects.create(
        commitment=commitment, title="Joint statistics", due_date=commitment.meeting.start_date
    )
    milestone.owner = "SSPC"
    milestone.save_versioned(expected=1, update_fields=["owner"])  # someone else
    client.force_login(editor)
    response = client.post(
        detail_url(commitment),
        {"action": "toggle_milestone", "milestone": milestone.pk, "version": 1},
        **HTMX,
    )
    assert response.status_code == 409
    assert "Someone else changed “Joint statistics”" in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.PLANNED


def test_page_links_keep_the_filters_and_swap_the_table(client, editor, meeting):
    for i in range(30):
        make_commitment(meeting, title=f"C{i:02d}", theme="arms")
    client.force_login(editor)
    response = client.get(LIST, {"theme": "arms", "page": 1})
    html = response.content.decode()
    after = response.context["page"].next_after  # the cursor: the last row shown
    link = f"?theme=arms&amp;page=2&amp;after={after}"
    assert f'href="{link}" hx-get="{link}"' in html
    assert 'hx-target="#commitment-table"' in html


def test_a_refused_htmx_action_answers_with_its_section_and_the_reason(client, editor, commitment):
    update = submit_update(commitment=commitment, author=editor, narrative="Seizures")
    client.force_login(editor)
    response = client.post(
        detail_url(commitment), {"action": "submit_draft", "update": update.pk}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert html.lstrip().startswith('<div id="update-area">')  # the whole section, not a string
    assert '<p role="alert" class="refusal">Only a draft can be submitted.</p>' in html
    assert 'name="narrative"' in html and "Seizures" in html  # form and timeline still there


@pytest.mark.parametrize("update", ["abc", "99999999999999999999", ""])
def test_submitting_an_update_that_is_not_there_is_a_404(client, editor, commitment, update):
    client.force_login(editor)
    response = client.post(detail_url(commitment), {"action": "submit_draft", "update": update})
    assert response.status_code == 404


@pytest.mark.perf
def test_a_lists_capped_count_does_not_sort_the_rows_it_counts(client, editor, meeting):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        make_commitment(meeting)
    client.force_login(editor)
    with CaptureQueriesContext(connection) as queries:
        # A search: counted (a plain or sorted list's size comes from the tallies).
        assert client.get("/commitments/?q=commitment&sort=-status").status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("ORDER BY" not in sql.upper() for sql in counts)


def test_a_commitment_without_claims_or_changes_does_not_read_them(
    client, editor, commitment, meeting, team, us, queries
):
    """The page knows (in the query that reads whether the reader follows it) whether any
    claim, assessment or source is about the commitment and whether its status ever changed:
    each list is read only when there is one, and shown then."""
    client.force_login(editor)
    bare = queries.of(client, detail_url(commitment))
    body = make_body(meeting, name="Joint task force")
    body.commitments.add(commitment)
    Claim.objects.create(commitment=commitment, text="Seizures doubled")
    make_status_change(commitment, reason="Task force set up")
    Assessment.objects.create(
        commitment=commitment,
        party=us,
        score=ComplianceScore.PARTIAL,
        justification="Joint patrols under way",
        as_of=commitment.meeting.start_date,
        assessed_by=editor,
    )
    commitment.sources.add(make_source(team, title="Joint communiqué"))
    # The claims and their sources, the assessments, the sources (their kept files when one
    # has some: none here; the bodies are read anyway); the status changes are read with the
    # updates and review decisions in one query where the database can (PostgreSQL), in one
    # more elsewhere.
    changes = 0 if orders_in_union(ProgressUpdate.objects.all()) else 1
    assert queries.of(client, detail_url(commitment)) == bare + 4 + changes
    html = client.get(detail_url(commitment)).content.decode()
    assert "Joint task force</a>" in html and "Seizures doubled" in html
    assert "Task force set up" in html
    assert "Joint patrols under way" in html and "Joint communiqué" in html
