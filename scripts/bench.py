"""The benchmark: every page under load on PostgreSQL, beside the bare floors /healthz and /readyz.

    make bench                  # 100,000 commitments
    SIZE=1000000 make bench     # the large run

PostgreSQL comes from BENCH_DATABASE_URL or DATABASE_URL (a database of its own is made there,
``tracker_bench_<size>``, never the one named), else the local server on 127.0.0.1:5432, else a
cluster of the benchmark's own in var/bench-pg (kept for the next run, stopped at the end). The
dataset is loaded once per size (demo data plus ``synthetic_data --size``) and reused after.
The tracker is served by gunicorn with production settings (DEBUG off, 2 workers on 2 cores),
warmed up, then each page is driven by wrk with 16 connections on loopback.

Prints a table (requests/s, p50, p99, errors, ratio to /healthz), writes it to
docs/benchmarks.md with the machine, dataset size and date, and ends with one line for scripts:
``bench: worst=<lowest ratio to /healthz> page=<that page> p99max=<ms> errors=<n>``.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
SIZE = int(os.environ.get("SIZE", "100000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
# BENCH_DOWNLOADS=0 measures the pages only (at 1,000,000 the downloads take several minutes).
DOWNLOADS = os.environ.get("BENCH_DOWNLOADS", "1") != "0"
PORT = 8097
CONNECTIONS = 16
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
OWN_PG_PORT = 15433
# Bumped when synthetic_data changes what it writes or the migrations start again, so the next
# run reloads the dataset.
DATASET = "4"


def say(text: str) -> None:
    print(text, flush=True)


def run(*args: str, env: dict | None = None, capture: bool = False) -> str:
    done = subprocess.run(
        args, env=env, cwd=ROOT, check=True, text=True, stdout=subprocess.PIPE if capture else None
    )
    return done.stdout or ""


def answers(url: str) -> bool:
    return (
        shutil.which("pg_isready") is not None
        and subprocess.run(["pg_isready", "-q", "-d", url], check=False).returncode == 0
    )


def own_cluster() -> tuple[str, callable]:
    """A cluster of the benchmark's own, in var/bench-pg (initdb refuses root: run as postgres)."""
    bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not bindirs:
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True)
        bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    bindir = bindirs[-1]
    data = ROOT / "var" / "bench-pg"
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if as_pg:
            shutil.chown(data, "postgres")
        run(*as_pg, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    run(
        *as_pg,
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-w",
        "-l",
        str(data / "log"),
        "-o",
        f"-p {OWN_PG_PORT} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c shared_buffers=512MB",
        "start",
    )

    def stop() -> None:
        run(*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")

    return f"postgresql://postgres@127.0.0.1:{OWN_PG_PORT}/postgres", stop


def server_url() -> tuple[str, callable]:
    for name in ("BENCH_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgres://", "postgresql://")):
            return url, lambda: None
    if answers(LOCAL_PG):
        return LOCAL_PG, lambda: None
    say(f"No PostgreSQL answers: starting the benchmark's own cluster on port {OWN_PG_PORT}")
    return own_cluster()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def psql(url: str, sql: str) -> str:
    return run("psql", "-qtAX", "-d", url, "-c", sql, capture=True).strip()


def prepare(server: str, env: dict) -> str:
    """The dataset's database, loaded unless a finished load of this size is there already.
    Returns what ``synthetic_data`` said when it loaded it (rows and rows per second), kept
    with the dataset for the runs that reuse it."""
    name = f"tracker_bench_{SIZE}"
    url = with_database(server, name)
    exists = psql(server, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"
    loaded = (
        exists
        and psql(url, "SELECT obj_description('agreements_commitment'::regclass)")
        == f"bench dataset {SIZE} v{DATASET}"
    )
    env["DATABASE_URL"] = url
    if loaded:
        say(f"Reusing the dataset in {name}")
        run(PY, "manage.py", "migrate", "-v0", env=env)
        return psql(url, "SELECT obj_description('agreements_meeting'::regclass)") or ""
    if exists:
        psql(server, f"DROP DATABASE {name}")
    psql(server, f"CREATE DATABASE {name}")
    say(f"Loading {SIZE:,} commitments into {name}")
    run(PY, "manage.py", "migrate", "-v0", env=env)
    run(PY, "manage.py", "load_demo", env=env, capture=True)
    created = ""
    with subprocess.Popen(  # its progress shown as it goes; its last line kept
        [PY, "manage.py", "synthetic_data", "--size", str(SIZE)],
        env=env,
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
    ) as load:
        for line in load.stdout:
            say(line.rstrip())
            created = line.strip() or created
    if load.returncode:
        raise subprocess.CalledProcessError(load.returncode, load.args)
    loaded = f"{created} Loaded on {datetime.date.today().isoformat()}."
    psql(url, "VACUUM ANALYZE")
    psql(url, f"COMMENT ON TABLE agreements_meeting IS '{loaded}'")  # digits and words only
    psql(url, f"COMMENT ON TABLE agreements_commitment IS 'bench dataset {SIZE} v{DATASET}'")
    return loaded


SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from agreements import models as m
from agreements.synthetic import LONG_TIMELINE
user = get_user_model().objects.get(username="staff")
s = SessionStore()
s[SESSION_KEY] = str(user.pk)
s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
s[HASH_SESSION_KEY] = user.get_session_auth_hash()
s.create()
long = m.Commitment.objects.get(title=LONG_TIMELINE, meeting__team__slug="north-america")
meeting = m.Meeting.objects.visible_to(user).active().order_by("-start_date", "-pk").first()
print(s.session_key, long.pk, meeting.pk)
"""


def pages(commitment: int, meeting: int) -> list[tuple[str, str, dict]]:
    """(label, path, extra headers) for every page measured."""
    return [
        ("liveness", "/healthz", {}),
        ("readiness", "/readyz", {}),
        ("dashboard", "/", {}),
        ("commitments", "/commitments/", {}),
        ("commitments filtered", "/commitments/?theme=drugs&status=1", {}),
        ("commitments sorted", "/commitments/?sort=-status", {}),
        ("commitments deep page", "/commitments/?page=400", {}),
        ("search", "/search/?q=fentanyl+precursor", {}),
        ("commitment, long timeline", f"/commitments/commitment-{commitment}/", {}),
        ("meeting", f"/meetings/meeting-{meeting}/", {}),
        ("meetings", "/meetings/", {}),
        ("bodies", "/bodies/", {}),
        ("claims", "/claims/", {}),
        ("reviews", "/reviews/", {}),
        ("htmx list fragment", "/commitments/?theme=migration&page=2", {"HX-Request": "true"}),
        # Time (#21): a past day and the curves, read from the stored history.
        ("dashboard, a past day", "/?as_of=2024-06-30", {}),
        ("dashboard chart", "/chart.svg", {}),
        ("commitments, a past day", "/commitments/?as_of=2024-06-30&status=2", {}),
        ("meeting chart", f"/meetings/meeting-{meeting}/chart.svg", {}),
    ]


# Downloads: each fetched once, whole, after the pages (their time grows with the data, by
# nature: they are measured for streaming, time and the workers' memory, not requests/s).
EXPORTS = [
    ("commitments CSV", "/commitments/?format=csv"),
    ("milestones CSV", "/milestones/?format=csv"),
    ("open data JSON", "/open-data.json"),
]


def download(path: str, cookie: str, master: int) -> dict:
    """Stream one export to its end, noting its size, time, and the largest worker after."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}", headers={"Cookie": f"sessionid={cookie}"}
    )
    started, size, first = time.perf_counter(), 0, None
    with urllib.request.urlopen(request, timeout=1800) as response:
        while chunk := response.read(1 << 16):
            first = first or time.perf_counter() - started
            size += len(chunk)
    return {
        "seconds": time.perf_counter() - started,
        "first_ms": (first or 0) * 1000,
        "mb": size / 2**20,
        "rss": worker_rss_mb(master),
    }


def milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def wrk(path: str, headers: dict) -> dict:
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "--timeout", "30s"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = run(*args, f"http://127.0.0.1:{PORT}{path}", capture=True)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if not latency:  # no request finished in time
        return {"rps": 0.0, "p50": SECONDS * 1000.0, "p99": SECONDS * 1000.0, "errors": 1}
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": milliseconds(latency["50"]),
        "p99": milliseconds(latency["99"]),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket.groups()) if socket else 0),
    }


def drain() -> None:
    """Wait until the requests the last page left queued are served: /healthz answers at once."""
    for _ in range(600):
        started = time.perf_counter()
        urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=120).read()
        if time.perf_counter() - started < 0.05:
            return
        time.sleep(0.5)


def worker_rss_mb(master: int) -> float:
    out = run("ps", "-o", "rss=", "--ppid", str(master), capture=True)
    return max((int(n) for n in out.split()), default=0) / 1024


def machine() -> str:
    cpus = Path("/proc/cpuinfo").read_text().splitlines()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpus if line.startswith("model name")),
        platform.machine(),
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, {platform.system()}"


def main() -> int:
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    server, stop_cluster = server_url()
    # Plain HTTP on loopback: HTTPS=0 (production serves HTTPS behind its proxy). The session
    # is made here for the demo's editor, who is spared the second sign-in step.
    env = dict(
        os.environ,
        SECRET_KEY="bench-only",
        DEBUG="0",
        HTTPS="0",
        ALLOWED_HOSTS="127.0.0.1",
        TWO_FACTOR_EXEMPT="staff",
    )
    gunicorn = None
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
    except OSError:
        pass  # nothing answers there: the port is free for this run's server
    else:
        raise SystemExit(f"Port {PORT} already answers (another benchmark still running?)")
    try:
        loaded = prepare(server, env)
        run(PY, "manage.py", "collectstatic", "--no-input", "-v0", env=env)
        cookie, commitment, meeting = run(
            PY, "manage.py", "shell", "-v0", "-c", SESSION, env=env, capture=True
        ).split()
        # Production's configuration (tracker/gunicorn.conf.py): its timeout lets a download
        # stream for minutes. Two workers on two cores, no access log and no worker recycling,
        # which would be measured with the pages.
        gunicorn = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "tracker/gunicorn.conf.py"],
            cwd=ROOT,
            env=env
            | {
                "BIND": f"127.0.0.1:{PORT}",
                "WEB_CONCURRENCY": "2",
                "GUNICORN_LOG_LEVEL": "warning",
                "GUNICORN_ACCESS_LOG": "0",
                "GUNICORN_MAX_REQUESTS": "0",
            },
        )
        for _ in range(50):
            if gunicorn.poll() is not None:  # it could not start (the port taken by another run?)
                raise SystemExit(f"gunicorn stopped at start, exit code {gunicorn.returncode}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        results = []
        say(f"{'page':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'÷healthz':>9}")
        for label, path, headers in pages(int(commitment), int(meeting)):
            headers = {"Cookie": f"sessionid={cookie}", **headers}
            request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers=headers)
            drain()
            for _ in range(4):  # warm up both workers' connections
                urllib.request.urlopen(request, timeout=60).read()
            result = wrk(path, headers) | {"label": label, "path": path}
            results.append(result)
            floor = results[0]["rps"]
            result["ratio"] = result["rps"] / floor
            say(
                f"{label:28} {result['rps']:8.0f} {result['p50']:8.1f} {result['p99']:8.1f} "
                f"{result['errors']:7d} {result['ratio']:9.3f}"
            )
        rss = worker_rss_mb(gunicorn.pid)
        downloads = []
        for label, path in EXPORTS if DOWNLOADS else []:
            drain()
            done = download(path, cookie, gunicorn.pid) | {"label": label, "path": path}
            downloads.append(done)
            say(
                f"{label:28} {done['mb']:8.1f} MB in {done['seconds']:.1f} s, first bytes "
                f"after {done['first_ms']:.0f} ms; largest worker {done['rss']:.0f} MB"
            )
    finally:
        if gunicorn:
            gunicorn.terminate()
            gunicorn.wait()
        stop_cluster()
    write_report(results, rss, downloads, loaded)
    pages_only = [r for r in results if r["label"] not in ("liveness", "readiness")]
    worst = min(pages_only, key=lambda r: r["ratio"])
    say(f"largest worker: {rss:.0f} MB resident")
    say(
        f"bench: worst={worst['ratio']:.3f} page={worst['path']} "
        f"p99max={max(r['p99'] for r in results):.0f} "
        f"errors={sum(r['errors'] for r in results)}"
    )
    return 0


def write_report(results: list[dict], rss: float, downloads: list[dict], loaded: str) -> None:
    today = datetime.date.today().isoformat()
    lines = [
        f"## {SIZE:,} commitments, {today}",
        "",
        f"Machine: {machine()}. PostgreSQL, gunicorn with 2 sync workers, DEBUG off; wrk with "
        f"{CONNECTIONS} connections for {SECONDS} s per page on loopback, signed in as the demo's "
        f"editor of North America. Largest worker after the run: {rss:.0f} MB resident.",
        "",
        f"Dataset (`synthetic_data --size {SIZE}` after the demo): {loaded or 'loaded earlier.'}",
        "",
        "| page | path | requests/s | p50 ms | p99 ms | errors | ÷ /healthz |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['label']} | `{r['path']}` | {r['rps']:.0f} | {r['p50']:.1f} | "
            f"{r['p99']:.1f} | {r['errors']} | {r['ratio']:.3f} |"
        )
    lines += [
        "",
        "Downloads, each streamed once to its end after the pages (the workers' memory stays "
        "flat: rows are read a chunk at a time):"
        if downloads
        else "Downloads not measured in this run (BENCH_DOWNLOADS=0).",
    ]
    if downloads:
        lines += [
            "",
            "| download | path | size MB | seconds | first bytes ms | largest worker MB |",
            "| --- | --- | ---: | ---: | ---: | ---: |",
        ]
    for d in downloads:
        lines.append(
            f"| {d['label']} | `{d['path']}` | {d['mb']:.1f} | {d['seconds']:.1f} | "
            f"{d['first_ms']:.0f} | {d['rss']:.0f} |"
        )
    report = ROOT / "docs" / "benchmarks.md"
    head = "# Benchmarks\n\nWritten by `make bench` (scripts/bench.py); newest run first.\n\n"
    old = report.read_text().split("\n## ", 1) if report.exists() else []
    earlier = "\n## " + old[1] if len(old) == 2 else ""
    report.parent.mkdir(exist_ok=True)
    report.write_text(head + "\n".join(lines) + "\n" + earlier)


if __name__ == "__main__":
    sys.exit(main())
