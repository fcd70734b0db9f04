"""The test database kept between runs (``pytest --reuse-db``, which ``make test`` passes), where
that is safe: a run never starts on a stale schema, nor on rows an earlier run left behind.

- Its name carries a hash of what builds the schema: every installed app's migration files
  (this project's, Django's, the third-party apps') and the versions of Django and of the
  packages the apps come from. A changed migration (edited, added, squashed, reset) names
  another database, built anew by migrating; the databases of other hashes are removed.
- Once built, the freshly migrated database is kept as a template beside it, and each run
  starts on a copy of that template: exactly as a run that built it (the rows the migrations
  seed, such as the themes, and the ids to come), whatever the run before did (a test with
  ``transaction=True`` flushes the tables; an interrupted one leaves its rows). A database left
  without its template (a build interrupted halfway) is built again.

SQLite: ``var/test_<hash>.sqlite3`` and its template ``var/test_<hash>.template.sqlite3``, copied
as files. PostgreSQL: the databases ``test_<NAME>_<hash>`` and ``test_<NAME>_<hash>_template``,
copied by ``CREATE DATABASE … TEMPLATE`` (a second or so, against a minute of migrating); stale
ones of the same ``<NAME>`` are dropped (one in use is left alone).

Without ``--reuse-db`` nothing changes: SQLite tests run in memory, PostgreSQL in ``test_<NAME>``,
destroyed at the end. ``--create-db`` builds the database and its template anew. One run at a
time reuses a clone's database (a second would share it); runs split across processes (tox or
xdist suffixes) do not reuse it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import os
import re
import shutil
from pathlib import Path

import django
import pytest
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader

VAR = Path(settings.BASE_DIR) / "var"
REUSABLE = ("sqlite", "postgresql")


def schema_hash() -> str:
    """12 hex digits naming what builds the test database's schema."""
    digest = hashlib.sha256(f"django {django.__version__}\n".encode())
    distributions = importlib.metadata.packages_distributions()
    for app in sorted(apps.get_app_configs(), key=lambda a: a.label):
        top = app.name.partition(".")[0]
        versions = sorted(
            f"{name} {importlib.metadata.version(name)}" for name in distributions.get(top, ())
        )
        digest.update(f"app {app.label} {app.name} {versions}\n".encode())
        module, _ = MigrationLoader.migrations_module(app.label)
        try:
            spec = importlib.util.find_spec(module) if module else None
        except ModuleNotFoundError:
            spec = None
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for path in sorted(Path(folder).rglob("*.py")):
                digest.update(f"{path.relative_to(folder)}\n".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class ReusedDatabase:
    """The reused test database of the default alias, and its template."""

    def __init__(self) -> None:
        self.connection = connections["default"]
        self.vendor = self.connection.vendor
        self.hash = schema_hash()
        if self.vendor == "sqlite":
            self.name = str(VAR / f"test_{self.hash}.sqlite3")
        else:
            self.name = f"test_{self.connection.settings_dict['NAME']}_{self.hash}"

    @property
    def template(self) -> str:
        if self.vendor == "sqlite":
            return self.name.removesuffix(".sqlite3") + ".template.sqlite3"
        return f"{self.name}_template"

    # Before the test database is set up ----------------------------------------------------

    def prepare(self, *, create: bool) -> None:
        """Remove the databases of other hashes; start from a copy of the template, or from
        nothing when there is no template or a new build was asked for (``--create-db``)."""
        if self.vendor == "sqlite":
            self._prepare_sqlite(create=create)
        elif self.vendor == "postgresql":
            self._prepare_postgresql(create=create)

    def _prepare_sqlite(self, *, create: bool) -> None:
        mine = {Path(self.name).name, Path(self.template).name}
        for path in VAR.glob("test_*.sqlite3*"):
            stem = path.name.partition(".sqlite3")[0] + ".sqlite3"
            # The files of other hashes, and this database's journal left by a crash.
            if re.fullmatch(r"test_[0-9a-f]{12}(\.template)?\.sqlite3", stem) and (
                stem not in mine or path.name != stem
            ):
                path.unlink(missing_ok=True)
        Path(self.name).unlink(missing_ok=True)
        if create:
            Path(self.template).unlink(missing_ok=True)
        elif Path(self.template).exists():
            shutil.copyfile(self.template, self.name)

    def _prepare_postgresql(self, *, create: bool) -> None:
        base = re.escape(self.connection.settings_dict["NAME"])
        ours = re.compile(rf"test_{base}_[0-9a-f]{{12}}(_template)?")
        quote = self.connection.ops.quote_name
        with self.connection.creation._nodb_cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database")
            names = {row[0] for row in cursor.fetchall()}
            for name in sorted(names):
                if ours.fullmatch(name) and name not in (self.name, self.template):
                    # One in use by another run of this clone is left for a later run.
                    with contextlib.suppress(DatabaseError):
                        cursor.execute(f"DROP DATABASE {quote(name)}")
            if self.name in names:
                cursor.execute(f"DROP DATABASE {quote(self.name)}")
            if create and self.template in names:
                cursor.execute(f"DROP DATABASE {quote(self.template)}")
            elif self.template in names:
                cursor.execute(
                    f"CREATE DATABASE {quote(self.name)} TEMPLATE {quote(self.template)}"
                )

    # After it is set up ---------------------------------------------------------------------

    def keep_template(self) -> None:
        """The database just built by migrating becomes the template of the runs to come."""
        self.connection.close()
        if self.vendor == "sqlite":
            partial = f"{self.template}.partial"
            shutil.copyfile(self.name, partial)
            os.replace(partial, self.template)  # whole or absent, never half-copied
        elif self.vendor == "postgresql":
            quote = self.connection.ops.quote_name
            with self.connection.creation._nodb_cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(self.template)}")
                cursor.execute(
                    f"CREATE DATABASE {quote(self.template)} TEMPLATE {quote(self.name)}"
                )

    def has_template(self) -> bool:
        if self.vendor == "sqlite":
            return Path(self.template).exists()
        with self.connection.creation._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.template])
            return cursor.fetchone() is not None


@pytest.fixture(scope="session")
def reused_database(request, django_db_keepdb, django_db_blocker) -> ReusedDatabase | None:
    """The reused database when the run asked for one (``--reuse-db``), prepared for setup."""
    split = getattr(request.config, "workerinput", None) or os.getenv("TOX_PARALLEL_ENV")
    if not django_db_keepdb or split or connections["default"].vendor not in REUSABLE:
        return None
    database = ReusedDatabase()
    with django_db_blocker.unblock():
        database.prepare(create=request.config.getvalue("create_db"))
    return database


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request, reused_database) -> None:
    """pytest-django's hook before the test databases are set up: the reused one's name."""
    if reused_database is not None:
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = reused_database.name
    request.getfixturevalue("django_db_modify_db_settings_parallel_suffix")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, reused_database, django_db_blocker) -> None:
    """pytest-django's set-up, then a database just built keeps its template."""
    if reused_database is not None:
        with django_db_blocker.unblock():
            if not reused_database.has_template():
                reused_database.keep_template()
