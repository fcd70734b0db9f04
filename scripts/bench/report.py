"""What the benchmark makes of its measures: pure functions, no process, no network
(tests/test_bench.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MODES = ("warm", "cold", "mixed")


@dataclass
class Measure:
    """One wrk run: requests/s, latency percentiles, errors, and the machine's 1-minute load
    average as the run began."""

    rps: float
    p50: float
    p99: float
    errors: int
    load: float = 0.0
    cores: int = 1

    @property
    def busy(self) -> bool:
        return busy(self.load, self.cores)


@dataclass
class Page:
    label: str
    path: str
    measures: dict[str, Measure] = field(default_factory=dict)  # by mode


@dataclass
class Writes:
    """The mixed run's writes: how many were made, refused by their own rule (a stale version,
    an update no longer awaiting review), failed otherwise, and lost (answered as done but not
    in the database after), with the 99th percentile of their time."""

    made: int
    refused: int
    failed: int
    lost: int
    p99: float
    per_second: float


def busy(load: float, cores: int) -> bool:
    """The machine was busy: its 1-minute load average above its number of cores (more
    runnable processes than cores, so the measure shares them with others)."""
    return load > cores


def milliseconds(text: str) -> float:
    """A wrk duration (``812.34us``, ``12.5ms``, ``1.02s``, ``1.5m``) in milliseconds."""
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def parse_wrk(out: str, seconds: int) -> Measure:
    """wrk's ``--latency`` report as a ``Measure``; a run where no request finished counts as
    one error at the run's whole length."""
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if not latency:
        return Measure(rps=0.0, p50=seconds * 1000.0, p99=seconds * 1000.0, errors=1)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    # pages.lua counts every answer but a 200; wrk alone, the 4xx and 5xx.
    non_200 = re.search(r"Non-200 responses: (\d+)", out)
    non_2xx = non_200 or re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Measure(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50=milliseconds(latency["50"]),
        p99=milliseconds(latency["99"]),
        errors=(int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket.groups()) if socket else 0),
    )


def ratio(page: Page, floor: Page, mode: str) -> float | None:
    """The page's requests/s in ``mode`` over the floor's (/healthz) in the same mode."""
    mine, base = page.measures.get(mode), floor.measures.get(mode)
    if mine is None or base is None or not base.rps:
        return None
    return mine.rps / base.rps


def summary(pages: list[Page], floor: Page, mixed: Measure | None, writes: Writes | None) -> str:
    """The last line, for scripts: the worst cold ratio to /healthz, its page, the highest cold
    p99, every error (requests answered with an error in any mode, writes failed or lost), the
    worst warm ratio and the mixed readers' p99."""
    measured = [p for p in pages if p is not floor and "cold" in p.measures]
    worst = min(measured, key=lambda p: ratio(p, floor, "cold"))
    warm = [ratio(p, floor, "warm") for p in pages if p is not floor and "warm" in p.measures]
    errors = sum(m.errors for p in pages for m in p.measures.values())
    if mixed is not None:
        errors += mixed.errors
    if writes is not None:
        errors += writes.failed + writes.lost
    return (
        f"bench: worst={ratio(worst, floor, 'cold'):.3f} page={worst.path} "
        f"p99max={max(p.measures['cold'].p99 for p in pages if 'cold' in p.measures):.0f} "
        f"errors={errors} warm_worst={min(warm, default=0):.3f} "
        f"mixed_p99={mixed.p99 if mixed else 0:.0f}"
    )


def cell(measure: Measure | None, ratio_: float | None) -> list[str]:
    if measure is None:
        return ["—"] * 4
    mark = " ✱" if measure.busy else ""
    return [
        f"{measure.rps:.0f}{mark}",
        f"{measure.p50:.1f} / {measure.p99:.1f}",
        str(measure.errors),
        "—" if ratio_ is None else f"{ratio_:.3f}",
    ]


def table(pages: list[Page], floor: Page) -> list[str]:
    """The Markdown table: a group of columns per mode (requests/s, p50 / p99 ms, errors,
    ratio to /healthz); ✱ marks a run begun while the machine was busy."""
    head = ["page", "path"]
    for mode in ("warm", "cold"):
        head += [f"{mode} req/s", f"{mode} p50 / p99 ms", f"{mode} errors", f"{mode} ÷ /healthz"]
    lines = ["| " + " | ".join(head) + " |", "| --- | --- |" + " ---: |" * (len(head) - 2)]
    for page in pages:
        row = [page.label, f"`{page.path}`"]
        for mode in ("warm", "cold"):
            row += cell(page.measures.get(mode), ratio(page, floor, mode))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def mixed_lines(mixed: Measure | None, writes: Writes | None, seconds: int) -> list[str]:
    if mixed is None or writes is None:
        return ["Mixed run not measured (BENCH_MIXED=0)."]
    busy_note = " (✱ the machine was busy as it began)" if mixed.busy else ""
    return [
        f"Mixed, {seconds} s{busy_note}: readers over every page above (each request a "
        f"never-sent address) at {mixed.rps:.0f} requests/s, p50 {mixed.p50:.1f} ms, p99 "
        f"{mixed.p99:.1f} ms, {mixed.errors} errors; writers at {writes.per_second:.1f} writes/s "
        f"(progress updates, approvals, milestones ticked, through the actions): "
        f"{writes.made} made, p99 {writes.p99:.1f} ms, {writes.refused} refused by their own "
        f"rule, {writes.failed} failed otherwise, {writes.lost} lost.",
    ]


def busy_line(pages: list[Page], mixed: Measure | None, cores: int) -> str:
    runs = [m for p in pages for m in p.measures.values()] + ([mixed] if mixed else [])
    marked = [m for m in runs if m.busy]
    if not marked:
        return f"The machine was not busy as any run began (1-minute load at most {cores} cores)."
    return (
        f"✱ The machine was busy as {len(marked)} of {len(runs)} runs began (1-minute load "
        f"above its {cores} cores, up to {max(m.load for m in marked):.1f}): those figures "
        "share the cores with other work."
    )


def percentile(values: list[float], share: float) -> float:
    """The value at ``share`` (0.99) of the sorted values, nearest rank; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil, at least the first
    return ordered[int(rank) - 1]


def records_in(chunk: bytes, path: str) -> int:
    """How many rows a piece of a download holds: CSV lines, or the open-data document's
    records (each opens with its id, ``{"id": "``; a progress update inside a commitment is
    not a record of its own). A piece cut inside a marker is counted by the caller, which
    keeps the last bytes of each piece (``Rows``)."""
    if path.endswith(".json"):
        return chunk.count(b'{"id": "') - chunk.count(b'{"id": "update-')
    return chunk.count(b"\n")


class Rows:
    """Counts rows over a stream cut anywhere: each piece is read with the tail of the one
    before, so a marker split between two pieces is counted once."""

    KEEP = 32  # longer than any marker

    def __init__(self, path: str) -> None:
        self.path = path
        self.tail = b""
        self.count = 0

    def feed(self, chunk: bytes) -> None:
        joined = self.tail + chunk
        self.count += records_in(joined, self.path) - records_in(self.tail, self.path)
        self.tail = joined[-self.KEEP :]

    def rows(self) -> int:
        """Rows read; for a CSV, less its header line."""
        return self.count if self.path.endswith(".json") else max(0, self.count - 1)


def insert_run(text: str, run: str) -> str:
    """The report ``text`` with ``run`` placed before its newest run: what comes before the
    first run's heading (``## <size> commitments, <date>``: the title, the dataset's
    description, notes) stays at the top; without a run yet, ``run`` goes at the end."""
    found = re.search(r"^## [\d,]+ commitments, ", text, re.M)
    at = found.start() if found else len(text)
    head = text[:at].rstrip("\n") + "\n\n"
    return head + run.rstrip("\n") + "\n" + ("\n" + text[at:] if found else "")
