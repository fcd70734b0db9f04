"""The backup in README.md's Deployment section works: ``pg_dump -Fc`` of the database, restored
with ``pg_restore`` into a new database, holds the same records and needs no migration."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from agreements.models import Commitment, Meeting
from tests.conftest import make_commitment, make_meeting

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),  # pg_dump sees only what is committed
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="pg_dump and pg_restore back up PostgreSQL; SQLite's backup is a copy of its file",
    ),
]


def pg_tool(name: str) -> str:
    """The newest installed client (a dump needs a pg_dump at least as new as the server),
    else the one on PATH."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parents[1].name) if p.parents[1].name.isdigit() else 0,
    )
    found = str(versions[-1]) if versions else shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found: install PostgreSQL's client programs (postgresql-client)")
    return found


def test_a_dump_restored_into_a_new_database_holds_the_same_records(team, us, mexico, tmp_path):
    for title in ("Mexico City security meeting", "Ottawa follow-up", "Geneva review"):
        meeting = make_meeting(team, title=title)
        for _ in range(2):
            make_commitment(meeting, parties=[us, mexico])
    titles = sorted(Meeting.objects.values_list("title", flat=True))
    commitments = Commitment.objects.count()
    assert commitments == 6

    db = connection.settings_dict
    env = os.environ | {
        "PGHOST": db["HOST"] or "",
        "PGPORT": str(db["PORT"] or 5432),
        "PGUSER": db["USER"] or "",
        "PGPASSWORD": db["PASSWORD"] or "",
    }
    dump = tmp_path / "tracker.dump"
    subprocess.run(
        [pg_tool("pg_dump"), "--format=custom", f"--file={dump}", db["NAME"]], env=env, check=True
    )

    restored = f"{db['NAME']}_restored"
    params = {
        "host": db["HOST"],
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(restored)))
        server.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(restored))
        )
    try:
        subprocess.run(
            [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", restored, str(dump)],
            env=env,
            check=True,
        )
        with psycopg.connect(dbname=restored, **params) as copy:
            found = [
                title
                for (title,) in copy.execute(
                    sql.SQL("SELECT title FROM {} ORDER BY title").format(
                        sql.Identifier(Meeting._meta.db_table)
                    )
                )
            ]
            (count,) = copy.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(Commitment._meta.db_table))
            ).fetchone()
        assert found == titles
        assert count == commitments
        # The restored database is one the tracker runs on as it is: no migration missing.
        url = (
            f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{params['port']}"
            f"/{restored}"
        )
        check = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--check"],
            cwd=ROOT,
            env=os.environ | {"DATABASE_URL": url, "SECRET_KEY": "restore-check"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as server:
            server.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(restored))
            )
