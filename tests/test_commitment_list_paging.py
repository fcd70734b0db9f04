"""The commitment list's pages (issue #27): a reader of several teams pages through one list
in order, each team's rows read on their own and merged; the next page starts after the last
row shown (``?after=``), and page numbers keep working."""

from __future__ import annotations

import datetime

import pytest

from agreements import actions
from agreements.forms import CommitmentFilterForm
from agreements.models import Commitment, Team, TeamMembership, TeamRole
from tests.conftest import make_commitment, make_meeting, make_user

LIST = "/commitments/"


@pytest.mark.parametrize("sort", ["", "-meeting", "status", "-title", "target", "-updated"])
def test_a_reader_of_several_teams_pages_through_one_list_in_order(
    client, team, other_team, monkeypatch, sort
):
    """Each team's rows are read on their own (``views.paging.runs``) and merged into the
    list's order: every page holds the rows the whole list has there, none twice, none lost,
    whichever sort."""
    monkeypatch.setattr("agreements.views.commitments.PAGE_SIZE", 4)
    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.REVIEWER)
    for day in range(1, 8):  # the teams' meetings interleaved in time
        for desk in (team, other_team):
            held = make_meeting(desk, start_date=datetime.date(2025, 3, day))
            for n in range(2):
                make_commitment(
                    held,
                    title=f"{desk.slug} {day} {n}",
                    status=(day + n) % 4,
                    target_date=None if n else datetime.date(2026, 1, 9 - day),
                )
    make_commitment(make_meeting(Team.objects.create(name="Asia", slug="asia")))  # unseen
    client.force_login(both)
    query = {"sort": sort} if sort else {}
    first = client.get(LIST, query)
    form = first.context["form"]
    expected = list(
        form.filter(Commitment.objects.visible_to(both).active(), first.context["today"])
    )
    assert len(expected) == 28 and first.context["page"].paginator.count == 28
    shown = [c for n in range(1, 8) for c in client.get(LIST, {**query, "page": n}).context["page"]]
    assert [c.pk for c in shown] == [c.pk for c in expected]


@pytest.mark.parametrize("sort", ["status", "-status", "meeting"])
def test_a_reader_of_several_teams_pages_through_a_past_day_in_order(
    client, team, other_team, editor, monkeypatch, sort
):
    """On a past day the list sorts by the status then (an annotation, which a list of ids
    does not select: the runs' first rows are then put in order by the database)."""
    monkeypatch.setattr("agreements.views.commitments.PAGE_SIZE", 3)
    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.REVIEWER)
    for day in range(1, 5):
        for desk in (team, other_team):
            held = make_meeting(desk, start_date=datetime.date(2025, 3, day))
            for n in range(2):
                make_commitment(held, title=f"{desk.slug} {day} {n}", status=(day + n) % 4)
    client.force_login(both)
    query = {"as_of": "2025-03-20", "sort": sort}
    first = client.get(LIST, query)
    form = first.context["form"]
    expected = list(form.filter(Commitment.objects.visible_to(both).live(), first.context["today"]))
    assert len(expected) == 16 and first.context["page"].paginator.count == 16
    shown = [c for n in range(1, 7) for c in client.get(LIST, {**query, "page": n}).context["page"]]
    assert [c.pk for c in shown] == [c.pk for c in expected]


@pytest.mark.parametrize("sort", ["", "-status", "title", "-updated", "meeting"])
def test_the_next_page_starts_after_the_last_row_shown(client, editor, meeting, monkeypatch, sort):
    """Its link carries the last row as a cursor (``?after=``): the page it opens is the
    numbered page's, read from where the last one ended rather than from the first row."""
    monkeypatch.setattr("agreements.views.commitments.PAGE_SIZE", 3)
    for n in range(4):
        held = make_meeting(meeting.team, start_date=datetime.date(2025, 1, 1 + n % 2))
        for i in range(3):
            make_commitment(held, title=f"Commitment {(n * 7 + i) % 5} {n}", status=i)
    client.force_login(editor)
    query = {"sort": sort} if sort else {}
    numbered = [client.get(LIST, {**query, "page": n}).context["page"] for n in range(1, 5)]
    following, page = [], client.get(LIST, query)
    while True:
        following.append([c.pk for c in page.context["page"]])
        cursor = page.context["page"].next_after
        if cursor is None:
            break
        assert f"page={len(following) + 1}&amp;after={cursor}" in page.text
        page = client.get(LIST, {**query, "page": len(following) + 1, "after": cursor})
    assert following == [[c.pk for c in p] for p in numbered]


def test_a_cursor_no_longer_in_the_list_falls_back_to_the_page_number(client, editor, meeting):
    rows = [make_commitment(meeting, title=f"Commitment {n}") for n in range(30)]
    outside = make_commitment(make_meeting(Team.objects.create(name="Asia", slug="asia")))
    client.force_login(editor)
    second = [c.pk for c in client.get(LIST, {"page": 2}).context["page"]]
    assert len(second) == 5 and set(second) <= {c.pk for c in rows}
    for cursor in (outside.pk, "x", 10**30):  # another team's, not an id, no row's
        page = client.get(LIST, {"page": 2, "after": cursor})
        assert [c.pk for c in page.context["page"]] == second


def test_a_sort_by_a_column_that_may_be_empty_pages_by_number(client, editor, meeting):
    for n in range(30):
        make_commitment(meeting, target_date=datetime.date(2026, 1, 1) if n % 2 else None)
    client.force_login(editor)
    first = client.get(LIST, {"sort": "target"})
    assert first.context["page"].next_after is None
    assert "sort=target&amp;page=2" in first.text and "after=" not in first.text


def test_archived_commitments_and_those_of_archived_meetings_leave_every_page(
    client, team, other_team, admin_user, monkeypatch
):
    """The list walks its index with ``live()`` (its meeting's archiving looked up among the
    archived meetings' ids, not joined): the same rows as ``active()``, on every page and in
    the count, for a reader of several teams."""
    monkeypatch.setattr("agreements.views.commitments.PAGE_SIZE", 3)
    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.REVIEWER)
    held = {}
    for day in range(1, 5):
        for desk in (team, other_team):
            held[desk, day] = make_meeting(desk, start_date=datetime.date(2025, 3, day))
            for n in range(2):
                make_commitment(held[desk, day], title=f"{desk.slug} pledge {day} {n}")
    actions.archive_record(record=held[team, 2], by=admin_user, reason="Entered twice.")
    actions.archive_record(record=held[other_team, 3], by=admin_user, reason="Entered twice.")
    one = held[team, 4].commitments.first()
    actions.archive_record(record=one, by=admin_user, reason="Entered twice.")
    seen = Commitment.objects.visible_to(both)
    order = CommitmentFilterForm.DEFAULT_ORDER
    expected = list(seen.active().order_by(*order))
    assert len(expected) == 11
    assert list(seen.live().order_by(*order)) == expected
    client.force_login(both)
    first = client.get(LIST)
    assert first.context["page"].paginator.count == 11
    shown = [c.pk for n in range(1, 5) for c in client.get(LIST, {"page": n}).context["page"]]
    assert shown == [c.pk for c in expected]
    counted = client.get(LIST, {"q": "pledge"}).context["page"]  # counted, not tallied
    assert counted.paginator.count == 11 and [c.pk for c in counted] == shown[:3]


def test_the_pages_ids_are_read_by_sql_made_once_with_each_requests_values(
    client, team, other_team, us, mexico, monkeypatch
):
    """The page's ids (the runs' UNION) by SQL made once for the filters' shape and the page
    (``views.commitments._ids_made_once``): a request with other values of the same filters
    (another theme, party, day, team) compiles none of it and gets its own rows."""
    from tests.conftest import compiled_sql

    monkeypatch.setattr("agreements.views.commitments.PAGE_SIZE", 3)  # full pages: the same

    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.REVIEWER)
    for day in range(1, 5):
        for desk in (team, other_team):
            held = make_meeting(desk, start_date=datetime.date(2025, 3, day))
            for n, theme in enumerate(("drugs", "migration", "drugs")):
                make_commitment(held, theme=theme, parties=[(us, mexico)[n % 2]])
    client.force_login(both)
    mine, theirs = f"team-{team.pk}", f"team-{other_team.pk}"
    shapes = [
        [{"theme": "drugs"}, {"theme": "migration"}],
        [{"party": f"party-{us.pk}"}, {"party": f"party-{mexico.pk}"}],
        [{"team": mine, "sort": "title"}, {"team": theirs, "sort": "title"}],
        [{"as_of": "2025-03-02", "theme": "drugs"}, {"as_of": "2025-03-03", "theme": "migration"}],
    ]
    for first, second in shapes:
        seen = []
        for n, query in enumerate((first, second)):
            with compiled_sql() as compiled:
                response = client.get(LIST, query)
            form, today = response.context["form"], response.context["today"]
            expected = form.filter(Commitment.objects.visible_to(both).live(), today)
            shown = [row.pk for row in response.context["page"]]
            assert shown == [c.pk for c in expected[:3]] and len(shown) == 3, query
            seen.append(shown)
            if n:  # the first request of the shape made it
                assert not [sql for sql in compiled if "UNION" in sql], query
        assert seen[0] != seen[1]


def test_an_admins_list_made_once_reads_a_team_added_since(
    client, admin_user, meeting, monkeypatch
):
    """An admin's runs are every team's: a team added since the list's SQL was made gets a
    run of its own (their number is in the key), and its commitments are listed."""
    monkeypatch.setattr("agreements.views.commitments.PAGE_SIZE", 2)  # full pages: the same
    client.force_login(admin_user)
    for n in range(3):
        make_commitment(meeting, title=f"Ours {n}")
    assert [row.title for row in client.get(LIST).context["page"]] == ["Ours 0", "Ours 1"]
    zulu = Team.objects.create(name="Zulu", slug="zulu")  # the last of the teams by name
    later = make_meeting(zulu, start_date=meeting.start_date + datetime.timedelta(days=1))
    for n in range(2):
        make_commitment(later, title=f"Theirs {n}")
    assert [row.title for row in client.get(LIST).context["page"]] == ["Theirs 0", "Theirs 1"]
