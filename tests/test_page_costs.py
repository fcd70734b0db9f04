"""What keeps the pages cheap as the records grow (issue #8), checked for what a user sees: a
list's size read from the stored tallies agrees with its rows; a list larger than its count's
cap still pages on; a long timeline shows its newest events and the next ones on request; choice
labels are read once per field yet still in the reader's language; forms render through
Django's Jinja2 templates, and the admin's own widgets still render."""

from __future__ import annotations

import datetime
import itertools
import re
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from agreements.actions import return_update, submit_update
from agreements.models import (
    Commitment,
    CommitmentParty,
    ImplementationStatus,
    ProgressUpdate,
    StatusChange,
)
from agreements.models.made_once import rows_of_made_once
from agreements.models.unions import orders_in_union
from agreements.views.paging import CappedPaginator
from tests.conftest import HTMX, compiled_sql, make_commitment, make_meeting, make_status_change

pytestmark = pytest.mark.perf

LIST = "/commitments/"


def counts(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def shown_size(response) -> int:
    return response.context["page"].paginator.count


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"status": "2"},
        {"status": "0"},
        {"theme": "migration"},
        {"theme": "drugs", "status": "1"},
        {"stalled": "on"},
        {"sort": "-status"},
    ],
)
def test_a_lists_size_from_the_tallies_is_the_number_of_its_rows(
    client, editor, team, other_team, meeting, filters
):
    """Filters the tallies count by (status, theme, team, stalled) are answered from them,
    with no COUNT over the commitments, and the figure is the rows' own."""
    themes = itertools.cycle(["drugs", "migration", "security"])
    for i in range(12):
        make_commitment(meeting, theme=next(themes), status=i % 4, is_stalled=i % 5 == 0)
    archived = make_commitment(meeting, status=2)
    archived.archived_at = archived.created_at
    archived.save()
    make_commitment(make_meeting(other_team), status=2)  # not the editor's
    gone = make_meeting(team)  # a whole meeting archived takes its commitments with it
    make_commitment(gone, status=2)
    gone.archived_at = gone.created_at
    gone.save()
    client.force_login(editor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, filters)
    assert not counts(queries)
    rows = response.context["form"].filter(
        Commitment.objects.visible_to(editor).active(), response.context["today"]
    )
    assert shown_size(response) == rows.count() > 0


def test_filters_the_tallies_do_not_count_by_are_counted(client, editor, meeting, mexico):
    tagged = make_commitment(meeting)
    CommitmentParty.objects.create(commitment=tagged, party=mexico, role="committed")
    make_commitment(meeting)
    client.force_login(editor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"party": mexico.pk})
    assert counts(queries) and shown_size(response) == 1


def test_a_list_past_its_counts_cap_still_pages_on(client, editor, meeting, monkeypatch):
    """Counting stops at a cap (here 30 rows for pages of 25); a reader who walks on is
    offered each next page while there is one, and the page says no false total."""
    monkeypatch.setattr(CappedPaginator, "CAP", 30)
    for i in range(80):
        make_commitment(meeting, title=f"Commitment {i:02d}")
    client.force_login(editor)
    searched = {"q": "Commitment"}  # a search: counted, not read from the tallies
    first = client.get(LIST, searched, **HTMX)
    assert first.context["page"].paginator.capped
    assert "More than 30 commitments, page 1" in first.text and "page 1 of" not in first.text
    second = client.get(LIST, {**searched, "page": 2}, **HTMX)
    assert "page=3" in second.text  # the count reached past page 2: a next page is offered
    last = client.get(LIST, {**searched, "page": 4}, **HTMX)
    assert len(last.context["page"].object_list) == 5 and "page=5" not in last.text
    assert "80 commitments" in last.text  # the whole list was counted on the way there


def _earlier_link(html: str) -> str:
    """The address of the timeline's "Show … earlier events" link (without its anchor)."""
    found = re.search(r'class="timeline-more"><a href="(\?before=[0-9.]+)#timeline-heading"', html)
    assert found, "no link to earlier events"
    return found.group(1)


def test_a_long_timeline_shows_its_newest_events_and_the_next_on_request(client, editor, meeting):
    from agreements.views.commitment_timeline import PAGE

    commitment = make_commitment(meeting)
    for i in range(PAGE + 7):
        make_status_change(commitment, reason=f"Change number {i}")
    client.force_login(editor)
    url = commitment.get_absolute_url()
    html = client.get(url).text
    assert f"Change number {PAGE + 6}<" in html  # the newest
    assert "Change number 6<" not in html and "Change number 0<" not in html
    assert "Show 7 earlier events" in html
    # Without JavaScript the link opens the page starting there: the rest, and a way back.
    earlier = client.get(url + _earlier_link(html)).text
    assert "Change number 6<" in earlier and "Change number 0<" in earlier
    assert f"Change number {PAGE + 6}<" not in earlier and "earlier event" not in earlier
    assert "Back to the newest events" in earlier and "<html" in earlier
    with translation.override("es"):
        spanish = client.get(url, headers={"accept-language": "es"})
    assert "Mostrar 7 eventos anteriores" in spanish.text


def test_the_earlier_events_come_in_place_with_htmx_newest_first(client, editor, meeting):
    """With htmx the link fetches only the next events (and the link after them), which
    replace the link: the page's other sections are not drawn again."""
    from agreements.views.commitment_timeline import PAGE

    commitment = make_commitment(meeting)
    for i in range(2 * PAGE + 3):
        make_status_change(commitment, reason=f"Change number {i}")
    client.force_login(editor)
    url = commitment.get_absolute_url()
    link = _earlier_link(client.get(url).text)
    assert f'hx-get="{link}"' in client.get(url).text
    fragment = client.get(url + link, **HTMX).text
    assert "<html" not in fragment and "Post a progress update" not in fragment
    shown = [int(n) for n in re.findall(r"Change number (\d+)<", fragment)]
    assert shown == list(range(PAGE + 2, 2, -1))  # the next page, newest first
    assert "Show 3 earlier events" in fragment
    last = client.get(url + _earlier_link(fragment), **HTMX).text
    assert re.findall(r"Change number (\d+)<", last) == ["2", "1", "0"]
    assert "timeline-more" not in last


def test_paging_through_a_timeline_shows_every_event_once_newest_first(
    client, editor, reviewer, meeting
):
    """Events of every kind, several of them at the same moment: each page starts right
    after the last event of the one before, so none is shown twice or skipped."""
    from agreements.views.commitment_timeline import PAGE

    commitment = make_commitment(meeting)
    moment = timezone.now() - datetime.timedelta(days=3)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        for i in range(PAGE):  # updates and changes all at one moment
            submit_update(commitment=commitment, author=editor, narrative=f"Report {i}")
            make_status_change(commitment, reason=f"Change {i}", changed_at=moment)
    for i in range(5):
        make_status_change(commitment, reason=f"Later change {i}")
    client.force_login(editor)
    url = commitment.get_absolute_url()
    html, seen = client.get(url).text, []
    for _page in range(10):
        seen += re.findall(r"(Report \d+|Change \d+|Later change \d+)<", html)
        if "timeline-more" not in html:
            break
        html = client.get(url + _earlier_link(html), **HTMX).text
    expected = {f"Report {i}" for i in range(PAGE)} | {f"Change {i}" for i in range(PAGE)}
    expected |= {f"Later change {i}" for i in range(5)}
    assert sorted(seen) == sorted(expected)  # each once
    assert seen[:5] == [f"Later change {i}" for i in range(4, -1, -1)]  # newest first


def test_another_teams_timeline_is_not_found(client, outsider, meeting):
    commitment = make_commitment(meeting)
    make_status_change(commitment, reason="Secret change")
    client.force_login(outsider)
    url = commitment.get_absolute_url()
    assert client.get(url, {"before": "1.3.1"}).status_code == 404
    assert client.get(url, {"before": "1.3.1"}, **HTMX).status_code == 404


def test_a_cursor_that_is_no_event_shows_the_newest(client, editor, meeting):
    commitment = make_commitment(meeting)
    make_status_change(commitment, reason="The only change")
    client.force_login(editor)
    for cursor in ["x", "9" * 19 + ".3.1", "1.9.1", ""]:
        response = client.get(commitment.get_absolute_url(), {"before": cursor})
        assert response.status_code == 200 and "The only change<" in response.text


def test_the_newest_events_are_read_whatever_the_kind_and_age_of_their_record(
    client, editor, reviewer, meeting, queries
):
    """Each kind is read newest first up to the page's length: an old update returned today
    is among the newest events, and the page's queries do not grow with the history."""
    from agreements.views.commitment_timeline import PAGE

    commitment = make_commitment(meeting)
    long_ago = timezone.now() - datetime.timedelta(days=400)
    with mock.patch("django.utils.timezone.now", return_value=long_ago):  # append-only rows
        oldest = submit_update(commitment=commitment, author=editor, narrative="The first report")
    for i in range(PAGE):
        submit_update(commitment=commitment, author=editor, narrative=f"Report {i}")
    assert ProgressUpdate.objects.get(pk=oldest.pk).created_at == long_ago
    return_update(update=oldest, by=reviewer, comment="Cite the seizure figures")
    client.force_login(editor)
    url = commitment.get_absolute_url()
    html = client.get(url).text
    assert "Cite the seizure figures" in html  # the return, made today, of the oldest update
    assert "The first report" not in html  # the update itself is older than a page's worth
    # PAGE + 1 updates, 1 return: PAGE + 2 events, PAGE shown.
    assert "Show 2 earlier events" in html
    earlier = client.get(url + _earlier_link(html)).text
    assert "The first report" in earlier and "earlier event" not in earlier
    # The returned update, on an earlier page, is offered for revision to its author.
    assert f"?revise={oldest.pk}" in earlier
    # Status changes are read once there is one (the page knows whether there is): from then
    # on, as many queries however many there are.
    make_status_change(commitment, reason="The first change")
    count = queries.of(client, url)
    for i in range(20):
        make_status_change(commitment, reason=f"Change {i}")
    assert queries.of(client, url) == count


def test_a_timeline_shows_the_review_decisions_on_its_own_updates_alone(
    client, editor, reviewer, meeting
):
    """A commitment's decisions are read through its own updates (``decisions_on``): another
    commitment's, a submission (not a decision) are not among its events."""
    mine, other = make_commitment(meeting), make_commitment(meeting)
    ours = submit_update(commitment=mine, author=editor, narrative="Our report")
    theirs = submit_update(commitment=other, author=editor, narrative="Their report")
    return_update(update=ours, by=reviewer, comment="Cite our figures")
    return_update(update=theirs, by=reviewer, comment="Cite their figures")
    client.force_login(editor)
    html = client.get(mine.get_absolute_url()).text
    assert "Cite our figures" in html and "Cite their figures" not in html
    assert html.count("Update returned for revision") == 1  # the decision; no submission


def test_the_timeline_reads_its_updates_decisions_and_changes_in_one_query_where_it_can(
    client, editor, reviewer, meeting
):
    """Where the database takes a LIMIT inside a UNION (PostgreSQL), the three kinds of events
    kept in their own tables are one query; elsewhere one a kind. Only the shown updates
    that cite a source have their sources read."""
    commitment = make_commitment(meeting)
    update = submit_update(commitment=commitment, author=editor, narrative="A report")
    return_update(update=update, by=reviewer, comment="Cite the figures")
    make_status_change(commitment, reason="Task force set up")
    client.force_login(editor)
    with CaptureQueriesContext(connection) as ran:
        html = client.get(commitment.get_absolute_url()).text
    assert "A report" in html and "Cite the figures" in html and "Task force set up" in html
    sql = [q["sql"] for q in ran.captured_queries]
    timeline = [q for q in sql if 'AS "t_rank"' in q]  # each kind's rows (COLUMNS)
    if orders_in_union(ProgressUpdate.objects.all()):
        assert len(timeline) == 1 and timeline[0].count('AS "t_rank"') == 3
    else:
        assert len(timeline) == 3
    assert not [q for q in sql if 'JOIN "agreements_progressupdate_sources"' in q]


def test_the_newest_events_sql_is_made_once_and_run_with_each_commitments_id(
    client, editor, meeting
):
    """The timeline's query (a UNION of three parts built by the ORM) is built and compiled
    for the first page drawn, then run with each commitment's id: another commitment's page
    shows its own events, compiling none of it again."""
    first, second = make_commitment(meeting), make_commitment(meeting)
    submit_update(commitment=first, author=editor, narrative="First report")
    submit_update(commitment=second, author=editor, narrative="Second report")
    # Both with a status change: the same three parts, so one made query serves both pages
    # (a commitment without changes reads two parts, a query of its own).
    make_status_change(first, reason="First change")
    make_status_change(second, reason="Second change")
    client.force_login(editor)
    assert "First report" in client.get(first.get_absolute_url()).text
    with compiled_sql() as compiled:
        html = client.get(second.get_absolute_url()).text
    assert "Second report" in html and "Second change" in html
    assert "First report" not in html and "First change" not in html
    assert not [sql for sql in compiled if "t_rank" in sql]


def test_a_query_made_once_takes_its_values_as_parameters_only(meeting):
    """``rows_of_made_once`` refuses a query that writes a value into its SQL (it would run
    with the stand-in) or reads records rather than rows; its rows are the query's own."""
    commitment = make_commitment(meeting, title="Halt fentanyl")

    def titles(of: int):
        return Commitment.objects.filter(pk=of).values_list("pk", "title")

    assert rows_of_made_once(("test", "titles"), titles, of=commitment.pk) == [
        (commitment.pk, "Halt fentanyl")
    ]
    assert rows_of_made_once(("test", "titles"), titles, of=commitment.pk + 1) == []
    written = lambda of: Commitment.objects.extra(where=[f"id = {of}"]).values_list("pk")  # noqa: E731
    with pytest.raises(ValueError):
        rows_of_made_once(("test", "written"), written, of=commitment.pk)
    records = lambda of: Commitment.objects.filter(pk=of)  # noqa: E731
    with pytest.raises(ValueError):
        rows_of_made_once(("test", "records"), records, of=commitment.pk)


def test_a_query_made_once_takes_days_as_parameters_too(meeting):
    """A day given to ``rows_of_made_once`` is a parameter as the database takes a date (the
    day itself, or its text on SQLite), run with each call's day; written in, refused."""
    early = make_commitment(meeting, title="Early", target_date=datetime.date(2025, 1, 1))
    make_commitment(meeting, title="Late", target_date=datetime.date(2026, 1, 1))

    def before(day, of):
        rows = Commitment.objects.filter(meeting=of, target_date__lt=day)
        return rows.order_by("pk").values_list("title")

    key = ("test", "before")
    assert rows_of_made_once(key, before, day=datetime.date(2025, 6, 1), of=meeting.pk) == [
        ("Early",)
    ]
    assert rows_of_made_once(key, before, day=datetime.date(2027, 1, 1), of=meeting.pk) == [
        ("Early",),
        ("Late",),
    ]
    assert rows_of_made_once(key, before, day=early.target_date, of=meeting.pk) == []
    written = lambda day: Commitment.objects.extra(where=[f"target_date < '{day}'"]).values_list(  # noqa: E731
        "pk"
    )
    with pytest.raises(ValueError):
        rows_of_made_once(("test", "written day"), written, day=datetime.date(2025, 6, 1))


def test_a_query_made_once_takes_a_text_whole_as_a_parameter_only(meeting):
    """A text given to ``rows_of_made_once`` (a search's words) is a parameter taken whole, run
    with each call's text; written into the SQL, or a parameter built from it, refused."""
    make_commitment(meeting, title="Halt fentanyl")
    make_commitment(meeting, title="It's late")

    def titled(title):
        return Commitment.objects.filter(title=title).values_list("title")

    key = ("test", "titled")
    assert rows_of_made_once(key, titled, title="Halt fentanyl") == [("Halt fentanyl",)]
    assert rows_of_made_once(key, titled, title="It's late") == [("It's late",)]
    assert rows_of_made_once(key, titled, title="Halt") == []
    written = lambda title: Commitment.objects.extra(where=[f"title = '{title}'"]).values_list(  # noqa: E731
        "pk"
    )
    with pytest.raises(ValueError):
        rows_of_made_once(("test", "written text"), written, title="Halt fentanyl")
    within = lambda title: Commitment.objects.filter(title__contains=title).values_list("pk")  # noqa: E731
    with pytest.raises(ValueError):
        rows_of_made_once(("test", "text within"), within, title="Halt")


def test_choice_labels_are_read_in_the_readers_language(meeting):
    commitment = make_commitment(meeting, status=ImplementationStatus.INTERMEDIATE)
    change = make_status_change(commitment, from_status=0, to_status=2)
    with translation.override("en-gb"):
        english = commitment.get_status_display()
        assert english == str(ImplementationStatus.INTERMEDIATE.label)
    with translation.override("es"):
        spanish = commitment.get_status_display()
        assert spanish == str(ImplementationStatus.INTERMEDIATE.label) != english
        assert change.get_to_status_display() == spanish
    odd = StatusChange(from_status=9, to_status=2)  # a value outside the choices shows itself
    assert odd.get_from_status_display() == 9


def test_the_rows_dates_are_written_as_djangos_date_filter_writes_them():
    """The Jinja2 rows' ``date`` writes the lists' "j M Y" itself (fifty a page), and the
    review queue's "j M Y, H:i": the same text as Django's filter, in each language, for days
    and for moments (in the time zone)."""
    from django.template import defaultfilters

    from agreements.jinja2 import date, day_writer

    days = [datetime.date(2024, month, day) for month in range(1, 13) for day in (1, 9, 28)]
    moments = [timezone.now() - datetime.timedelta(days=40 * k, hours=k) for k in range(30)]
    for language in ("en", "es"):
        with translation.override(language):
            day = day_writer()  # a drawing's: each month named once, in its language
            for value in [*days, *moments, datetime.date(5, 3, 4), *days]:
                django = defaultfilters.date(timezone.template_localtime(value), "j M Y")
                assert date(value) == day(value) == django, (language, value)
            for value in moments:  # the review queue's moments, to the minute
                django = defaultfilters.date(timezone.template_localtime(value), "j M Y, H:i")
                assert date(value, "j M Y, H:i") == django, (language, value)
            assert date(datetime.datetime(2024, 6, 30, 12), "Y-m-d") == "2024-06-30"
    assert date(None) == date("") == day_writer()(None) == day_writer()("") == ""


def test_a_drawings_status_badges_are_the_badges_status_badge_writes():
    """The review queue's rows write each status's badge once a drawing
    (``status_badge_writer``): the same HTML as ``status_badge``, in each language, for each
    status, the drawing's first of a status kept for the rest."""
    from types import SimpleNamespace

    from agreements.jinja2 import status_badge_writer
    from agreements.models import ImplementationStatus
    from agreements.templatetags.tracker import status_badge

    for language in ("en", "es"):
        with translation.override(language):
            badge = status_badge_writer()
            for status in [*ImplementationStatus.values, *ImplementationStatus.values]:
                commitment = Commitment(status=status)
                assert badge(commitment) == status_badge(commitment), (language, status)
            assert badge(SimpleNamespace(status=0)) is badge(Commitment(status=0))


def test_a_row_templates_globals_are_a_plain_dict_copied_from_the_environments():
    """Each drawing copies its template's globals into its context: a ``ChainMap`` (Jinja2's
    own) cost some 25 µs a drawing to copy, a dict next to nothing (agreements/jinja2.py). A
    template's globals still leave the environment's as they were."""
    from django.template import engines

    env = engines["jinja2"].env
    template = env.from_string("{{ address }}", globals={"mine": 1})
    assert type(template.globals) is dict and template.globals["mine"] == 1
    assert template.globals["address"] is env.globals["address"]
    template.globals["address"] = "changed"
    assert env.globals["address"] is not template.globals["address"]
    assert env.get_template("agreements/claim_rows.html").globals.keys() == env.globals.keys()


def test_every_model_with_choices_reads_its_labels_once():
    from django.apps import apps

    from agreements.models.base import ChoiceLabels

    models = [
        model
        for model in apps.get_app_config("agreements").get_models()
        if any(field.choices for field in model._meta.concrete_fields)
        and not model.__name__.startswith("Historical")
    ]
    assert models and [m.__name__ for m in models if not issubclass(m, ChoiceLabels)] == []


def test_forms_render_through_jinja2_and_the_admins_widgets_still_render(
    client, admin_client, editor, meeting
):
    from django.forms.renderers import get_default_renderer

    from agreements.forms.renderer import FormRenderer

    renderer = get_default_renderer()
    assert isinstance(renderer, FormRenderer)
    field = renderer.get_template("django/forms/field.html")
    assert "jinja2" in type(field).__module__
    assert type(field.template.globals) is dict  # a field's drawings copy no ChainMap
    client.force_login(editor)
    html = client.get(LIST).text
    assert re.search(r'<label for="id_q">\s*Search:?\s*</label>', html)
    assert '<input type="text" name="q" maxlength="200" id="id_q">' in html
    commitment = make_commitment(meeting)
    page = admin_client.get(reverse("admin:agreements_commitment_change", args=[commitment.pk]))
    assert page.status_code == 200
    assert "related-widget-wrapper" in page.text  # an admin-only widget template
