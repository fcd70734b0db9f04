"""The benchmark: every page under load on PostgreSQL, beside the bare floors /healthz and /readyz.

    make bench                  # 100,000 commitments
    SIZE=1000000 make bench     # the large run

PostgreSQL comes from BENCH_DATABASE_URL or DATABASE_URL (a database of its own is made there,
``tracker_bench_<size>``, never the one named), else the local server on 127.0.0.1:5432, else a
cluster of the benchmark's own in var/bench-pg (kept for the next run, stopped at the end). The
dataset is loaded once per size (demo data plus ``synthetic_data --size``) and reused after.
The tracker is served by gunicorn with production settings (DEBUG off, 2 workers on 2 cores),
warmed up, then each page is driven by wrk with 16 connections on loopback, three ways:

- warm: the same address again and again;
- cold: each request a never-sent address (a query parameter of its own, which the views
  ignore), so no cache answers it: what a first view costs;
- mixed: readers going round every page, cold, while ``writes`` writes through the actions at
  5 writes/s (BENCH_WRITES): the readers' p50 and p99, the writes' p99, the writes refused by
  their own rule, failed otherwise, or lost.

Then each download is streamed once to its end: rows/s and the workers' peak memory.

Prints the table, writes it to docs/benchmarks.md with the machine, dataset size and date, says
which runs began while the machine was busy (1-minute load above its cores), and ends with one
line for scripts: ``bench: worst=<cold ratio> page=<path> p99max=<cold ms> errors=<n>
warm_worst=<ratio> mixed_p99=<ms>``.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from . import measure
from .database import PY, ROOT, SESSION, prepare, run, say, server_url
from .report import (
    MODES,
    Measure,
    Page,
    Writes,
    busy_line,
    insert_run,
    mixed_lines,
    percentile,
    summary,
    table,
)

SIZE = int(os.environ.get("SIZE", "100000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
# BENCH_DOWNLOADS=0 measures the pages only (at 1,000,000 the downloads take minutes).
DOWNLOADS = os.environ.get("BENCH_DOWNLOADS", "1") != "0"
MIXED = os.environ.get("BENCH_MIXED", "1") != "0"
WRITES = float(os.environ.get("BENCH_WRITES", "5"))
MIXED_SECONDS = int(os.environ.get("BENCH_MIXED_SECONDS", str(3 * SECONDS)))


def pages(commitment: int, meeting: int) -> list[tuple[str, str]]:
    """(label, path) for every page measured; ``htmx:`` asks a path as an htmx request."""
    return [
        ("liveness", "/healthz"),
        ("readiness", "/readyz"),
        ("dashboard", "/"),
        ("commitments", "/commitments/"),
        ("commitments filtered", "/commitments/?theme=drugs&status=1"),
        ("commitments sorted", "/commitments/?sort=-status"),
        ("commitments deep page", "/commitments/?page=400"),
        ("search", "/search/?q=fentanyl+precursor"),
        ("commitment with the most updates", f"/commitments/commitment-{commitment}/"),
        ("the reader's biggest meeting", f"/meetings/meeting-{meeting}/"),
        ("meetings", "/meetings/"),
        ("bodies", "/bodies/"),
        ("claims", "/claims/"),
        ("reviews", "/reviews/"),
        # The review queue of the demo's reviewer, who reviews the busiest team (#27).
        ("reviews, as a reviewer", "reviewer:/reviews/"),
        ("htmx list fragment", "htmx:/commitments/?theme=migration&page=2"),
        # Time (#21): a past day and the curves, read from the stored history.
        ("dashboard, a past day", "/?as_of=2024-06-30"),
        ("dashboard chart", "/chart.svg"),
        ("commitments, a past day", "/commitments/?as_of=2024-06-30&status=2"),
        ("meeting chart", f"/meetings/meeting-{meeting}/chart.svg"),
        # The records admin's changelists (#27, point 7), signed in as the demo's admin.
        ("admin: commitments", "admin:/admin/agreements/commitment/"),
        ("admin: commitments search", "admin:/admin/agreements/commitment/?q=border"),
        ("admin: commitments by status", "admin:/admin/agreements/commitment/?status__exact=1"),
        # The deepest page the admin numbers (``KeysFirstPaginator.WALKED`` rows in, 50 a page),
        # at every size: a number past it is answered with how to reach those rows instead.
        ("admin: commitments page 1,000", "admin:/admin/agreements/commitment/?p=1000"),
        ("admin: milestones", "admin:/admin/agreements/milestone/"),
        ("admin: claims", "admin:/admin/agreements/claim/"),
        ("admin: statements", "admin:/admin/agreements/statement/"),
    ]


# Downloads: each fetched once, whole, after the pages (their time grows with the data, by
# nature: they are measured for rows/s and the workers' memory, not requests/s).
EXPORTS = [
    ("commitments CSV", "/commitments/?format=csv"),
    ("milestones CSV", "/milestones/?format=csv"),
    ("open data JSON", "/open-data.json"),
]


def machine() -> str:
    cpus = Path("/proc/cpuinfo").read_text().splitlines()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpus if line.startswith("model name")),
        platform.machine(),
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, {platform.system()}"


# Who reads a page listed with one of these prefixes; the rest are read by the demo's editor.
READERS = {"admin:": "admin", "reviewer:": "reviewer"}


def reader_of(asked: str) -> tuple[str, str]:
    """Who reads a listed page ("editor", or the reader its prefix names), and its path."""
    for prefix, reader in READERS.items():
        if asked.startswith(prefix):
            return reader, asked.removeprefix(prefix)
    return "editor", asked


def page_runs(listed: list[tuple[str, str]], cookies: dict[str, str]) -> list[Page]:
    """``cookies``: the session of each reader ("editor", and those of ``READERS``)."""
    say(f"{'page':34} " + " ".join(f"{m + ' req/s':>11} {'p99 ms':>8}" for m in MODES[:2]))
    results = []
    for label, asked in listed:
        reader, path = reader_of(asked)
        page = Page(label, path.removeprefix("htmx:"))
        headers = {"Cookie": f"sessionid={cookies[reader]}"}
        extra = {"HX-Request": "true"} if path.startswith("htmx:") else {}
        measure.drain()
        for _ in range(4):  # warm up both workers' connections
            measure.get(page.path, headers | extra)
        page.measures["warm"] = measure.wrk(path, headers, SECONDS)
        measure.drain()
        page.measures["cold"] = measure.wrk(path, headers, SECONDS, cold=True)
        results.append(page)
        say(
            f"{label:34} "
            + " ".join(
                f"{page.measures[m].rps:11.0f} {page.measures[m].p99:8.1f}" for m in MODES[:2]
            )
        )
    return results


def mixed_run(listed: list[tuple[str, str]], cookie: str, env: dict) -> tuple[Measure, Writes]:
    """Readers round every page (cold) while the writers write through the actions."""
    # The editor's pages: the admin's are read by records admins, the reviewer's queue by a
    # few reviewers, not by the many readers.
    paths = [
        path
        for label, path in listed
        if label not in ("liveness", "readiness") and reader_of(path)[0] == "editor"
    ]
    measure.drain()
    writer = subprocess.Popen(
        [PY, "-m", "scripts.bench.writes", str(MIXED_SECONDS), str(WRITES)],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
    )
    readers = measure.wrk(
        "/", {"Cookie": f"sessionid={cookie}"}, MIXED_SECONDS, cold=True, paths=paths
    )
    out, _ = writer.communicate(timeout=MIXED_SECONDS + 600)
    if writer.returncode:
        raise SystemExit(f"the writers stopped with exit code {writer.returncode}")
    done = json.loads(out.strip().splitlines()[-1])
    writes = Writes(
        made=done["made"],
        refused=done["refused"],
        failed=done["failed"],
        lost=done["lost"],
        p99=percentile(done["ms"], 0.99),
        per_second=done["per_second"],
    )
    for line in mixed_lines(readers, writes, MIXED_SECONDS):
        say(line)
    return readers, writes


def main() -> int:
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    server, stop_cluster = server_url()
    # Plain HTTP on loopback: HTTPS=0 (production serves HTTPS behind its proxy). The session
    # is made here for the demo's editor (and admin and reviewer), spared the second sign-in step.
    env = dict(
        os.environ,
        SECRET_KEY="bench-only",
        DEBUG="0",
        HTTPS="0",
        ALLOWED_HOSTS="127.0.0.1",
        TWO_FACTOR_EXEMPT="staff,admin,reviewer",
    )
    gunicorn = None
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{measure.PORT}/healthz", timeout=1)
    except OSError:
        pass  # nothing answers there: the port is free for this run's server
    else:
        raise SystemExit(f"Port {measure.PORT} already answers (another benchmark running?)")
    mixed = writes = None
    try:
        loaded = prepare(server, env, SIZE)
        run(PY, "manage.py", "collectstatic", "--no-input", "-v0", env=env)
        cookie, admin_cookie, reviewer_cookie, commitment, updates, meeting, held = run(
            PY, "manage.py", "shell", "-v0", "-c", SESSION, env=env, capture=True
        ).split()
        say(f"Longest pages: commitment {commitment} ({updates} updates), meeting {meeting} "
            f"({held} commitments)")  # fmt: skip
        gunicorn = measure.gunicorn(env)
        listed = pages(int(commitment), int(meeting))
        cookies = {"editor": cookie, "admin": admin_cookie, "reviewer": reviewer_cookie}
        results = page_runs(listed, cookies)
        if MIXED:
            mixed, writes = mixed_run(listed, cookie, env)
        rss = measure.worker_rss_mb(gunicorn.pid)
        downloads = []
        for label, path in EXPORTS if DOWNLOADS else []:
            measure.drain()
            done = measure.download(path, cookie, gunicorn.pid) | {"label": label, "path": path}
            downloads.append(done)
            say(
                f"{label:28} {done['rows']:,} rows, {done['mb']:.1f} MB in {done['seconds']:.1f}"
                f" s: {done['rows_per_s']:,.0f} rows/s, first bytes after "
                f"{done['first_ms']:.0f} ms; largest worker's peak {done['rss']:.0f} MB"
            )
    finally:
        if gunicorn:
            gunicorn.terminate()
            gunicorn.wait()
        stop_cluster()
    floor = results[0]
    write_report(results, floor, mixed, writes, rss, downloads, loaded, (updates, held))
    say(busy_line(results, mixed, os.cpu_count() or 1))
    say(f"largest worker: {rss:.0f} MB resident")
    say(summary([p for p in results if p.label != "readiness"], floor, mixed, writes))
    return 0


def write_report(results, floor, mixed, writes, rss, downloads, loaded, longest) -> None:
    today = datetime.date.today().isoformat()
    cores = os.cpu_count() or 1
    lines = [
        f"## {SIZE:,} commitments, {today}",
        "",
        f"Machine: {machine()}. PostgreSQL, gunicorn with 2 sync workers, DEBUG off; wrk with "
        f"{measure.CONNECTIONS} connections for {SECONDS} s per page and mode on loopback, "
        f"signed in as the demo's editor of North America. Largest worker after the run: "
        f"{rss:.0f} MB resident. {busy_line(results, mixed, cores)}",
        "",
        f"Dataset (`synthetic_data --size {SIZE}` after the demo): {loaded or 'loaded earlier.'} "
        f"The commitment with the most updates has {longest[0]}; the reader's biggest meeting "
        f"{longest[1]} commitments.",
        "",
        "Warm: the same address each time. Cold: each request a never-sent address. "
        "÷ /healthz: requests/s over /healthz's in the same mode.",
        "",
        *table(results, floor),
        "",
        *mixed_lines(mixed, writes, MIXED_SECONDS),
        "",
        "Downloads, each streamed once to its end after the pages (rows read a chunk at a time "
        "through a server-side cursor, no model instance per row); the workers' peak memory:"
        if downloads
        else "Downloads not measured in this run (BENCH_DOWNLOADS=0).",
    ]
    if downloads:
        lines += [
            "",
            "| download | path | rows | size MB | seconds | rows/s | first bytes ms | "
            "largest worker's peak MB |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
    for d in downloads:
        lines.append(
            f"| {d['label']} | `{d['path']}` | {d['rows']:,} | {d['mb']:.1f} | "
            f"{d['seconds']:.1f} | {d['rows_per_s']:,.0f} | {d['first_ms']:.0f} | {d['rss']:.0f} |"
        )
    report = ROOT / "docs" / "benchmarks.md"
    text = report.read_text() if report.exists() else "# Benchmarks\n"
    report.parent.mkdir(exist_ok=True)
    report.write_text(insert_run(text, "\n".join(lines) + "\n"))


if __name__ == "__main__":
    sys.exit(main())
