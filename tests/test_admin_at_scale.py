"""The records admin at any size (issue #27, point 7): a changelist costs a page, not a table.

It never counts a whole table (the count stops at a cap, or at the page asked for and the
next), offers no facets, searches the stored words the site search reads (on PostgreSQL),
and every query of every changelist, searched, filtered or paged, reads an index. The query
count that stays the same at 5 rows and at 50 is in test_admin.py.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from agreements import models as m
from agreements.actions import submit_update
from agreements.admin.scale import KeysFirstPaginator, RelatedOnce
from agreements.views.paging import CappedPaginator
from tests.admin_forms import admin_url
from tests.conftest import compiled_sql, make_commitment, make_user
from tests.test_query_plans import SMALL, sequential_scans

pytestmark = pytest.mark.perf

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the stored words and query plans are PostgreSQL's"
)

MODELS = [model for model in admin.site._registry if model._meta.app_label == "agreements"]


@pytest.fixture
def short_pages(monkeypatch):
    """Two rows a page, and a count that stops after 3 rows."""
    monkeypatch.setattr(CappedPaginator, "CAP", 3)
    monkeypatch.setattr(admin.site._registry[m.Commitment], "list_per_page", 2)


def test_a_changelist_counts_up_to_its_cap_and_says_more_than(admin_client, meeting, short_pages):
    for n in range(6):
        make_commitment(meeting, title=f"Commitment {n}")
    with CaptureQueriesContext(connection) as ran:
        response = admin_client.get(admin_url(m.Commitment, "changelist"))
    cl = response.context["cl"]
    assert cl.paginator.capped
    assert cl.result_count == 4  # the cap: the page asked for and the next
    assert cl.full_result_count is None
    assert "More than 4 commitments" in response.text
    counts = [q["sql"] for q in ran.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts
    assert all("LIMIT" in sql.upper() for sql in counts), counts


def test_a_page_past_the_cap_is_reached_and_counted_to_there(admin_client, meeting, short_pages):
    for n in range(6):
        make_commitment(meeting, title=f"Commitment {n}")
    response = admin_client.get(admin_url(m.Commitment, "changelist"), {"p": 3})
    cl = response.context["cl"]
    assert response.status_code == 200
    assert not cl.paginator.capped
    assert cl.result_count == 6
    assert [c.title for c in cl.result_list] == ["Commitment 4", "Commitment 5"]


def test_a_page_past_the_numbered_pages_is_not_walked_to_and_says_so(
    admin_client, meeting, short_pages, monkeypatch
):
    """Pages are numbered as far as ``WALKED`` rows (here 4: two pages of 2): a page asked
    past them reads no row and skips none, counts the list as its first page does and says
    how to reach rows further on; the last numbered page is still walked to."""
    monkeypatch.setattr(KeysFirstPaginator, "WALKED", 4)
    for n in range(8):
        make_commitment(meeting, title=f"Commitment {n}")
    url = admin_url(m.Commitment, "changelist")
    last = admin_client.get(url, {"p": 2})
    assert [c.title for c in last.context["cl"].result_list] == ["Commitment 2", "Commitment 3"]
    assert "past the last numbered page" not in last.text
    with CaptureQueriesContext(connection) as ran:
        past = admin_client.get(url, {"p": 3})
    assert past.status_code == 200
    cl = past.context["cl"]
    assert list(cl.result_list) == []
    assert not [q["sql"] for q in ran.captured_queries if "OFFSET" in q["sql"].upper()]
    assert not [q["sql"] for q in ran.captured_queries if "agreements_meeting" in q["sql"]]
    assert cl.result_count == admin_client.get(url).context["cl"].result_count
    assert (
        "<p>Page 3 is past the last numbered page (2): to reach rows further on, search or "
        "filter the list, or sort it the other way.</p>" in past.text
    )
    assert 'href="?p=1"' in past.text
    # A list of one page is shown whole whatever the number, as Django's admin shows it.
    one = admin_client.get(url, {"p": 3, "title": "Commitment 7"})
    assert [c.title for c in one.context["cl"].result_list] == ["Commitment 7"]
    assert "past the last numbered page" not in one.text


def test_a_changelist_offers_no_facets(admin_client, commitment):
    """Facets count every choice of every filter over the whole table."""
    response = admin_client.get(admin_url(m.Commitment, "changelist"), {"_facets": "1"})
    assert response.status_code == 200
    assert not response.context["cl"].add_facets


def test_a_page_s_rows_are_read_without_the_columns_no_row_shows(admin_client, commitment):
    """The commitments' rows (``list_only``) are read without their long texts and stored
    words, or their meeting's; an action is still given whole records (the list's queryset)."""
    response = admin_client.get(admin_url(m.Commitment, "changelist"))
    cl = response.context["cl"]
    [row] = cl.result_list
    assert {"text", "search_vector", "created_at"} <= row.get_deferred_fields()
    assert {"summary", "search_vector"} <= row.meeting.get_deferred_fields()
    assert str(row.meeting) in response.text and row.title in response.text
    assert not cl.queryset.get().get_deferred_fields()


def test_a_never_sent_address_is_the_same_changelist(admin_client, meeting):
    """``_=<anything>`` (a cache-buster: a script's, the benchmark's cold reads) is no lookup:
    the list answers as without it, where Django's admin would take it for a bad filter."""
    make_commitment(meeting, title="Border crossings reopened")
    url = admin_url(m.Commitment, "changelist")
    plain = admin_client.get(url, {"status__exact": "0"})
    busted = admin_client.get(url, {"status__exact": "0", "_": "run-1-17"})
    assert busted.status_code == 200
    listed = [[c.title for c in r.context["cl"].result_list] for r in (plain, busted)]
    assert listed[0] == listed[1] == ["Border crossings reopened"]
    assert admin_client.get(url, {"unknown": "1"}).status_code == 302  # any other: as Django


def test_a_filter_by_a_related_record_reads_its_choices_by_sql_made_once(
    admin_client, commitment, team
):
    """The commitments' filters by theme and by team offer what Django's own
    (``RelatedFieldListFilter``) offers, in its order, read by SQL made once a process: the
    next list compiles no query of themes or teams, and offers a theme added since."""
    url = admin_url(m.Commitment, "changelist")
    admin_client.get(url)
    m.Theme.objects.create(code="ports", name="Aaa ports")
    m.Team.objects.create(name="Aaa team", slug="aaa-team")  # two teams: the filter is shown
    with compiled_sql() as compiled:
        cl = admin_client.get(url).context["cl"]
    assert not [sql for sql in compiled if 'FROM "agreements_theme"' in sql], compiled
    assert not [sql for sql in compiled if 'FROM "agreements_team"' in sql], compiled
    related = {
        spec.field_path: spec
        for spec in cl.filter_specs
        if isinstance(spec, admin.RelatedFieldListFilter)
    }
    offered = {path: spec.lookup_choices for path, spec in related.items()}
    for path in ("theme", "meeting__team"):
        spec = related[path]
        assert type(spec) is RelatedOnce
        django_s = admin.RelatedFieldListFilter.field_choices(
            spec, spec.field, None, admin.site._registry[m.Commitment]
        )
        assert offered[path] == django_s and django_s
    assert ("ports", "Aaa ports") in offered["theme"]
    assert "Aaa team" in dict(offered["meeting__team"]).values()


def test_a_commitment_list_s_count_and_rows_are_compiled_once_for_its_parameters(
    admin_client, meeting, short_pages
):
    """The commitments' list (``sql_of_address``): its count and its page's rows, within the
    cap, past it (its keys read first) or filtered, are compiled once a process for each set
    of parameters; the next such list compiles no query of commitments and lists its own rows
    (the page's keys given anew)."""
    for n in range(6):
        make_commitment(meeting, title=f"Commitment {n}")
    url = admin_url(m.Commitment, "changelist")
    for params, titles in [
        ({}, ["Commitment 0", "Commitment 1"]),
        ({"p": 3}, ["Commitment 4", "Commitment 5"]),
        ({"status__exact": "0", "p": 2}, ["Commitment 2", "Commitment 3"]),
    ]:
        admin_client.get(url, params)
        with compiled_sql() as compiled:
            cl = admin_client.get(url, params).context["cl"]
        assert not [sql for sql in compiled if 'FROM "agreements_commitment"' in sql], compiled
        assert [c.title for c in cl.result_list] == titles
    # Other keys of a page read first: the rows they name.
    m.Commitment.objects.filter(title="Commitment 2").update(position=9)
    listed = admin_client.get(url, {"p": 3}).context["cl"].result_list
    assert [c.title for c in listed] == ["Commitment 5", "Commitment 2"]


@on_postgresql
def test_a_searched_list_compiled_once_is_given_each_search_s_words(admin_client, meeting):
    border = make_commitment(meeting, title="Border crossings reopened")
    quota = make_commitment(meeting, title="Fisheries quota")
    url = admin_url(m.Commitment, "changelist")
    admin_client.get(url, {"q": "borders"})
    with compiled_sql() as compiled:
        found = {
            q: admin_client.get(url, {"q": q}).context["cl"].result_list
            for q in ("quota", "borders")
        }
    assert not [sql for sql in compiled if 'FROM "agreements_commitment"' in sql], compiled
    assert found == {"quota": [quota], "borders": [border]}


@on_postgresql
def test_search_reads_the_stored_words_of_the_record_and_of_the_one_it_belongs_to(
    admin_client, meeting, editor
):
    border = make_commitment(meeting, title="Border crossings reopened")
    other = make_commitment(meeting, title="Fisheries quota")
    update = submit_update(commitment=border, author=editor, narrative="Two crossings opened")
    submit_update(commitment=other, author=editor, narrative="Quota agreed at the border")
    found = {}
    for model in (m.Commitment, m.ProgressUpdate, m.ReviewEvent):
        with CaptureQueriesContext(connection) as ran:
            response = admin_client.get(admin_url(model, "changelist"), {"q": "borders"})
        found[model] = list(response.context["cl"].result_list)
        assert not [q["sql"] for q in ran.captured_queries if " LIKE " in q["sql"].upper()]
    assert found[m.Commitment] == [border]
    # An update is found by its commitment's words (the narrative is not searched).
    assert found[m.ProgressUpdate] == [update]
    assert [event.update for event in found[m.ReviewEvent]] == [update]


@on_postgresql
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("query", [{}, {"q": "fentanyl"}, {"p": "2"}], ids=["list", "search", "p2"])
def test_every_query_of_a_changelist_reads_an_index(admin_client, records, model, query):
    """``records`` holds one row of every team-scoped model. Tables that hold a row per user
    or per team (preferences, feeds, keys, locks, digests), a team's reference rows (persons,
    sources: thousands, not a row per commitment) and the security log's search (its rows
    grow with sign-ins, not with the records; it is counted and paged like every list) are
    read whole by design."""
    per_user = {
        "agreements_person",
        "agreements_source",
        "agreements_calendarfeed",
        "agreements_preference",
        "agreements_apitoken",
        "agreements_signinlock",
        "agreements_digestsent",
        "django_admin_log",
    }
    if model is m.SecurityEvent and "q" in query:
        per_user = per_user | {"agreements_securityevent"}
    with CaptureQueriesContext(connection) as ran:
        assert admin_client.get(admin_url(model, "changelist"), query).status_code == 200
    selects = [q["sql"] for q in ran.captured_queries if q["sql"].lstrip().startswith("SELECT")]
    scanned = {
        sql[:300]: tables
        for sql in selects
        if (tables := [t for t in sequential_scans(sql) if t not in SMALL | per_user])
    }
    assert scanned == {}, scanned


# The large tables' changelists, each with the index its order walks.
ORDER_INDEXES = {
    m.Commitment: "commitment_order",
    m.Milestone: "milestone_due",
    m.Claim: "claim_recent",
    m.Statement: "statement_recent",
}


@on_postgresql
@pytest.mark.parametrize("model", ORDER_INDEXES, ids=lambda model: model.__name__)
def test_a_deep_page_walks_the_index_of_the_list_order_alone(rf, admin_user, model):
    """The last numbered page's keys (the 1,000th page: 49,950 rows skipped) are read along
    the index of the list's order, joining nothing and sorting nothing: its rows, with the
    records they name, are then read by key. (A page past it is not walked to.)"""
    last = KeysFirstPaginator.WALKED // admin.site._registry[model].list_per_page
    first, deep = (rf.get(admin_url(model, "changelist"), query) for query in ({}, {"p": last}))
    first.user = admin_user
    model_admin = admin.site._registry[model]
    cl = model_admin.get_changelist_instance(first)  # the list: its filters and its order
    paginator = model_admin.get_paginator(deep, cl.queryset, cl.list_per_page)
    keys = paginator.keys()[paginator.start : paginator.start + 2 * cl.list_per_page + 1]
    with transaction.atomic():
        with connection.cursor() as cursor:  # as on a large table: an index, if one fits
            for scan in ("seqscan", "bitmapscan", "sort"):
                cursor.execute(f"SET LOCAL enable_{scan} = off")
        plan = keys.explain()
    assert ORDER_INDEXES[model] in plan, plan
    assert "Sort" not in plan and "Join" not in plan and "Nested Loop" not in plan, plan


def test_a_row_s_checkbox_and_link_and_the_model_menu_are_django_s(rf, admin_user, commitment, us):
    """Written out without a widget's template (the checkbox), from one reversed address (the
    row's link) and with each name translated once (the menu), they are what Django's admin
    draws: its script selects the rows by their checkboxes."""
    model_admin = admin.site._registry[m.Commitment]
    assert model_admin.action_checkbox(commitment) == admin.ModelAdmin.action_checkbox(
        model_admin, commitment
    )
    request = rf.get("/admin/")
    request.user = admin_user
    for record in (commitment, m.Theme.objects.first(), us):  # a number's key, a text's
        cl = admin.site._registry[type(record)].get_changelist_instance(request)
        assert cl.url_for_result(record) == admin_url(type(record), "change", record.pk)
    reviewer = make_user("menu-reader", is_staff=True)
    reviewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_commitment", "change_meeting", "add_party"])
    )
    for user in (admin_user, reviewer):
        request.user = type(user).objects.get(pk=user.pk)  # its permissions read afresh
        for app_label in (None, "agreements"):
            ours = admin.site.get_app_list(request, app_label)
            django_s = admin.AdminSite.get_app_list(admin.site, request, app_label)
            assert ours == [
                {
                    **a,
                    "name": str(a["name"]),
                    "models": [{**x, "name": str(x["name"])} for x in a["models"]],
                }
                for a in django_s
            ]
            assert all(isinstance(a["name"], str) for a in ours)
    assert [x["name"] for a in ours for x in a["models"]] == ["Commitments", "Meetings", "Parties"]


def test_the_model_menu_is_drawn_once_for_all_it_shows(admin_client, commitment):
    """The sidebar's menu (``app_list_drawn``) is kept by everything it shows: drawn afresh or
    kept from another page, it is the same; the current model, the index's links and the
    language each draw their own (a user's permissions: the test above, as ``get_app_list``
    lists them)."""
    from agreements.templatetags.admin_rows import MENUS_DRAWN

    pages = [
        (admin_client, admin_url(m.Commitment, "changelist"), "en"),
        (admin_client, admin_url(m.Meeting, "changelist"), "en"),
        (admin_client, admin_url(m.Meeting, "changelist"), "es"),
        (admin_client, "/admin/", "en"),
        (admin_client, "/admin/agreements/", "en"),
        (admin_client, admin_url(m.Commitment, "change", commitment.pk), "en"),
    ]

    def menu(who, url, language) -> str:
        html = who.get(url, headers={"accept-language": language}).content.decode()
        start = html.index('<div class="app-')
        sidebar = 'id="nav-sidebar"' in html  # else the index's own list, the page's end
        return html[start : html.index("</nav>", start) if sidebar else html.rindex("</table>")]

    afresh = []
    for page in pages:
        MENUS_DRAWN.clear()
        afresh.append(menu(*page))
    assert [menu(*page) for page in pages] == afresh  # kept from the pages before
    commitments, meetings, reuniones, index, app, one_commitment = afresh
    assert 'class="app-agreements module current-app"' in app
    assert 'class="model-commitment current-model"' in commitments
    assert 'class="model-meeting current-model"' in meetings
    assert 'class="model-commitment current-model"' not in meetings
    assert "Reuniones" in reuniones and "Reuniones" not in meetings
    assert "changelink" in index and "changelink" not in commitments  # the index's own links
    assert one_commitment == commitments  # its list's menu: the same current model


def test_a_kept_menu_shows_each_user_what_their_permissions_reach(client, admin_client, team):
    """Kept after an admin's page, the sidebar still shows a staff user only what they may
    view, and an add link once they may add."""
    admin_client.get(admin_url(m.Commitment, "changelist"))  # the admin's menu, kept
    viewer = make_user("menu-viewer", team=team, role=m.TeamRole.REVIEWER, is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_commitment"))
    client.force_login(viewer)
    html = client.get(admin_url(m.Commitment, "changelist")).content.decode()
    sidebar = html[html.index('id="nav-sidebar"') :]
    assert "model-commitment" in sidebar and "model-meeting" not in sidebar
    assert admin_url(m.Commitment, "add") not in sidebar
    viewer.user_permissions.add(Permission.objects.get(codename="add_commitment"))
    html = client.get(admin_url(m.Commitment, "changelist")).content.decode()
    assert admin_url(m.Commitment, "add") in html[html.index('id="nav-sidebar"') :]
