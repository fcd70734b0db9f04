"""The benchmark's PostgreSQL server and its dataset's database, loaded once per size."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
OWN_PG_PORT = 15433
# Bumped when synthetic_data changes what it writes, the migrations start again or the load's
# last steps change (6: the tallies compacted), so the next run reloads the dataset.
DATASET = "6"


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


# The tables the triggers pile rows into and ``fold_piled`` sums (models/tallies.py).
TALLIES = [
    f"agreements_{kind}tally"
    for kind in (
        *("commitment", "compliance", "statusday", "statusmonth", "statusyear", "indexmonth"),
        *("complianceday", "compliancemonth", "compliancequarter", "complianceyear"),
    )
]


def prepare(server: str, env: dict, size: int) -> str:
    """The dataset's database, loaded unless a finished load of this size is there already.
    Returns what ``synthetic_data`` said when it loaded it (rows and rows per second), kept
    with the dataset for the runs that reuse it."""
    # BENCH_DB_PREFIX: another name for runs that share a server (tracker_bench by default).
    # Lower case: PostgreSQL folds the unquoted name it is created by (CREATE DATABASE).
    name = f"{os.environ.get('BENCH_DB_PREFIX', 'tracker_bench')}_{size}".lower()
    url = with_database(server, name)
    exists = psql(server, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"
    loaded = (
        exists
        and psql(url, "SELECT obj_description('agreements_commitment'::regclass)")
        == f"bench dataset {size} v{DATASET}"
    )
    env["DATABASE_URL"] = url
    if loaded:
        say(f"Reusing the dataset in {name}")
        run(PY, "manage.py", "migrate", "-v0", env=env)
        # What a migration filled (0017's tallies) counted and marked all-visible, as
        # autovacuum would in time: its indexes then answer alone from the first run.
        psql(url, "VACUUM ANALYZE")
        return psql(url, "SELECT obj_description('agreements_meeting'::regclass)") or ""
    if exists:
        psql(server, f"DROP DATABASE {name}")
    psql(server, f"CREATE DATABASE {name}")
    say(f"Loading {size:,} commitments into {name}")
    run(PY, "manage.py", "migrate", "-v0", env=env)
    run(PY, "manage.py", "load_demo", env=env, capture=True)
    created = ""
    with subprocess.Popen(  # its progress shown as it goes; its last line kept
        [PY, "manage.py", "synthetic_data", "--size", str(size)],
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
    # The load folds millions of the triggers' piled tally rows at once, which leaves those
    # tables mostly empty pages (883 rows on 819 pages at 100,000) that every count reads; a
    # running tracker folds a few at a time and autovacuum reuses the space. Compacted, as a
    # database that has been in use is.
    psql(url, f"VACUUM (FULL, ANALYZE) {', '.join(TALLIES)}")
    psql(url, "VACUUM ANALYZE")
    psql(url, f"COMMENT ON TABLE agreements_meeting IS '{loaded}'")  # digits and words only
    psql(url, f"COMMENT ON TABLE agreements_commitment IS 'bench dataset {size} v{DATASET}'")
    return loaded


SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.db.models import Count
from agreements import models as m
from django.contrib.sessions.backends.db import SessionStore
def signed_in(username):
    who = get_user_model().objects.get(username=username)
    s = SessionStore()
    s[SESSION_KEY] = str(who.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = who.get_session_auth_hash()
    s.create()
    return s.session_key
user = get_user_model().objects.get(username="staff")
# The pages as the demo's editor; the admin's changelists as the demo's records admin; the
# review queue as the demo's reviewer too.
editor, admin, reviewer = signed_in("staff"), signed_in("admin"), signed_in("reviewer")
# The long pages, found by what makes them long: the reader's meeting with the most
# commitments, and the commitment with the most progress updates.
meeting = (
    m.Meeting.objects.visible_to(user).active().annotate(n=Count("commitments"))
    .order_by("-n", "pk").first()
)
seen = m.Commitment.objects.visible_to(user).active().values("pk")
longest = (
    m.ProgressUpdate.objects.filter(commitment__in=seen).values("commitment")
    .annotate(n=Count("pk")).order_by("-n", "commitment").first()
)
print(editor, admin, reviewer, longest["commitment"], longest["n"], meeting.pk, meeting.n)
"""
