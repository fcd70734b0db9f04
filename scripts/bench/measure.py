"""The measures: wrk warm, cold and mixed on loopback, the downloads, the workers' memory."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import urllib.request
from pathlib import Path

from .database import ROOT, run
from .report import Measure, Rows, parse_wrk

PORT = int(os.environ.get("BENCH_PORT", "8097"))  # another free port for a second run
CONNECTIONS = 16
SCRIPT = Path(__file__).with_name("pages.lua")


def load_now() -> float:
    """The machine's 1-minute load average."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def wrk(path: str, headers: dict, seconds: int, cold: bool = False, paths=()) -> Measure:
    """``path`` driven by wrk with ``CONNECTIONS`` connections for ``seconds`` (``pages.lua``):
    the same address each time (warm), or each request a never-sent one (cold), going round
    ``paths`` when given (the mixed run's readers). ``htmx:`` before a path asks it as htmx."""
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    args += ["-s", str(SCRIPT), f"http://127.0.0.1:{PORT}{path.removeprefix('htmx:')}"]
    args += ["--", secrets.token_hex(4) if cold else "warm", *(paths or [path])]
    load = load_now()
    out = run(*args, capture=True)
    measure = parse_wrk(out, seconds)
    measure.load, measure.cores = load, os.cpu_count() or 1
    return measure


def get(path: str, headers: dict, timeout: float = 60) -> int:
    """One request, to warm the workers' connections; its status."""
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
        return response.status


def drain() -> None:
    """Wait until the requests the last page left queued are served: /healthz answers at once."""
    for _ in range(600):
        started = time.perf_counter()
        get("/healthz", {}, timeout=120)
        if time.perf_counter() - started < 0.05:
            return
        time.sleep(0.5)


def workers(master: int) -> list[int]:
    out = run("ps", "-o", "pid=", "--ppid", str(master), capture=True)
    return [int(n) for n in out.split()]


def worker_rss_mb(master: int, peak: bool = False) -> float:
    """The largest worker's resident memory now, or at its peak since it started (VmHWM)."""
    key = "VmHWM:" if peak else "VmRSS:"
    sizes = []
    for pid in workers(master):
        try:
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        sizes += [int(line.split()[1]) for line in status if line.startswith(key)]
    return max(sizes, default=0) / 1024


def download(path: str, cookie: str, master: int) -> dict:
    """Stream one export to its end: its size, rows, time, rows per second, and the largest
    worker's peak memory after it."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}", headers={"Cookie": f"sessionid={cookie}"}
    )
    rows = Rows(path)
    started, size, first = time.perf_counter(), 0, None
    with urllib.request.urlopen(request, timeout=1800) as response:
        while chunk := response.read(1 << 16):
            first = first or time.perf_counter() - started
            size += len(chunk)
            rows.feed(chunk)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "first_ms": (first or 0) * 1000,
        "mb": size / 2**20,
        "rows": rows.rows(),
        "rows_per_s": rows.rows() / seconds if seconds else 0.0,
        "rss": worker_rss_mb(master, peak=True),
    }


def gunicorn(env: dict) -> subprocess.Popen:
    """Production's configuration (tracker/gunicorn.conf.py): its timeout lets a download
    stream for minutes. Two workers on two cores, no access log and no worker recycling, which
    would be measured with the pages."""
    server = subprocess.Popen(
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
        if server.poll() is not None:  # it could not start (the port taken by another run?)
            raise SystemExit(f"gunicorn stopped at start, exit code {server.returncode}")
        try:
            get("/healthz", {}, timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    return server
