"""Implementation over time, counted: the curves' numbers (from the stored history), their
periods, the parties drawn and how few queries read them. Their pictures, tables and pages are
tested in test_chart_pictures.py."""

from __future__ import annotations

import datetime
import random
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from agreements import actions, charts
from agreements.forms.compare import DrawnPartiesForm
from agreements.models import (
    Assessment,
    Commitment,
    ComplianceHistory,
    ComplianceTally,
    Milestone,
)
from agreements.views import charts as views_charts
from tests.conftest import compiled_sql, make_commitment, make_meeting

pytestmark = pytest.mark.django_db

D = datetime.date


def assess(commitment, party, score: str, as_of: datetime.date, *, by) -> None:
    """A reviewer's assessment of ``party`` on ``commitment``, recorded through the action
    (which writes the compliance history the curves read)."""
    actions.record_assessment(
        assessment=Assessment(
            commitment=commitment, party=party, score=score, justification="Read", as_of=as_of
        ),
        by=by,
    )


def test_a_short_span_is_read_by_month_ending_on_its_last_day():
    days, quarterly = charts.periods(D(2025, 9, 3), D(2025, 12, 6))
    assert not quarterly
    assert days == [D(2025, 9, 30), D(2025, 10, 31), D(2025, 11, 30), D(2025, 12, 6)]


def test_a_long_span_is_read_by_quarter():
    days, quarterly = charts.periods(D(2021, 2, 10), D(2026, 12, 6))
    assert quarterly
    assert days[:3] == [D(2021, 3, 31), D(2021, 6, 30), D(2021, 9, 30)]
    assert days[-2:] == [D(2026, 9, 30), D(2026, 12, 6)]
    with translation.override("en"):
        assert charts.labeller(quarterly)(days[0]) == "Q1 2021"
    with translation.override("es"):
        assert charts.labeller(quarterly)(days[0]) == "T1 2021"


def test_the_meetings_curve_steps_up_when_a_commitment_was_carried_out(
    meeting, commitment, editor, reviewer, us
):
    other = make_commitment(meeting, parties=[us])
    actions.change_commitment_status(
        commitment=other, status=3, reason="Done", by=editor, via="web", effective_on=D(2025, 11, 2)
    )
    assess(other, us, "+1", D(2025, 11, 20), by=reviewer)
    curve = charts.meeting_curve(meeting, D(2025, 12, 6))
    # Two commitments: none done, then one of two complete (3 + 0) / 2 ÷ 3 = 50 %.
    assert curve.index == [0.0, 0.0, 50.0, 50.0]
    assert curve.compliance == {us.name: [None, None, 100.0, 100.0]}


def test_a_partys_compliance_counts_a_commitment_until_the_day_it_was_cancelled(
    meeting, commitment, reviewer, admin_user, us
):
    assess(commitment, us, "+1", D(2025, 9, 20), by=reviewer)
    actions.change_commitment_status(
        commitment=commitment,
        cancellation="cancelled",
        reason="Dropped",
        by=admin_user,
        via="admin",
        effective_on=D(2025, 11, 2),
    )
    curve = charts.meeting_curve(meeting, D(2025, 12, 6))
    # Assessed in September, cancelled in November: it counted for September and October.
    assert curve.compliance == {us.name: [100.0, 100.0, None, None]}


def test_milestones_due_and_met_are_counted_in_their_period(meeting, commitment, editor):
    milestone = actions.add_milestone(
        milestone=commitment.milestones.model(
            commitment=commitment, title="First report", due_date=D(2025, 10, 15)
        ),
        by=editor,
    )
    actions.toggle_milestone(
        milestone=milestone, expected=milestone.version, by=editor, on=D(2025, 11, 3)
    )
    curve = charts.meeting_curve(meeting, D(2025, 12, 6))
    assert curve.due == [0, 1, 0, 0]
    assert curve.met == [0, 0, 1, 0]


def test_a_meetings_curve_made_once_reads_each_meeting_s_own_rows(
    team, meeting, commitment, editor, reviewer, us
):
    """The meeting curve's SQL is made once a process (``rows_of_made_once``): each meeting's
    curve reads its own spans, milestones and assessments, as ``records_curve`` reads them."""
    later = make_meeting(team, title="Follow-up", start_date=D(2025, 9, 1))
    done = make_commitment(later, parties=[us])
    actions.change_commitment_status(
        commitment=done, status=3, reason="Done", by=editor, via="web", effective_on=D(2025, 10, 2)
    )
    assess(done, us, "+1", D(2025, 10, 20), by=reviewer)
    actions.add_milestone(
        milestone=later.milestones.model(meeting=later, title="Review", due_date=D(2025, 11, 5)),
        by=editor,
    )
    end = D(2025, 12, 6)
    curves = [charts.meeting_curve(m, end) for m in (meeting, later, meeting)]
    assert curves[0] == curves[2] != curves[1]
    for m, curve in zip((meeting, later), curves, strict=False):
        milestones = [Milestone.objects.filter(meeting=m)]
        milestones.append(Milestone.objects.filter(commitment__meeting=m))
        milestones.append(Milestone.objects.filter(body__meeting=m))
        expected = charts.records_curve(
            Commitment.objects.filter(meeting=m), milestones, m.start_date, end
        )
        assert curve == expected
    assert curves[1].compliance == {us.name: [None, 100.0, 100.0, 100.0]}
    assert curves[1].due == [0, 0, 1, 0]


def test_the_dashboards_curve_starts_at_the_earliest_meeting_of_the_readers_teams(
    editor, admin_user, team, other_team
):
    make_commitment(make_meeting(team, start_date=D(2023, 5, 2)))
    make_commitment(make_meeting(team, start_date=D(2021, 3, 9)))
    make_commitment(make_meeting(other_team, start_date=D(2019, 1, 4)))  # not the editor's
    end = D(2025, 12, 6)
    assert views_charts.dashboard_curve(editor, end).days[0] == D(2021, 3, 31)
    assert views_charts.dashboard_curve(admin_user, end).days[0] == D(2019, 3, 31)


def test_the_dashboard_draws_the_parties_the_reader_chooses(
    client, editor, reviewer, meeting, us, mexico
):
    commitment = make_commitment(meeting, parties=[us, mexico])
    for party, score in [(us, "+1"), (mexico, "-1")]:
        assess(commitment, party, score, D(2025, 10, 1), by=reviewer)
    client.force_login(editor)

    def drawn(query: str) -> tuple[str, str]:
        page = client.get(f"/{query}").content.decode()
        image = page.split('<img src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        return page, client.get(image).content.decode()

    # Unless chosen: the most assessed (both here), named in the picture's address.
    page, svg = drawn("")
    assert "Compliance: Mexico" in page and "Compliance: United States" in page
    assert f"party=party-{us.pk}" in page and "Mexico" in svg and "United States" in svg
    assert "Choose whose compliance is drawn (2 parties assessed)" in page
    # One chosen: only its column and its line; the choice kept when the day changes.
    page, svg = drawn(f"?drawn=1&party=party-{mexico.pk}")
    assert "Compliance: Mexico" in page and "Compliance: United States" not in page
    assert "Mexico" in svg and "United States" not in svg
    assert f'<input type="hidden" name="party" value="party-{mexico.pk}">' in page
    # A bare number, as the addresses were written before, names the same party.
    page, svg = drawn(f"?drawn=1&party={mexico.pk}")
    assert "Compliance: Mexico" in page and "Compliance: United States" not in page
    assert "Mexico" in svg and "United States" not in svg
    assert f'<input type="hidden" name="party" value="party-{mexico.pk}">' in page  # kept typed
    # None ticked (the form sends only ``drawn``): the index alone.
    page, svg = drawn("?drawn=1")
    assert "Compliance:" not in page and "Mexico" not in svg
    # On a past day, the same choice, as things stood.
    page, svg = drawn(f"?as_of=2025-10-15&drawn=1&party={us.pk}")
    assert "as_of=2025-10-15" in page.split('<img src="', 1)[1].split('"', 1)[0]
    assert "United States" in svg and "Mexico" not in svg


def test_unless_chosen_the_five_most_assessed_parties_are_drawn():
    rows = [{"party_id": n, "key": f"Party {n}", "count": n} for n in range(1, 8)]
    assert DrawnPartiesForm({}, assessed=rows).chosen() == [7, 6, 5, 4, 3]
    assert DrawnPartiesForm({"drawn": "1", "party": ["party-1", "2"]}, assessed=rows).chosen() == [
        1,
        2,
    ]
    # Every assessed party can be chosen at once.
    every = {"drawn": "1", "party": [str(n) for n in range(1, 8)]}
    assert DrawnPartiesForm(every, assessed=rows).chosen() == list(range(1, 8))
    # A party never assessed is not a choice: the form says so, and the default is drawn.
    wrong = DrawnPartiesForm({"drawn": "1", "party": ["99"]}, assessed=rows)
    assert not wrong.is_valid() and wrong.chosen() == [7, 6, 5, 4, 3]


def test_the_curves_read_in_one_pass_are_those_of_each_day_counted_anew():
    """``index_on_days``, ``compliance_on_days`` and ``count_in_periods`` against their
    definition, read day by day: spans with gaps, open-ended, a day's two assessments (the
    later stands), scores "not assessed", commitments that never counted, and commitments
    that count but are never assessed (100 to 119: their spans move no party's figures)."""
    rng = random.Random(21)
    days = charts.periods(D(2019, 5, 4), D(2026, 12, 6))[0]
    days += charts.periods(D(2026, 1, 1), D(2026, 12, 6))[0]  # by month too
    days = sorted(set(days))
    spans = []  # (commitment, starts_on, ends_on, status)
    for commitment in range(40):
        day = D(2019, 1, 1) + datetime.timedelta(days=rng.randrange(2000))
        while day < D(2027, 1, 1) and rng.random() < 0.8:
            end = day + datetime.timedelta(days=rng.randrange(1, 400))
            last = end > D(2026, 6, 1) or rng.random() < 0.1
            spans.append((commitment, day, None if last else end, rng.randrange(4)))
            if last:
                break
            day = end + datetime.timedelta(days=rng.choice([0, 0, 30]))  # now and then a gap
    others = random.Random(5)
    for commitment in range(100, 120):
        start = D(2019, 1, 1) + datetime.timedelta(days=others.randrange(2500))
        end = None if others.random() < 0.5 else start + datetime.timedelta(days=400)
        spans.append((commitment, start, end, others.randrange(4)))
    assessments = sorted(
        (
            (
                rng.choice(["Mexico", "Canada", "United States"]),
                rng.randrange(45),  # 40 to 44 never counted
                D(2019, 1, 1) + datetime.timedelta(days=rng.randrange(2900)),
                rng.choice(["+1", "0", "-1", "n/a"]),
            )
            for _ in range(300)
        ),
        key=lambda row: row[2],
    )
    counted = {}
    for commitment, start, end, _status in spans:
        counted.setdefault(commitment, []).append((start, end))

    def holds(start, end, day):
        return start <= day and (end is None or end > day)

    def index_on(day):
        held = [status for _c, start, end, status in spans if holds(start, end, day)]
        return round(sum(held) / len(held) / 3 * 100, 1) if held else None

    def compliance_on(party, day):
        latest = {}
        for name, commitment, as_of, score in assessments:
            if name == party and as_of <= day:
                latest[commitment] = score
        values = [
            {"+1": 1, "0": 0, "-1": -1}[score]
            for commitment, score in latest.items()
            if score != "n/a" and any(holds(*span, day) for span in counted.get(commitment, []))
        ]
        return round((sum(values) / len(values) + 1) / 2 * 100, 1) if values else None

    index = charts.index_on_days([span[1:] for span in spans], days)
    assert index == [index_on(day) for day in days]
    assert len({value for value in index if value is not None}) > 10
    compliance = charts.compliance_on_days(assessments, days, counted)
    assert list(compliance) == ["Canada", "Mexico", "United States"]
    for party, values in compliance.items():
        assert values == [compliance_on(party, day) for day in days], party
    # Milestones due in each period: after the day before, up to the day (none after the last).
    dates = [as_of for _party, _commitment, as_of, _score in assessments] + [None, D(2027, 1, 1)]
    periods = zip([D(1, 1, 1), *days], days, strict=False)
    expected = [sum(1 for d in dates if d and before < d <= day) for before, day in periods]
    assert charts.count_in_periods(dates, days) == expected and sum(expected) == 300


def test_the_curves_are_read_in_few_queries(
    editor, reviewer, meeting, commitment, us, mexico, django_assert_num_queries
):
    """The dashboard's: the index's rows (which tell its first day), the parties' sizes
    (unless chosen) and their rows (with their names), beside the reader's teams (read once a
    request); a meeting's: its spans, its milestones, its assessments."""
    for party in (us, mexico):
        assess(commitment, party, "+1", D(2025, 10, 1), by=reviewer)
    views_charts.dashboard_curve(editor, D(2025, 12, 6))  # the reader's teams: read once
    with django_assert_num_queries(3):
        curve = views_charts.dashboard_curve(editor, D(2025, 12, 6))
    assert list(curve.compliance) == sorted([us.name, mexico.name])
    # Parties chosen (as the dashboard's picture asks): their rows tell which were assessed.
    with django_assert_num_queries(2):
        chosen = views_charts.dashboard_curve(editor, D(2025, 12, 6), [mexico.pk, 99999])
    assert chosen.compliance == {mexico.name: curve.compliance[mexico.name]}
    with django_assert_num_queries(3):
        charts.meeting_curve(meeting, D(2025, 12, 6))


def test_a_curve_given_its_parties_names_reads_their_rows_without_them(
    editor, reviewer, commitment, us, mexico, django_assert_num_queries
):
    """The dashboard has each party's name with its figures: its curve reads the tallies
    without joining the parties, and draws what it draws reading them (a party whose name
    is not given, read with its name)."""
    for party, score in ((us, "+1"), (mexico, "-1")):
        assess(commitment, party, score, D(2025, 10, 1), by=reviewer)
    assess(commitment, us, "0", D(2025, 12, 2), by=reviewer)  # the last month, by day
    end, parties = D(2025, 12, 6), [us.pk, mexico.pk]
    read = views_charts.dashboard_curve(editor, end, parties)
    names = {us.pk: us.name, mexico.pk: mexico.name}
    with CaptureQueriesContext(connection) as queries:
        given = views_charts.dashboard_curve(editor, end, parties, names)
    assert given == read and set(given.compliance) == {us.name, mexico.name}
    assert not any("agreements_party" in query["sql"] for query in queries.captured_queries)
    partly = views_charts.dashboard_curve(editor, end, parties, {us.pk: us.name})
    assert partly == read


def test_today_the_most_assessed_parties_are_counted_from_the_live_tally_as_the_history_counts(
    editor, reviewer, admin_user, outsider, meeting, us, mexico
):
    """Unless chosen, a curve ending today draws the parties most assessed today, counted from
    the live tally (a few hundred rows a team) instead of every month of the history: the
    same counts, a later assessment standing for the earlier, a cancelled commitment left out."""
    today = timezone.localdate()
    first, second, third = (make_commitment(meeting, parties=[us, mexico]) for _ in range(3))
    for commitment, score in ((first, "+1"), (second, "n/a"), (third, "0")):
        assess(commitment, us, score, today, by=reviewer)
    for commitment, score in ((first, "-1"), (first, "+1"), (second, "0")):
        assess(commitment, mexico, score, today, by=reviewer)
    history = ComplianceHistory.visible_to(editor)
    assert history._sizes_now() == history._sizes(today) == {us.pk: 3, mexico.pk: 2}
    days = charts.periods(meeting.start_date, today)[0]
    assert list(history.curves(days, 1)) == [us.name]
    actions.change_commitment_status(
        commitment=third, cancellation="cancelled", reason="Dropped", by=admin_user, via="admin"
    )
    assert history._sizes_now() == history._sizes(today) == {us.pk: 2, mexico.pk: 2}
    assert list(history.curves(days, 1)) == [min((us, mexico), key=lambda p: p.pk).name]
    # Read by SQL made once for the reader's teams (an admin's: every team's), as the live
    # tally's queryset reads them; a reader of the other team counts none of these.
    for user, sizes in ((editor, {us.pk: 2, mexico.pk: 2}), (admin_user, None), (outsider, {})):
        live = ComplianceHistory.visible_to(user)
        counted = Counter(
            dict(
                ComplianceTally.objects.visible_to(user)
                .values_list("party")
                .annotate(k=Sum("n"))
                .order_by()
            )
        )
        assert live._sizes_now() == counted == (counted if sizes is None else sizes)
        with compiled_sql() as compiled:
            assert live._sizes_now() == counted
        assert not compiled


def test_a_teams_curve_by_quarter_is_its_meetings_curve_read_from_the_records(
    editor, reviewer, admin_user, team, us, mexico
):
    """The dashboard's curve, from the stored tallies (months summed by quarter, the last
    month by day), and a meeting's, from its records: one meeting, the same numbers."""
    meeting = make_meeting(team, start_date=D(2021, 2, 3))
    first, second, third = (make_commitment(meeting, parties=[us, mexico]) for _ in range(3))
    for commitment, status, day in [
        (first, 1, D(2021, 5, 10)),
        (first, 3, D(2022, 1, 1)),
        (second, 2, D(2021, 9, 30)),
        (third, 1, D(2025, 12, 2)),  # in the last month, read by day
    ]:
        actions.change_commitment_status(
            commitment=commitment,
            status=status,
            reason="Moved",
            by=editor,
            via="web",
            effective_on=day,
        )
    actions.change_commitment_status(
        commitment=second,
        cancellation="cancelled",
        reason="Dropped",
        by=admin_user,
        via="admin",
        effective_on=D(2023, 4, 1),
    )
    for commitment, party, score, day in [
        (first, us, "+1", D(2021, 6, 1)),
        (first, us, "-1", D(2022, 3, 31)),  # a quarter's last day
        (second, us, "0", D(2021, 10, 1)),
        (second, mexico, "n/a", D(2021, 10, 1)),
        (third, mexico, "+1", D(2024, 7, 1)),
        (third, us, "+1", D(2025, 12, 5)),
    ]:
        assess(commitment, party, score, day, by=reviewer)
    end = D(2025, 12, 6)
    team, records = views_charts.dashboard_curve(editor, end), charts.meeting_curve(meeting, end)
    assert team.quarterly and team.days == records.days
    assert team.index == records.index
    assert team.compliance == records.compliance
    assert len({v for values in team.compliance.values() for v in values}) > 3


def test_a_history_whose_reads_are_made_once_builds_none_of_its_querysets(
    editor, admin_user, outsider, reviewer, meeting, commitment, us, monkeypatch
):
    """The dashboard's curve of known teams (a member's, an admin's every team's), of the
    parties the page chose, and a past day's total, read by SQL made once: their tallies'
    querysets (``Scoped``) are never built; a history read otherwise (a past day's counts by
    status) builds them when first read, scoped to the reader's teams."""
    from agreements.models import StatusDayTally, StatusHistory, StatusMonthTally, StatusYearTally
    from agreements.models.teams import TeamScopedQuerySet

    assess(commitment, us, "+1", D(2025, 10, 1), by=reviewer)
    built = []
    scoped = TeamScopedQuerySet.visible_to

    def counted(rows, user):
        built.append(rows.model)
        return scoped(rows, user)

    monkeypatch.setattr(TeamScopedQuerySet, "visible_to", counted)
    for user in (editor, admin_user):
        curve = views_charts.dashboard_curve(user, D(2025, 12, 6), [us.pk])
        assert curve.index[-1] is not None and list(curve.compliance) == [us.name]
    assert built == []
    history = StatusHistory.visible_to(outsider)
    assert not history.on(D(2025, 12, 6)).total()  # the other team's: none of ours
    assert StatusHistory.visible_to(editor).on(D(2025, 12, 6)).total() >= 1
    assert built == []
    assert not any(history.on(D(2025, 12, 6)).status_counts().values())
    assert set(built) == {StatusYearTally, StatusMonthTally, StatusDayTally}
