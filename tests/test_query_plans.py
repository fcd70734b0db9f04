"""Every query of the lists, the search and the dashboard is served by an index (scale point 10).

Each page is requested and every query it ran is explained on PostgreSQL with sequential scans
switched off: the planner then scans a table in full only when no index can serve the query,
which on the large tables is what makes a page grow with the data. The small tables (teams,
memberships, users, sessions, the tallies, parties) are read whole by design.
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Commitment, ImplementationBody, Meeting, Milestone, ReviewEvent
from agreements.models.made_once import generic_plans

pytestmark = [
    pytest.mark.perf,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's"),
]

SMALL = {
    "auth_user",
    "django_session",
    "agreements_team",
    "agreements_teammembership",
    "agreements_commitmenttally",
    "agreements_compliancetally",
    "agreements_party",
    "agreements_theme",
}

PAGES = [
    "/",
    "/commitments/",
    "/commitments/?theme=drugs&status=1",
    "/commitments/?overdue=on",
    "/commitments/?stalled=on",
    "/commitments/?sort=-status",
    "/commitments/?sort=title",
    "/commitments/?sort=target",
    "/commitments/?sort=-updated",
    "/commitments/?sort=meeting",
    "/commitments/?q=fentanyl",
    "/meetings/",
    "/milestones/",
    "/milestones/?when=overdue",
    "/bodies/",
    "/claims/",
    "/reviews/",
    "/search/?q=fentanyl",
    # A past day and the curves, from the stored history (issue #21, point 4).
    "/?as_of=2025-10-01",
    "/chart.svg",
    "/chart.svg?as_of=2025-10-01",
    "/commitments/?as_of=2025-10-01&status=1",
    "/commitments/?as_of=2025-10-01&overdue=on",
    "/commitments/?as_of=2025-10-01&sort=-status",
    # Every list, paged, searched and filtered (issue #27, point 6).
    "/commitments/?page=2",
    "/commitments/?sort=-target&status=2&theme=drugs",
    "/meetings/?page=2",
    "/meetings/?q=fentanyl",
    "/meetings/?outcome_type=joint_statement&year=2025",
    "/milestones/?status=done",
    "/milestones/?when=30&page=2",
    "/milestones/?q=first",
    "/claims/?page=2",
    "/bodies/?page=2",
    "/calendar/",
    "/search/?q=border",
]

HTMX = {"HX-Request": "true"}


def sequential_scans(sql: str) -> list[str]:
    plan = explained(sql)
    tables = re.findall(r"Seq Scan on (\w+)", plan)
    return [table for table in tables if table not in SMALL]


@pytest.mark.parametrize("path", PAGES)
def test_every_query_of_the_page_reads_an_index(client, editor, records, path):
    """``records`` holds one row of every team-scoped model, so each section has a row."""
    assert_every_query_reads_an_index(client, editor, path)


@pytest.mark.parametrize("path", ["/commitments/?page=2", "/meetings/?page=2", "/milestones/"])
def test_every_query_of_a_list_fragment_reads_an_index(client, editor, records, path):
    """The fragment an htmx request for the next page or a filter gets."""
    assert_every_query_reads_an_index(client, editor, path, headers=HTMX)


@pytest.mark.parametrize(
    "kind", [Meeting, Commitment, ImplementationBody], ids=lambda model: model.__name__
)
def test_every_query_of_a_record_page_reads_an_index(client, editor, records, kind):
    """A record's page: its timeline, its rows (a meeting's commitments, a body's members)."""
    assert_every_query_reads_an_index(client, editor, records[kind].get_absolute_url())


@pytest.mark.parametrize("name", ["meeting", "body", "party"])
def test_every_query_of_a_briefing_reads_an_index(client, editor, records, us, name):
    """A briefing report: a party's reads every team's records through the user's teams."""
    record = {"meeting": records[Meeting], "body": records[ImplementationBody], "party": us}
    path = reverse(f"agreements:{name}_briefing", args=[record[name].pk])
    assert_every_query_reads_an_index(client, editor, path)


def test_a_commitments_review_decisions_are_read_through_its_own_updates(records):
    """Joined plainly, the planner hashed the commitment's updates against every decision of
    every commitment; through its updates' ids, one probe of the index an update."""
    decisions = ReviewEvent.objects.decisions_on(records[Commitment])
    sql, params = decisions.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert re.search(r"Index Cond: \(update_id = ANY", plan), plan


def assert_every_query_reads_an_index(client, user, path: str, headers=None) -> None:
    client.force_login(user)
    with CaptureQueriesContext(connection) as ran:
        assert client.get(path, headers=headers or {}).status_code == 200
    selects = [q["sql"] for q in ran.captured_queries if q["sql"].lstrip().startswith("SELECT")]
    assert selects
    scanned = {sql[:300]: tables for sql in selects if (tables := sequential_scans(sql))}
    assert scanned == {}, scanned


def explained(sql: str) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def list_walk(client, user, params: dict) -> str:
    """The plan of the commitment list's one walk of its ids, for the page ``params`` ask."""
    client.force_login(user)
    with CaptureQueriesContext(connection) as ran:
        assert client.get("/commitments/", params).status_code == 200
    walks = [
        q["sql"]
        for q in ran.captured_queries
        # The ids alone: the shown rows' values are read after, the primary key first.
        if q["sql"].startswith('SELECT "agreements_commitment"."id" AS "pk" FROM')
    ]
    assert len(walks) == 1
    return explained(walks[0])


def test_the_commitment_list_walks_the_index_of_active_commitments_alone(client, editor, records):
    """A deep page walks 10,000 entries of the list's index: the index of the active ones
    (``commitment_team_live_order``) read alone, the archived meetings' ids looked up in a hash
    (``meeting_archived``), neither a commitment's row nor its meeting read for each
    (``CommitmentQuerySet.live``)."""
    plan = list_walk(client, editor, {"page": 2})
    assert "Index Only Scan using commitment_team_live_order" in plan, plan
    assert "on meeting_archived" in plan, plan  # a bitmap scan of a table this small
    assert "agreements_meeting_pkey" not in plan, plan


def test_the_team_curve_reads_its_months_through_the_tallies_keys(client, editor, records):
    """A team's curve sums every month of its history (the index tally's, by status: ~4 rows
    a month; the compliance's of the parties drawn). Each month tally is read through its
    key, which holds the counts (``CountingKey``, as every history tally's): with the table's
    pages all visible, as a vacuumed history's are, from the index alone (an Index Only Scan,
    a third of the time of visiting each row)."""
    client.force_login(editor)
    with CaptureQueriesContext(connection) as ran:
        assert client.get("/chart.svg").status_code == 200
    plans = "\n".join(explained(q["sql"]) for q in ran.captured_queries if "monthtally" in q["sql"])
    read = re.findall(r"Scan(?: using| on) (\w+) on (agreements_\w+monthtally)", plans)
    read += re.findall(r"Bitmap Index Scan on (\w*month\w*)()", plans)
    assert {index for index, _table in read} == {
        "index_month_tally_key",
        "compliance_month_tally_key",
    }, plans
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname LIKE '%%_tally_key'")
        keys = [row[0] for row in cursor.fetchall()]
    assert len(keys) == 8 and all(key.endswith("INCLUDE (n)") for key in keys), keys


def test_a_past_days_figures_read_the_years_months_and_days_through_their_keys(
    client, editor, records
):
    """A past day's figures sum each history's years before its own, its year's months before
    its month and its month's days (``status_reads.up_to``): every tally read through its key,
    which holds the counts, from the index alone."""
    client.force_login(editor)
    with CaptureQueriesContext(connection) as ran:
        assert client.get("/", {"as_of": "2025-10-15"}).status_code == 200
    plans = "\n".join(explained(q["sql"]) for q in ran.captured_queries if "yeartally" in q["sql"])
    read = set(re.findall(r"Scan(?: using| on) (\w+) on agreements_\w+tally\b", plans))
    read |= set(re.findall(r"Bitmap Index Scan on (\w+_tally_key)", plans))  # a tiny table's
    assert read == {
        f"{history}_{period}_tally_key"
        for history in ("status", "compliance")
        for period in ("year", "month", "day")
    }, plans


def test_a_past_day_by_status_walks_the_index_of_active_commitments_alone(client, editor, records):
    """A past day's list of one status then: its walk reads the list's index alone, the span
    that held then looked up for each entry by its status (the span's own column, which
    PostgreSQL has figures for: through COALESCE it guessed 0.5% of the rows, and a third
    page read both tables whole)."""
    plan = list_walk(client, editor, {"as_of": "2025-10-01", "status": 0})
    assert "Index Only Scan using commitment_team_live_order" in plan, plan
    assert "COALESCE" not in plan, plan


def test_a_past_day_sorted_by_status_walks_the_spans_by_team_and_status(client, editor, records):
    """A past day's list sorted by the state then: its walk can read the spans' index by
    team, status and commitment in the list's order (``agreed_by``), each span's days held
    in the index, and stop at a page's rows, where it sorted every commitment the team had
    agreed by then (70 ms at 100,000). A table of a few rows is sorted sooner than walked:
    the plan is asked without sorting, as at scale."""
    for sort in ("status", "-status"):
        client.force_login(editor)
        with CaptureQueriesContext(connection) as ran:
            path = f"/commitments/?as_of=2025-10-01&sort={sort}"
            assert client.get(path).status_code == 200
        walks = [q["sql"] for q in ran.captured_queries if "ORDER BY" in q["sql"]]
        walks = [sql for sql in walks if sql.startswith('SELECT "agreements_commitment"."id"')]
        assert len(walks) == 1, walks
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {walks[0]}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "using status_span_team_status on agreements_statusspan" in plan, plan
        assert "Sort" not in plan and "COALESCE" not in plan, plan
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'status_span_team_status'"
        )
        assert cursor.fetchone()[0].endswith("INCLUDE (starts_on, ends_on)")


def test_a_past_days_own_month_is_read_through_the_day_tallies_keys(client, editor, records):
    """A past day's figures sum its own month's day tallies (700 rows at 100,000): through
    their keys, which hold the counts on PostgreSQL (``CountingKey``), where each row visited
    a table page."""
    client.force_login(editor)
    with CaptureQueriesContext(connection) as ran:
        assert client.get("/?as_of=2025-10-01").status_code == 200
    plans = "\n".join(explained(q["sql"]) for q in ran.captured_queries if "daytally" in q["sql"])
    assert "on agreements_statusdaytally" in plans and "on agreements_compliancedaytally" in plans
    assert "status_day_tally_key" in plans and "compliance_day_tally_key" in plans, plans
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname LIKE '%%day_tally_key'")
        keys = [row[0] for row in cursor.fetchall()]
    assert len(keys) == 2 and all(key.endswith("INCLUDE (n)") for key in keys), keys


def test_a_query_no_index_serves_is_reported(db):
    """The check itself: a search inside the text of every commitment cannot use an index."""
    sql = "SELECT id FROM agreements_commitment WHERE text LIKE '%fentanyl%'"
    assert sequential_scans(sql) == ["agreements_commitment"]


def test_web_connections_start_no_parallel_workers(db):
    """A page's queries read a few index entries: parallel workers would cost more to start
    than they save, and take the cores the other web workers need (settings.DATABASES)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


def test_web_connections_compile_no_query(db):
    """PostgreSQL's JIT starts from a plan's estimated cost: a download of 17,000 rows spent
    2.7 s compiling before its first row. The web's connections never compile
    (settings.DATABASES)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_an_admins_dashboard_reads_every_teams_days_and_months_by_their_dates(
    client, admin_user, records
):
    """A records admin sees every team, so the day and month tallies are read by date alone:
    their keys lead with the team and serve no such read, which scanned the whole table (the
    status days' 128,000 rows for 1,000 at 100,000: 20 ms, three times an editor's page's
    queries). Each is read through its index by date (a ``CoveringIndex``: ``*_every``), which
    holds the columns summed, today and on a past day."""
    plans = []
    for path in ("/", "/?as_of=2025-10-15"):
        client.force_login(admin_user)
        with CaptureQueriesContext(connection) as ran:
            assert client.get(path).status_code == 200
        plans += [explained(q["sql"]) for q in ran.captured_queries if "daytally" in q["sql"]]
    read = "\n".join(plans)
    tallies = r"agreements_(?:status|compliance)(?:day|month)tally"
    assert not re.findall(rf"Seq Scan on {tallies}", read), read
    used = set(re.findall(rf"(?:using|Bitmap Index Scan on) (\w+_every)(?: on {tallies})?", read))
    assert used == {
        f"{history}_{period}_every"
        for history in ("status", "compliance")
        for period in ("day", "month")
    }, read
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname LIKE '%%\\_every'")
        made = [row[0] for row in cursor.fetchall()]
    assert len(made) == 4 and all(index.endswith(", n)") for index in made), made


def ran_on(client, user, path: str) -> list[tuple[str, tuple]]:
    """Each query (its SQL and parameters) that ``user`` reading ``path`` ran, in order."""
    ran = []

    def kept(execute, sql, params, many, context):
        ran.append((sql, params))
        return execute(sql, params, many, context)

    client.force_login(user)
    with connection.execute_wrapper(kept):
        assert client.get(path).status_code == 200
    return ran


def generic_plan(sql: str, params, *, sorts: bool = True) -> str:
    """``sql``'s generic plan (the one a prepared statement keeps), sequential scans off (and
    sorts, unless ``sorts``: a few rows sort sooner than an index is walked)."""
    numbers = itertools.count(1)
    prepared = re.sub("%s", lambda _match: f"${next(numbers)}", sql)
    values = ", ".join(connection.ops.compose_sql("%s", [value]) for value in params)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        if not sorts:
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"PREPARE kept AS {prepared}")
        cursor.execute(f"EXPLAIN EXECUTE kept({values})")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE kept")
    return plan


def test_the_dashboards_milestone_lists_keep_one_plan_that_walks_their_order(
    client, editor, records
):
    """The dashboard's milestone lists (overdue, due within 30 days) run with PostgreSQL's
    generic plan (``made_once.generic_plans``), planned once a connection, not at each request
    (1.4 ms, for a run of 0.2 ms at 100,000). So the plan must hold whatever the days: each
    list walks the open milestones' index in its order (due date, then id) and stops at its
    first rows; with the date alone in that index, the generic plan read and sorted every
    milestone due in the window (10 ms at 100,000)."""
    ran = ran_on(client, editor, "/")
    at = [n for n, (sql, _params) in enumerate(ran) if sql.startswith("SET plan_cache_mode")]
    assert len(at) == 1  # the milestones' block inside the figures' (its own does nothing)
    block = ran[at[0] + 1 : [sql for sql, _params in ran].index("RESET plan_cache_mode")]
    sql, params = next(run for run in block if 'FROM "agreements_milestone"' in run[0])
    plan = generic_plan(sql, params, sorts=False)
    assert "$1" in plan or "$2" in plan, plan  # the generic plan, not one for these days
    assert plan.count("Sort  (") == 1, plan  # the two lists' rows put together: 20 at most
    assert "milestone_open_due on agreements_milestone" in plan, plan


def test_the_open_claims_count_and_page_keep_one_plan_that_walks_each_runs_index(
    client, editor, records
):
    """The claims page as first opened counts and pages its runs (a team's open claims of one
    state) under PostgreSQL's generic plan (``claims._Unfiltered``), planned once a
    connection (its UNION was planned anew at each request: 1.3 ms at 100,000). So the plan
    must hold whatever the teams: each run walks the index (team, verification, id) in the
    list's order and stops at its first rows, the count merging them up to its cap."""
    ran = ran_on(client, editor, "/claims/")
    at = [n for n, (sql, _params) in enumerate(ran) if sql.startswith("SET plan_cache_mode")]
    assert len(at) == 1 and ran[at[0] + 4][0].startswith("RESET plan_cache_mode")
    for name, (sql, params) in zip(("count", "page"), ran[at[0] + 1 : at[0] + 3], strict=True):
        plan = generic_plan(sql, params)
        assert "$1" in plan, plan  # the generic plan, not one for these teams
        runs = plan.count("Index Scan using claim_team_verification on agreements_claim")
        assert runs == 2 and plan.count("on agreements_claim") == 2, (name, plan)
        if name == "count":  # merged in order, so it stops at the cap, sorting nothing
            assert "Merge Append" in plan and "Sort  (" not in plan, plan


def test_a_past_days_dashboard_reads_its_figures_with_generic_plans_that_read_indexes(
    client, editor, records
):
    """A past day's figures are read with PostgreSQL's generic plans (``views.dashboard``),
    in one block: the overdue count, the bodies, the meetings and the changes then were
    planned anew at each request. Their plans must hold whatever the day: each reads the
    large tables through their indexes, the overdue count the spans' index by target date
    (``StatusSpanQuerySet.overdue_on``), never a commitment's row."""
    ran = ran_on(client, editor, "/?as_of=2025-10-01")
    sql = [query for query, _params in ran]
    at = [n for n, query in enumerate(sql) if query.startswith("SET plan_cache_mode")]
    assert len(at) == 1 and sum(query.startswith("RESET plan_cache_mode") for query in sql) == 1
    block = ran[at[0] + 1 : sql.index("RESET plan_cache_mode")]
    read = " ".join(query for query, _params in block)
    for table in ("statusspan", "implementationbody", "meeting", "statuschange", "milestone"):
        assert f'FROM "agreements_{table}"' in read, table
    for query, params in block:
        plan = generic_plan(query, params)
        assert "$1" in plan or not params, plan
        scanned = [t for t in re.findall(r"Seq Scan on (\w+)", plan) if t not in SMALL]
        assert not scanned, plan
        if query.startswith("SELECT COUNT(*)"):  # the overdue count: the spans' index
            # by target date, never a commitment's row. Walked alone (an index-only scan)
            # where the table's pages are all visible, as after the bench's VACUUM; a test's
            # fresh rows may be read through it by a bitmap instead, which is as right.
            assert re.search(
                r"(Index Only Scan using|Bitmap Index Scan on) status_span_team_target", plan
            ), plan
            assert "agreements_commitment" not in plan, plan


def test_todays_dashboard_reads_its_figures_with_generic_plans_that_read_indexes(
    client, editor, admin_user, records
):
    """Today's figures are read with PostgreSQL's generic plans (``views.dashboard``), in
    one block: the overdue count and the stale list were planned anew at each request. Their
    plans must hold whatever the reader and the day: each reads the large tables through
    their indexes."""
    for user in (editor, admin_user):
        ran = ran_on(client, user, "/")
        sql = [query for query, _params in ran]
        at = [n for n, query in enumerate(sql) if query.startswith("SET plan_cache_mode")]
        assert len(at) == 1, sql
        block = ran[at[0] + 1 : sql.index("RESET plan_cache_mode")]
        read = " ".join(query for query, _params in block)
        for table in ("commitment", "implementationbody", "meeting", "statuschange", "milestone"):
            assert f'FROM "agreements_{table}"' in read, table
        for query, params in block:
            if not params:  # an admin's tallies: no values, one plan
                continue
            plan = generic_plan(query, params)
            assert "$1" in plan, plan
            scanned = [t for t in re.findall(r"Seq Scan on (\w+)", plan) if t not in SMALL]
            assert not scanned, plan


def test_generic_plans_inside_generic_plans_are_put_back_by_the_outer_block(db):
    """A block inside another (a list's own, within a page's) neither sets nor puts back the
    setting: the outer block's queries after it still run with their generic plans."""
    with CaptureQueriesContext(connection) as ran, generic_plans(Milestone):
        with generic_plans(Commitment), connection.cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            assert cursor.fetchone()[0] == "force_generic_plan"
        with connection.cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            assert cursor.fetchone()[0] == "force_generic_plan"
    assert [q["sql"] for q in ran.captured_queries if "plan_cache_mode =" in q["sql"]] == [
        "SET plan_cache_mode = force_generic_plan"
    ]
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "auto"


def test_a_query_failing_on_the_generic_plan_raises_its_own_error(db):
    """Inside a transaction, a query failing under ``generic_plans`` raises its own error, and
    the rollback takes the setting back; the RESET a broken transaction would refuse is not
    tried (its error would hide the query's)."""
    with (
        pytest.raises(ProgrammingError, match="no_such_table"),
        transaction.atomic(),
        generic_plans(Milestone),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT 1 FROM no_such_table")
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "auto"


def test_the_review_queue_walks_each_teams_waiting_updates_in_its_order(client, reviewer, records):
    """A reviewer's queue reads each team's waiting updates, a run per state awaiting review,
    along their own index in the queue's order (``progress_update_awaiting``: team, state,
    time, id), and stops at a page: with the statement's generic plan too, which PostgreSQL
    keeps once prepared. Through the commitment's team, that plan walked every team's
    waiting updates in time to find one small team's (200 ms at 100,000 for a team of 4)."""
    assert_every_query_reads_an_index(client, reviewer, "/reviews/")
    ran = ran_on(client, reviewer, "/reviews/")
    walks = [
        (sql, params)
        for sql, params in ran
        if sql.startswith('(SELECT "agreements_progressupdate"."created_at"') and "UNION ALL" in sql
    ]
    assert len(walks) == 1, ran
    sql, params = walks[0]
    plan = generic_plan(sql, params)
    assert "$1" in plan or "$2" in plan, plan  # the generic plan
    assert plan.count("progress_update_awaiting on agreements_progressupdate") == 2, plan
    # Each run read in its order, the runs merged in it: no sort.
    assert "Merge Append" in plan and "Sort  (" not in plan, plan


def test_the_review_queue_counts_each_run_from_its_index_alone(client, reviewer, records):
    """The queue's index carries each update's author and commitment (``CoveringIndex``,
    0019): its count up to the cap reads a run's entries without their rows, which it visited
    one a table page each (a quarter of the count's time at 100,000)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'progress_update_awaiting'"
        )
        (definition,) = cursor.fetchone()
    assert definition.endswith("INCLUDE (author_id, commitment_id)"), definition
    ran = ran_on(client, reviewer, "/reviews/")
    counts = [(sql, params) for sql, params in ran if sql.startswith("SELECT COUNT(*)")]
    assert counts, ran
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {counts[0][0]}", counts[0][1])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using progress_update_awaiting" in plan, plan


def test_the_dashboard_reads_a_reviewers_waiting_updates_along_the_queues_index(
    client, reviewer, records
):
    """A reviewer's dashboard lists the oldest updates waiting for them as their queue reads
    them (``queue_lines``): each team's runs along ``progress_update_awaiting``, merged, with
    the statement's generic plan too. As one list over the commitments' teams, that plan
    walked every team's waiting updates in time to find a small team's (180 to 280 ms at
    100,000 for a reviewer of a team of 4)."""
    ran = ran_on(client, reviewer, "/")
    walks = [
        (sql, params)
        for sql, params in ran
        if sql.startswith('(SELECT "agreements_progressupdate"."commitment_id"')
        and "UNION ALL" in sql
    ]
    assert len(walks) == 1, ran
    sql, params = walks[0]
    plan = generic_plan(sql, params)
    assert "$1" in plan or "$2" in plan, plan  # the generic plan
    assert plan.count("progress_update_awaiting on agreements_progressupdate") == 2, plan
    assert "Merge Append" in plan and "Sort  (" not in plan, plan
