"""Implementation over time, drawn: the SVG images each page asks for (scoped as the page
is), pygal's own line chart, the table of numbers beside them, the comparison of meetings, and
what drawing them costs in queries. The curves' numbers are tested in test_charts.py."""

from __future__ import annotations

import datetime
import re

import pygal
import pytest
from django.utils import translation

from agreements import actions, chart_comparison, chart_svg, charts
from tests.conftest import make_body, make_commitment, make_meeting

pytestmark = pytest.mark.django_db

D = datetime.date


def test_each_chart_is_an_svg_image_for_the_records_team_only(
    client, editor, outsider, meeting, commitment, us
):
    body = make_body(meeting)
    body.commitments.add(commitment)
    addresses = [
        "/chart.svg",
        f"/meetings/meeting-{meeting.pk}/chart.svg",
        f"/meetings/meeting-{meeting.pk}/chart.svg?as_of=2025-10-01",
        f"/bodies/body-{body.pk}/chart.svg",
        f"/parties/party-{us.pk}/chart.svg",
    ]
    client.force_login(editor)
    for address in addresses:
        response = client.get(address)
        assert response.status_code == 200, address
        assert response["Content-Type"] == "image/svg+xml"
        svg = response.content.decode()
        assert svg.startswith("<svg") and "Implementation index" in svg
        assert "<script" not in svg
        # Its own policy: the styles inside it, nothing else, and never a script.
        policy = response["Content-Security-Policy"]
        assert "style-src 'unsafe-inline'" in policy and "default-src 'none'" in policy
    client.force_login(outsider)
    for address in addresses[1:4]:
        assert client.get(address).status_code == 404, address
    # The dashboard's and a party's charts draw only what the outsider's team holds: nothing.
    assert client.get("/chart.svg").status_code == 404
    assert client.get(f"/parties/party-{us.pk}/chart.svg").status_code == 404


def test_pages_show_the_chart_with_its_numbers_in_a_table(client, editor, meeting, commitment):
    actions.change_commitment_status(
        commitment=commitment,
        status=2,
        reason="Half",
        by=editor,
        via="web",
        effective_on=D(2025, 10, 10),
    )
    client.force_login(editor)
    for address, chart in [
        (f"/meetings/meeting-{meeting.pk}/", f"/meetings/meeting-{meeting.pk}/chart.svg"),
        (f"/meetings/meeting-{meeting.pk}/briefing/", f"/meetings/meeting-{meeting.pk}/chart.svg"),
        (
            f"/meetings/meeting-{meeting.pk}/?as_of=2025-11-01",
            f"/meetings/meeting-{meeting.pk}/chart.svg?as_of=2025-11-01",
        ),
        ("/", "/chart.svg"),
    ]:
        page = client.get(address).content.decode()
        assert f'src="{chart}"' in page, address
        assert '<caption class="visually-hidden">The chart\'s numbers</caption>' in page
        assert '<th scope="row">Oct 2025</th>\n          <td>67%</td>\n' in page, address


def test_meetings_are_compared_from_their_own_dates(client, editor, outsider, team, meeting):
    later = make_meeting(team, title="Follow-up", start_date=D(2026, 3, 3))
    first, second = make_commitment(meeting), make_commitment(later)
    change = actions.change_commitment_status
    # Each complete three months after its own meeting.
    change(
        commitment=first, status=3, reason="Done", by=editor, via="web", effective_on=D(2025, 12, 3)
    )
    change(
        commitment=second, status=3, reason="Done", by=editor, via="web", effective_on=D(2026, 6, 3)
    )
    comparison = chart_comparison.compare_meetings([meeting, later], D(2026, 9, 10))
    with translation.override("en"):
        labels = comparison.labels
    assert labels[:3] == ["At the meeting", "3 months", "6 months"]
    assert labels[4] == "1 year"
    curves = list(comparison.curves.values())
    assert curves[0][:2] == [0.0, 100.0] and curves[1][:2] == [0.0, 100.0]
    assert curves[1][3:] == [None, None]  # younger: no values beyond its age

    client.force_login(editor)
    query = f"meetings={meeting.pk}&meetings={later.pk}"
    page = client.get(f"/meetings/compare/?{query}").content.decode()
    assert "Follow-up" in page and "3 months" in page
    chart = client.get(f"/meetings/compare/chart.svg?{query}")
    assert chart["Content-Type"] == "image/svg+xml" and "Follow-up (2026)" in chart.content.decode()
    # Another team's meeting cannot be chosen, nor drawn.
    client.force_login(outsider)
    page = client.get(f"/meetings/compare/?{query}").content.decode()
    assert "Follow-up" not in page and "is not one of the available choices" in page
    assert client.get(f"/meetings/compare/chart.svg?{query}").status_code == 404


@pytest.mark.perf
def test_the_past_days_and_the_charts_queries_do_not_grow(client, editor, team, us, queries):
    meeting = make_meeting(team)
    body = make_body(meeting)

    def fill(n: int) -> None:
        for i in range(n):
            commitment = make_commitment(meeting, parties=[us], target_date=D(2025, 10, 1))
            body.commitments.add(commitment)
            actions.change_commitment_status(
                commitment=commitment,
                status=1 + i % 3,
                reason="Moved",
                by=editor,
                via="web",
                effective_on=D(2025, 10, 1 + i % 28),
            )

    client.force_login(editor)
    queries.stay_flat(
        client,
        fill,
        "/?as_of=2025-11-01",
        "/chart.svg",
        "/commitments/?as_of=2025-11-01&sort=-status",
        "/commitments/?as_of=2025-11-01&overdue=on",
        f"/meetings/meeting-{meeting.pk}/chart.svg",
        f"/meetings/meeting-{meeting.pk}/?as_of=2025-11-01",
        f"/bodies/body-{body.pk}/chart.svg",
        f"/parties/party-{us.pk}/chart.svg",
        f"/meetings/compare/?meetings={meeting.pk}",
        f"/meetings/compare/chart.svg?meetings={meeting.pk}",
        (f"/bodies/body-{body.pk}/briefing/", {"as_of": "2025-11-01"}),
        (f"/parties/party-{us.pk}/briefing/", {"as_of": "2025-11-01"}),
    )


def test_a_long_curve_draws_lines_and_the_milestones_dots_a_short_one_every_periods_dot():
    def dots(svg: str) -> int:
        return svg.count('class="dot ')

    days, quarterly = charts.periods(D(2016, 2, 10), D(2026, 12, 6))  # 44 quarters
    index = [50.0] * len(days)
    due = [1 if i in (3, 20) else 0 for i in range(len(days))]
    long = charts.Curve(days, quarterly, index, {"Mexico": index}, due=due, met=[0] * len(days))
    # The table gives each period's value; the picture marks the two milestones only.
    assert dots(charts.draw(long, title="Ten years")) == 2
    days, quarterly = charts.periods(D(2025, 9, 3), D(2025, 12, 6))
    short = charts.Curve(days, quarterly, [None, None, None, 50.0], {}, due=[0] * 4, met=[0] * 4)
    # A lone value (this month's, say) would be no line at all: it is drawn as its dot.
    assert dots(charts.draw(short, title="Three months")) == 1


def test_the_picture_is_pygals_own_line_chart(monkeypatch):
    """``chart_svg.Line`` leaves out pygal's generic work, none of its drawing: the same SVG as
    pygal's ``Line`` (its script taken out), long and short, with compliance and milestones,
    each picture with its own id in its stylesheet."""
    days, quarterly = charts.periods(D(2016, 2, 10), D(2026, 12, 6))
    n = len(days)
    index = [None, *(round(30 + i * 1.3, 1) for i in range(n - 1))]
    long = charts.Curve(
        days,
        quarterly,
        index,
        {"Mexico": [50.0] * n, "United States <b>": [None, *([75.0] * (n - 1))]},
        due=[1 if i in (3, 20) else 0 for i in range(n)],
        met=[1 if i == 21 else 0 for i in range(n)],
    )
    days, quarterly = charts.periods(D(2025, 9, 3), D(2025, 12, 6))
    short = charts.Curve(days, quarterly, [None, 0.0, 50.0, 50.0], {"Mexico": [None] * 4})
    # Each twice: its stylesheet made, then as made before.
    curves = [(long, "Ten years"), (short, "Three <i>months</i>")] * 2
    ours = [charts.draw(curve, title=title) for curve, title in curves]
    monkeypatch.setattr(chart_svg, "Line", pygal.Line)
    pygals = [charts.draw(curve, title=title) for curve, title in curves]

    def same(svg: str) -> str:  # each picture has its own id; pygal's has its script
        svg = re.sub(r"<script\b.*?</script>", "", svg, flags=re.S)
        return re.sub(r"chart-[0-9a-f-]{36}", "chart", svg)

    assert "<script" in pygals[0] and "<script" not in ours[0]
    ids = [re.search(r'<svg[^>]* id="(chart-[0-9a-f-]{36})"', svg)[1] for svg in ours]
    assert len(set(ids)) == 4 and all(svg.count(i) > 50 for svg, i in zip(ours, ids, strict=True))
    assert [same(svg) for svg in ours] == [same(svg) for svg in pygals]
    assert "United States &lt;b&gt;" in ours[0] and "Three &lt;i&gt;months" in ours[1]


def test_the_charts_table_rows_are_written_as_the_templates_loop_wrote_them():
    """``chart_rows`` (chart.html's rows in one pass): the same HTML as the Jinja2 loop it
    replaced, for figures missing, halves rounded up, parties and milestones or none, and a
    period's name with characters to escape."""
    from django.template import engines

    from agreements.jinja2 import chart_rows

    loop = engines["jinja2"].from_string(
        """{% for row in rows %}<tr>
          <th scope="row">{{ row.label }}</th>
          <td>{% if row.index is none %}–{% else %}{{ row.index|whole }}%{% endif %}</td>
          {% for value in row.compliance %}<td>{% if value is none %}–{% else %}{{ value|whole }}%{% endif %}</td>{% endfor %}
          {% if has_milestones %}<td>{{ row.due }}</td><td>{{ row.met }}</td>{% endif %}
        </tr>{% endfor %}"""  # noqa: E501
    )
    rows = [
        {"label": "Q1 2025", "index": None, "compliance": [None, 50.0], "due": 0, "met": 0},
        {"label": '<b>"A&B\'s"</b>', "index": 66.5, "compliance": [0.0, 99.5], "due": 2, "met": 1},
        {"label": "dic. 2026", "index": 100.0, "compliance": [33.3, None], "due": 0, "met": 3},
    ]
    for has_milestones in (True, False):
        for parties in (2, 0):
            shown = [row | {"compliance": row["compliance"][:parties]} for row in rows]
            context = {"rows": shown, "has_milestones": has_milestones}
            assert str(chart_rows(shown, has_milestones)) == loop.render(context)
    assert "&lt;b&gt;&#34;A&amp;B&#39;s&#34;&lt;/b&gt;" in chart_rows(rows, True)
    assert chart_rows([], True) == ""
