"""The migrations: few, and what they build is what ``agreements/migrations/_rules.py`` says the
database keeps, on the database the tests run on."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from agreements.migrations import _rules, _search


def _named(pattern: str, sql: str) -> set[str]:
    return set(re.findall(pattern, sql))


def _installed() -> dict[str, set[str]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            triggers = {name for (name,) in cursor.fetchall()}
            cursor.execute(
                "SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace"
            )
            functions = {name for (name,) in cursor.fetchall()}
            cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
            indexes = {name for (name,) in cursor.fetchall()}
            cursor.execute(
                "SELECT conname FROM pg_constraint"
                " WHERE connamespace = current_schema()::regnamespace"
            )
            constraints = {name for (name,) in cursor.fetchall()}
        else:
            cursor.execute("SELECT type, name FROM sqlite_master")
            rows = cursor.fetchall()
            triggers = {name for kind, name in rows if kind == "trigger"}
            indexes = {name for kind, name in rows if kind == "index"}
            functions = constraints = set()
    return {
        "triggers": triggers,
        "functions": functions,
        "indexes": indexes,
        "constraints": constraints,
    }


def test_the_database_holds_every_rule_written_for_it(db):
    """Each trigger, function, index and constraint ``_rules`` writes for this database is
    there (SQLite once lost an index to a table remade by a later migration)."""
    installed = _installed()
    if connection.vendor == "postgresql":
        # The search's, made by 0008; the progress updates' team copy's key, by 0018.
        sql = _rules.POSTGRESQL + _search.SEARCH_POSTGRESQL + _rules.UPDATE_TEAM_POSTGRESQL
        wanted = {
            "triggers": _named(r"CREATE (?:CONSTRAINT )?TRIGGER (\w+)", sql)
            | {f"{table}_append_only" for table in _rules.APPEND_ONLY},
            "functions": _named(r"CREATE FUNCTION (\w+)", sql),
            "indexes": _named(r"CREATE INDEX (\w+)", sql),
            "constraints": _named(r"ADD CONSTRAINT (\w+)", sql),
        }
    else:
        sql = "\n".join(_rules.SQLITE)
        wanted = {
            "triggers": _named(r"CREATE TRIGGER (\w+)", sql),
            "functions": set(),
            "indexes": _named(r"CREATE INDEX (\w+)", sql),
            "constraints": set(),
        }
    assert wanted["triggers"]
    for kind, names in wanted.items():
        assert names - installed[kind] == set(), kind


def test_the_schema_is_built_by_a_few_migrations():
    """The schema's history was started again before any release: one initial schema, the
    database's rules, the seed data (issue: 38 migrations made a test database in 40 s), then
    one migration per feature that changed the schema; past a dozen (0014 is the month
    tallies' keys holding their counts, 0015 the status spans by team and status, 0016 the open
    milestones in their lists' order, 0017 the histories' year tallies, 0018 the review queue's
    order, 0019 its index carrying the author and commitment, 0020 the status spans' target
    dates, 0021 the day and month tallies by date for a reader of every team), the point to
    start again."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    ours = sorted(name for app, name in loader.disk_migrations if app == "agreements")
    assert ours[:3] == ["0001_initial", "0002_database_rules", "0003_seed_themes"]
    assert len(ours) <= 21


def test_the_migrations_create_no_users(db):
    """The demo's logins (password "demo") come from ``load_demo`` alone, never from migrating
    a production database. (Here rather than beside the demo's tests, which share one load.)"""
    assert not get_user_model().objects.exists()
