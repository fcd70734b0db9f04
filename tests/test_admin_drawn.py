"""The records admin's changelists written in Python (``admin/drawn.py``, ``admin/rows.py``,
``admin/dates.py``): the table, the filters, the bars around them, a function's column, the
action form's fields and the dates are the HTML Django's own admin templates write, in English
and Spanish; a list read with only the columns it shows shows the same."""

from __future__ import annotations

import datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements import models as m
from agreements.admin.scale import AtScale, KeysFirstPaginator
from agreements.views.paging import CappedPaginator
from tests.admin_forms import admin_url
from tests.admin_world import (  # noqa: F401 (the world fixture, by its name)
    AT_SCALE,
    build_many,
    world_fixture,
)


@pytest.mark.parametrize("model", AT_SCALE, ids=lambda model: model.__name__)
def test_a_changelists_rows_and_filters_are_the_html_djangos_admin_writes(
    admin_client, world, model, monkeypatch
):
    """The rows are drawn a column at a time (``admin/rows.py``), the table and each filter
    written in Python (``admin/drawn.py``): the same HTML as Django's own ``result_list`` and
    ``admin_list_filter`` write with its templates, links keeping the list's filters and an
    empty cell's text, a chosen filter and two sorted columns shown, in English and Spanish."""
    build_many(model, world, 2)
    url = admin_url(model, "changelist")
    cl = admin_client.get(url).context["cl"]
    # The second choice of the first filter offering one (its first is "All").
    chosen = next(
        (
            choices[1]["query_string"]
            for spec in cl.filter_specs
            if len(choices := list(spec.choices(cl))) > 1
        ),
        "",
    )

    def parts(query: str, language: str) -> list[str]:
        html = admin_client.get(url + query, headers={"accept-language": language})
        html = html.content.decode()
        drawn = []
        for start, end in [
            ('<search id="changelist-filter"', "</search>"),
            ('<table id="result_list">', "</table>"),
        ]:
            at = html.find(start)
            drawn.append(html[at : html.index(end, at)] if at >= 0 else "")
        return drawn

    queries = ["", "?o=-1", "?o=2.-1", "?q=a", chosen]
    pages = [parts(query, language) for query in queries for language in ("en", "es")]
    assert pages[0][1].count("<tr") >= 3  # the heading and at least the two rows
    if model is m.Commitment:  # its filters and columns offer both
        assert 'class="sortpriority"' in pages[4][1]  # two columns sorted
        assert 'class="selected"' in pages[-1][0]  # a filter chosen
    monkeypatch.setattr(AtScale, "change_list_template", None)  # Django's own template
    assert pages == [parts(query, language) for query in queries for language in ("en", "es")]


@pytest.mark.parametrize("model", AT_SCALE, ids=lambda model: model.__name__)
def test_a_changelists_bars_are_the_html_djangos_admin_and_our_pages_template_write(
    admin_client, world, model, monkeypatch
):
    """The bars around a changelist's table are written in Python (``admin/drawn.py``): the
    actions, the search form with its count, the add link keeping the list's filters and
    the pages (the project's ``admin/pagination.html``: its links, "more than", "show all",
    a page past the numbered ones) are the HTML the templates write, in English and
    Spanish, on a list, a search, a popup's list, a page, a page shown whole and a page
    past the numbered ones."""
    build_many(model, world, 3)
    monkeypatch.setattr(admin.site._registry[model], "list_per_page", 1)
    monkeypatch.setattr(CappedPaginator, "CAP", 2)
    monkeypatch.setattr(KeysFirstPaginator, "WALKED", 2)
    url = admin_url(model, "changelist")

    def bars(query: str, language: str) -> list[str]:
        response = admin_client.get(url + query, headers={"accept-language": language})
        drawn = [sorted({t.name for t in response.templates} & BAR_TEMPLATES)]
        html = response.content.decode()
        for start, end in [
            ('<ul class="object-tools">', "</ul>"),
            ('<div id="toolbar">', "</form></div>"),
            ('<div class="actions">', "</div>"),
            ('<div class="changelist-footer">', "</div>"),
        ]:
            at = html.find(start)
            drawn.append(html[at : html.index(end, at) + len(end)] if at >= 0 else "")
        return drawn

    queries = ["", "?p=2", "?q=a", "?_popup=1&_to_field=id", "?all=", "?p=3"]
    pages = [bars(query, language) for query in queries for language in ("en", "es")]
    if model is m.Commitment:  # every part shown
        assert all(pages[0][1:]), pages[0]
        assert "More than" in pages[0][4] and 'href="?p=2"' in pages[0][4]
        assert "past the last numbered page" in pages[-2][4]
    assert not [page[0] for page in pages if page[0]]  # no template drawn: written in Python
    monkeypatch.setattr(AtScale, "change_list_template", None)  # Django's own template
    templates = [bars(query, language) for query in queries for language in ("en", "es")]
    assert templates[0][0]  # (what the check above would see, were they drawn)
    assert [page[1:] for page in pages] == [page[1:] for page in templates]


LISTED_ONLY = [
    model for model, kept in admin.site._registry.items() if getattr(kept, "list_only", ())
]


@pytest.mark.parametrize("model", LISTED_ONLY, ids=lambda model: model.__name__)
def test_a_changelists_rows_read_only_what_they_show_and_show_the_same(
    admin_client, world, model, monkeypatch
):
    """A list that reads its rows with only the columns they show (``list_only``) shows the
    same rows, in as many queries, as with every column read; its rows lack the others."""
    build_many(model, world, 3)
    url = admin_url(model, "changelist")

    def table(language: str) -> tuple[str, int, set]:
        with CaptureQueriesContext(connection) as ran:
            response = admin_client.get(url, headers={"accept-language": language})
        html = response.content.decode()
        at = html.index('<table id="result_list">')
        rows = list(response.context["cl"].result_list)
        return html[at : html.index("</table>", at)], len(ran), rows[0].get_deferred_fields()

    read = [table(language) for language in ("en", "es")]
    assert {"created_at", "version"} <= read[0][2]
    monkeypatch.setattr(admin.site._registry[model], "list_only", ())
    whole = [table(language) for language in ("en", "es")]
    assert not whole[0][2]
    assert [(html, count) for html, count, _ in read] == [(h, c) for h, c, _ in whole]


def test_a_changelists_callable_columns_are_the_html_djangos_admin_writes(
    admin_client, world, monkeypatch
):
    """A column that is a function of the record (``admin/rows.py``, ``Column._called``) is
    written as Django's admin writes it: a record it gives (written once a page), nothing,
    a date, a yes or no, its own empty text, a record that is not there."""
    from django.core.exceptions import ObjectDoesNotExist

    from agreements.admin.base import meeting_team

    def nothing(record):
        return None

    def day(record):
        return record.meeting.start_date

    @admin.display(boolean=True)
    def stalled(record):
        return record.is_stalled

    @admin.display(empty_value="(none)")
    def reason(record):
        return record.cancellation or None

    def missing(record):
        raise ObjectDoesNotExist

    build_many(m.Commitment, world, 3)
    columns = ["title", meeting_team, nothing, day, stalled, reason, missing, meeting_team]
    monkeypatch.setattr(admin.site._registry[m.Commitment], "list_display", columns)
    url = admin_url(m.Commitment, "changelist")

    def table(language: str) -> str:
        html = admin_client.get(url, headers={"accept-language": language}).content.decode()
        at = html.index('<table id="result_list">')
        return html[at : html.index("</table>", at)]

    drawn = [table(language) for language in ("en", "es")]
    assert drawn[0].count('class="field-meeting_team"') >= 6
    monkeypatch.setattr(AtScale, "change_list_template", None)  # Django's own template
    assert drawn == [table(language) for language in ("en", "es")]


def test_an_action_forms_fields_are_drawn_once_for_the_choices_and_language_they_show():
    """The action bar's fields (``drawn._action_fields``) are kept by the choices a page gives
    the form and the language: another choice, another language or a form given data (a
    choice made) is drawn as its widgets draw it."""
    from django.contrib.admin.helpers import ActionForm
    from django.utils import translation

    from agreements.admin import drawn

    def form(choices, data=None):
        made = ActionForm(data, auto_id=None)
        made.fields["action"].choices = choices
        return made

    archive = [("", "---------"), ("archive_selected", "Archive the selected records")]
    restore = [("", "---------"), ("restore_selected", "Restore the selected records")]
    for language in ("en", "es"):
        with translation.override(language):
            for choices in (archive, restore, archive):
                assert drawn._action_fields(form(choices)) == drawn._fields_drawn(form(choices))
            chosen = form(restore, {"action": "restore_selected", "select_across": "0"})
            assert drawn._action_fields(chosen) == drawn._fields_drawn(chosen)
            assert 'value="restore_selected" selected' in drawn._action_fields(chosen)
    with translation.override("es"):
        spanish = drawn._action_fields(form(archive))
    assert "Acción" in spanish and spanish != drawn._action_fields(form(archive))


BAR_TEMPLATES = {
    "admin/actions.html",
    "admin/search_form.html",
    "admin/change_list_object_tools.html",
    "admin/pagination.html",
}


@pytest.mark.parametrize("language", ["en-gb", "es"])
@pytest.mark.parametrize("zone", ["UTC", "America/Mexico_City"])
def test_a_changelists_dates_and_times_are_written_as_django_writes_them(language, zone):
    """The rows' dates (``admin/rows.py``, ``Dates``) read the names of months, days, a.m. and
    p.m. once a language: the same text as ``formats.localize`` after
    ``template_localtime``, in every month, at midnight, noon, morning and evening."""
    from django.utils import formats, translation

    from agreements.admin.dates import Dates

    days = [datetime.date(2025, month, 3 + month) for month in range(1, 13)]
    times = [
        datetime.datetime(2025, month, 3 + month, hour, minute, tzinfo=datetime.UTC)
        for month in range(1, 13)
        for hour, minute in [(0, 0), (6, 0), (9, 5), (12, 0), (18, 0), (23, 59)]
    ]
    with translation.override(language), timezone.override(zone):
        dates = Dates()
        assert [dates.shown(day) for day in days] == [formats.localize(day) for day in days]
        assert [dates.shown(at, local=True) for at in times] == [
            formats.localize(timezone.template_localtime(at)) for at in times
        ]
        assert [dates.shown(at) for at in times] == [formats.localize(at) for at in times]
        assert dates.shown(datetime.time(9, 5)) == formats.localize(datetime.time(9, 5))


def test_a_date_or_time_the_page_wrote_already_is_written_as_it_was():
    """``Dates`` keeps what it wrote by value: the same value twice is the same text, and
    values Python finds equal but Django writes apart (one instant in two zones, the two
    readings of an hour a clock goes through twice) are each written as Django writes them."""
    import zoneinfo

    from django.utils import formats

    from agreements.admin.dates import Dates

    york = zoneinfo.ZoneInfo("America/New_York")
    at = datetime.datetime(2025, 3, 4, 18, 0, tzinfo=datetime.UTC)
    twice = [
        datetime.datetime(2025, 11, 2, 1, 30, tzinfo=york),
        datetime.datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=york),
    ]
    assert twice[0] == twice[1]
    with timezone.override("UTC"):
        dates = Dates()
        for value in [at, at.astimezone(york), *twice, at.date(), at.date()]:
            assert dates.shown(value) == formats.localize(value)
            local = timezone.template_localtime(value)
            assert dates.shown(value, local=True) == formats.localize(local)
        assert dates.shown(twice[0], local=True) != dates.shown(twice[1], local=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["", "?status__exact=1", "?q=border+line&is_stalled__exact=1&o=2.-1", "?q=a%26b%3Dc&e=ñ"],
)
def test_a_changelists_links_keep_its_parameters_as_djangos_do(admin_user, query):
    """``PageList.get_query_string`` (each parameter encoded once a page) writes the addresses
    Django's ``ChangeList.get_query_string`` writes: parameters taken away by their start,
    added, replaced and removed, texts to quote, lists and numbers."""
    from django.contrib.admin.views.main import ChangeList
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/agreements/commitment/" + query)
    request.user = admin_user
    changelist = admin.site._registry[m.Commitment].get_changelist_instance(request)
    asked = [
        (None, None),
        ({"status__exact": "2"}, ["status__"]),
        ({"theme__id__exact": 7}, ["theme__id__isnull"]),
        ({"q": "a b&c", "o": None}, None),
        ({"p": 3}, None),
        ({"status__in": ["1", "2"]}, ["q", "theme"]),
        ({"status__exact": "2"}, ["status__"]),  # again: the same text
        ({}, ["e", "o", "q", "status", "theme"]),
    ]
    for new_params, remove in asked * 2:
        assert changelist.get_query_string(new_params, remove) == ChangeList.get_query_string(
            changelist, new_params, remove
        )


@pytest.mark.parametrize("usable", [True, False])
def test_a_changelists_header_links_are_the_html_djangos_base_template_writes(
    admin_client, admin_user, world, monkeypatch, usable
):
    """``block userlinks`` (``userlinks_drawn``: drawn once for what it shows, the page's CSRF
    token put in) is what Django's own ``admin/base.html`` writes, in English and Spanish,
    with and without a usable password; the token is the page's, one the site accepts."""
    import re

    from agreements.templatetags.admin_rows import USERLINKS_DRAWN

    if not usable:
        admin_user.set_unusable_password()
        admin_user.save()
        admin_client.force_login(admin_user)
    build_many(m.Commitment, world, 2)
    url = admin_url(m.Commitment, "changelist")

    def links(language: str) -> tuple[str, str]:
        html = admin_client.get(url, headers={"accept-language": language}).content.decode()
        start = html.index('<div id="user-tools">')
        end = html.index("</button>", html.index("theme-icon-when-light", start))
        block = html[start:end]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', block)[1]
        return block.replace(token, "TOKEN"), token

    USERLINKS_DRAWN.clear()
    drawn = [links(language) for language in ("en", "es", "en")]
    assert len(USERLINKS_DRAWN) == 2  # drawn once a language
    monkeypatch.setattr(AtScale, "change_list_template", None)  # Django's own template
    djangos = [links(language) for language in ("en", "es", "en")]
    assert [block for block, _ in drawn] == [block for block, _ in djangos]
    assert ("Change password" in drawn[0][0]) is usable
    assert len({token for _, token in drawn}) == 3  # each page's own, as Django's


def test_a_changelists_scripts_are_the_tags_djangos_template_writes(
    admin_client, world, monkeypatch
):
    """The admin's script tags of a changelist's head (``scripts_drawn``: drawn once for each
    list of scripts, the page's nonce put in) are what ``{% csp_nonce_attr media.js %}``
    writes, with a nonce and without; the page's head is Django's own template's."""
    from django.template import Context
    from django.utils import csp

    from agreements.templatetags.admin_rows import SCRIPTS_DRAWN, scripts_drawn

    media = admin.site._registry[m.Commitment].media["js"]
    SCRIPTS_DRAWN.clear()
    for nonce in ("first", None, "sec<ond&", None):
        context = Context({} if nonce is None else {csp.CONTEXT_KEY: nonce})
        assert scripts_drawn(context, media) == csp.nonce_attr(context, media)
    assert len(SCRIPTS_DRAWN) == 2  # with a nonce and without
    build_many(m.Commitment, world, 2)
    url = admin_url(m.Commitment, "changelist")

    def head() -> str:
        html = admin_client.get(url).content.decode()
        return html[: html.index("</head>")]

    drawn = head()
    monkeypatch.setattr(AtScale, "change_list_template", None)  # Django's own template
    assert drawn == head()
