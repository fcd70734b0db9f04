"""The benchmark's own logic (scripts/bench/report.py): reading wrk, the busy rule, the table,
the last line, where a run goes in docs/benchmarks.md, counting a download's rows."""

from __future__ import annotations

import re

import pytest

from scripts.bench.report import (
    Measure,
    Page,
    Rows,
    Writes,
    busy,
    busy_line,
    insert_run,
    milliseconds,
    parse_wrk,
    percentile,
    summary,
    table,
)

WRK = """Running 10s test @ http://127.0.0.1:8097/commitments/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    38.12ms    5.21ms  95.30ms   80.00%
    Req/Sec   210.11     20.02   260.00     70.00%
  Latency Distribution
     50%   36.90ms
     75%   40.11ms
     90%   44.02ms
     99%    1.02s
  4203 requests in 10.01s, 98.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:    419.88
Transfer/sec:      9.80MB
"""


@pytest.mark.parametrize(
    "text, ms", [("812.5us", 0.8125), ("36.90ms", 36.9), ("1.02s", 1020.0), ("1.50m", 90_000.0)]
)
def test_wrk_durations_are_read_in_milliseconds(text, ms):
    assert milliseconds(text) == pytest.approx(ms)


def test_wrks_report_gives_rate_percentiles_and_every_kind_of_error():
    measure = parse_wrk(WRK, seconds=10)
    assert (measure.rps, measure.p50, measure.p99) == (419.88, 36.9, 1020.0)
    assert measure.errors == 7 + 2 + 3


def test_a_run_where_nothing_finished_is_an_error_at_its_whole_length():
    measure = parse_wrk("Running 10s test\n  0 requests in 10.00s\nRequests/sec: 0.00\n", 10)
    assert (measure.rps, measure.p99, measure.errors) == (0.0, 10_000.0, 1)


@pytest.mark.parametrize(
    "load, cores, expected", [(2.5, 2, True), (2.0, 2, False), (0.3, 2, False)]
)
def test_the_machine_is_busy_when_its_load_is_above_its_cores(load, cores, expected):
    assert busy(load, cores) is expected
    assert Measure(1, 1, 1, 0, load=load, cores=cores).busy is expected


def page(label, path, warm, cold, errors=0, load=0.0):
    return Page(
        label,
        path,
        {
            "warm": Measure(rps=warm, p50=1.0, p99=warm and 1000 / warm, errors=0, cores=2),
            "cold": Measure(rps=cold, p50=2.0, p99=1000 / cold, errors=errors, load=load, cores=2),
        },
    )


def test_the_last_line_names_the_worst_cold_page_and_counts_every_error():
    floor = page("liveness", "/healthz", 4000, 2000)
    pages = [
        floor,
        page("dashboard", "/", 200, 40, errors=1),  # cold 0.020, p99 25 ms
        page("meetings", "/meetings/", 100, 80),  # warm 0.025
    ]
    mixed = Measure(rps=50, p50=30.0, p99=180.4, errors=2)
    writes = Writes(made=150, refused=4, failed=1, lost=1, p99=40.0, per_second=5.0)
    line = summary(pages, floor, mixed, writes)
    assert line == (
        "bench: worst=0.020 page=/ p99max=25 errors=5 warm_worst=0.025 mixed_p99=180"
    )  # errors: 1 cold + 2 mixed readers + 1 failed + 1 lost write; refusals are the rule's
    assert re.fullmatch(
        r"bench: worst=[\d.]+ page=\S+ p99max=\d+ errors=\d+ warm_worst=[\d.]+ mixed_p99=\d+",
        line,
    )


def test_the_table_has_a_column_group_per_mode_and_marks_busy_runs():
    floor = page("liveness", "/healthz", 4000, 2000)
    rows = table([floor, page("dashboard", "/", 200, 40, load=3.1)], floor)
    assert rows[0].count("warm") == 4 and rows[0].count("cold") == 4
    dashboard = rows[-1].split(" | ")
    assert dashboard[2:6] == ["200", "1.0 / 5.0", "0", "0.050"]
    assert dashboard[6] == "40 ✱"  # its cold run began on a busy machine
    line = busy_line([floor, page("dashboard", "/", 200, 40, load=3.1)], None, cores=2)
    assert line.startswith("✱ The machine was busy as 1 of 4 runs began")


def test_a_quiet_machine_is_said_to_be_so():
    assert "not busy" in busy_line([page("liveness", "/healthz", 4000, 2000)], None, cores=2)


def test_the_99th_percentile_is_the_nearest_rank():
    assert percentile(list(range(1, 101)), 0.99) == 99
    assert percentile([5.0], 0.99) == 5.0
    assert percentile([], 0.99) == 0.0


def test_a_new_run_goes_above_the_newest_and_below_the_description():
    text = (
        "# Benchmarks\n\n## The dataset\n\nTails.\n\n## 100,000 commitments, 2026-11-30\n\nOld.\n"
    )
    out = insert_run(text, "## 100,000 commitments, 2026-12-06\n\nNew.\n")
    assert out.index("## The dataset") < out.index("New.") < out.index("Old.")
    assert out.count("## 100,000 commitments") == 2
    first = insert_run("# Benchmarks\n", "## 1,000 commitments, 2026-12-06\n\nNew.\n")
    assert first == "# Benchmarks\n\n## 1,000 commitments, 2026-12-06\n\nNew.\n"


def feed(path: str, text: bytes, cut: int) -> int:
    rows = Rows(path)
    for at in range(0, len(text), cut):
        rows.feed(text[at : at + cut])
    return rows.rows()


@pytest.mark.parametrize("cut", [1, 3, 7, 64, 10_000])
def test_a_downloads_rows_are_counted_wherever_the_stream_is_cut(cut):
    csv = b"\xef\xbb\xbfid,title\r\n1,a\r\n2,b\r\n3,c\r\n"
    assert feed("/commitments/?format=csv", csv, cut) == 3
    document = (
        b'{"meta": {}, "persons": [{"id": "person-1"}, {"id": "person-2"}], "commitments": '
        b'[{"id": "commitment-1", "progress_updates": [{"id": "update-4"}]}]}\n'
    )
    assert feed("/open-data.json", document, cut) == 3


def test_every_answer_but_a_200_counts_as_an_error_when_the_script_counted_them():
    """pages.lua counts redirects too (a lost session answers with the sign-in page's 302,
    which wrk alone does not count)."""
    counted = WRK.replace("  Non-2xx or 3xx responses: 7\n", "") + "Non-200 responses: 40\n"
    assert parse_wrk(counted, seconds=10).errors == 40 + 2 + 3


def test_each_page_is_read_by_whom_its_prefix_names():
    """``admin:`` pages are read as the demo's admin, ``reviewer:`` ones as its reviewer (the
    review queue of the busiest team), the rest as its editor: each has a session made."""
    from scripts.bench.__main__ import READERS, pages, reader_of
    from scripts.bench.database import SESSION

    assert reader_of("reviewer:/reviews/") == ("reviewer", "/reviews/")
    assert reader_of("admin:/admin/agreements/claim/") == ("admin", "/admin/agreements/claim/")
    assert reader_of("htmx:/commitments/?page=2") == ("editor", "htmx:/commitments/?page=2")
    listed = dict(pages(1, 2))
    assert listed["reviews, as a reviewer"] == "reviewer:/reviews/"
    assert {reader_of(path)[0] for path in listed.values()} == {"editor", *READERS.values()}
    assert 'signed_in("reviewer")' in SESSION
