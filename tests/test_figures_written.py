"""The figures the pages write, written as Django's own filters, widgets and labels would write
them (each written faster by hand): whole numbers as ``floatformat``, the index bars' numbers as
``localize``, the chart's table of numbers escaped and rounded, the parties' boxes as Django's
checkboxes, a line's labels as its record's."""

from __future__ import annotations

import datetime
import math
import random

from django.utils import translation

from agreements.models import StatusChange
from agreements.models.base import label_of
from tests.conftest import make_commitment, make_status_change


def test_the_charts_numbers_are_written_escaped_and_rounded_as_floatformat_does():
    """includes/chart.html (the dashboard's, a meeting's, a body's, a briefing's chart)."""
    from django.template.loader import render_to_string

    from agreements.charts import Curve

    curve = Curve(
        days=[datetime.date(2025, 1, 1), datetime.date(2025, 4, 1)],
        quarterly=True,
        index=[None, 66.5],
        compliance={"United <b>States</b>": [12.5, None]},
        due=[1, 0],
        met=[0, 1],
    )
    html = render_to_string(
        "agreements/includes/chart.html", {"curve": curve, "chart_url": "/chart.svg?a=1&b=2"}
    )
    assert 'src="/chart.svg?a=1&amp;b=2"' in html and "<b>" not in html
    assert '<th scope="col">Compliance: United &lt;b&gt;States&lt;/b&gt;</th>' in html
    assert "Q1 2025 to Q2 2025" in html and "(latest assessments, +1 … −1 as 100 … 0 %)" in html
    assert "<td>–</td>" in html and "<td>67%</td>" in html and "<td>13%</td>" in html
    assert '<th scope="col">Milestones due</th>' in html


def test_the_parties_boxes_are_djangos_own_checkboxes(us, mexico):
    """``CheckboxList`` writes the HTML of Django's templates for the same widget: ticked,
    not ticked, refused (``aria-invalid``), names escaped."""
    from django import forms
    from django.http import QueryDict

    from agreements.forms.compare import DrawnPartiesForm

    assessed = [
        {"party_id": us.pk, "key": "United <b>States</b>", "count": 3},
        {"party_id": mexico.pk, "key": "Mexico", "count": 1},
    ]
    for query in ("", "drawn=1", f"drawn=1&party=party-{mexico.pk}", "drawn=1&party=nothing"):
        form = DrawnPartiesForm(QueryDict(query), assessed=assessed)
        ours = form["party"].as_field_group()
        form.fields["party"].widget = forms.CheckboxSelectMultiple(
            choices=form.fields["party"].choices
        )
        assert ours == form["party"].as_field_group(), query
    assert "United &lt;b&gt;States&lt;/b&gt;" in ours and 'aria-invalid="true"' in ours


def test_values_written_in_python_are_escaped_as_conditional_escape_does():
    """What the parts written in Python escape (the parties' boxes, the selects, the admin's
    rows, the tags: ``escaping.escaped``) is escaped as ``conditional_escape`` escapes it,
    quotes included (``&#x27;``, ``&quot;``: Django's, not markupsafe's), HTML kept, a lazy
    text translated."""
    from django.utils.html import conditional_escape
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from agreements.escaping import escaped

    values = ['Côte d\'Ivoire "&" <b>', mark_safe("<b>kept</b>"), gettext_lazy("Parties drawn")]
    for value in [*values, 7, None, "party-7"]:
        assert escaped(value) == conditional_escape(value)
    assert escaped(values[0]) == "Côte d&#x27;Ivoire &quot;&amp;&quot; &lt;b&gt;"


def test_whole_figures_round_as_floatformat_does():
    from django.template.defaultfilters import floatformat

    from agreements.templatetags.tracker import whole

    halves = [n + 0.5 for n in range(-3, 120)]  # each n + ½, and the floats either side
    near = [math.nextafter(x, side) for x in halves for side in (-math.inf, math.inf)]
    numbers = [0, 0.0, -0.0, -0.3, 0.49999999999999994, 12.45, 33.3, 49.95, 66.66666666666667]
    numbers += [99.5, 100.0, 100, 1234567.5, 2.0**53 + 2, *halves, *near]
    numbers += [random.Random(n).uniform(-1000, 1000) for n in range(2000)]
    for number in numbers:
        assert whole(number) == floatformat(number, 0), number


def test_index_bars_write_their_numbers_as_localize_does():
    from django.utils.formats import localize

    from agreements.templatetags.tracker import index_bars

    rows = [{"key": "Drugs", "index": 66.7, "count": 12345, "url": "/x/?a=1&b=2"}]
    for language in ("en-gb", "es"):
        with translation.override(language):
            html = index_bars(rows)
            assert f'aria-label="Drugs: {localize(66.7)}%"' in html
            assert f"({localize(12345)})" in html and 'href="/x/?a=1&amp;b=2"' in html
    with translation.override("es"):
        assert "66,7%" in index_bars(rows)


def test_index_bars_group_their_counts_as_localize_does_when_every_number_is_grouped(settings):
    """A whole count is written as its digits without a word (``numberformat``'s own first
    case, taken before it is called); when the settings group every number, as ``localize``
    groups it, in the reader's way."""
    from django.utils.formats import localize

    from agreements.templatetags.tracker import index_bars

    rows = [{"key": "Drugs", "index": 50.0, "count": 1234567, "url": ""}]
    assert "(1234567)" in index_bars(rows)
    settings.USE_THOUSAND_SEPARATOR = True
    for language in ("en-gb", "es"):
        with translation.override(language):
            html = index_bars(rows)
            assert f"({localize(1234567)})" in html and f"Drugs: {localize(50.0)}%" in html
    with translation.override("en-gb"):
        assert "(1,234,567)" in index_bars(rows)


def test_a_lines_labels_are_its_records_in_the_readers_language(meeting):
    """The dashboard's lines (values rows, not records) show the labels the records show."""
    commitment = make_commitment(meeting)
    make_status_change(commitment, from_status=0, to_status=2)
    change = StatusChange.objects.get()
    for language in ("en-gb", "es"):
        with translation.override(language):
            (line,) = StatusChange.objects.lines()
            assert line.get_from_status_display() == change.get_from_status_display()
            assert line.get_to_status_display() == change.get_to_status_display()
            assert line.commitment == commitment.title and not line.is_override
    assert label_of(StatusChange, "from_status", 9) == 9  # outside the choices: itself
