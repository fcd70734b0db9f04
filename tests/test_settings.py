"""Settings come from the environment; production refuses to start without a secret key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from agreements.models import Theme

ROOT = Path(__file__).resolve().parent.parent


def settings_in(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly ``env`` set, print ``expression``."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "DATABASE_URL",
            "ALLOWED_HOSTS",
            "HTTPS",
            "PROXY_SSL_HEADER",
            "STATIC_ROOT",
            "LOG_LEVEL",
            "FORWARDED_ALLOW_IPS",
        }
        and not k.startswith("EMAIL_")
        and k not in {"SITE_URL", "DEFAULT_FROM_EMAIL"}
    }
    return subprocess.run(
        [sys.executable, "-c", f"import tracker.settings as s; print(repr(({expression},)))"],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_without_a_secret_key_stops_with_a_clear_error():
    result = settings_in({}, "s.DEBUG")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in the environment when DEBUG is off" in result.stderr


def test_debug_is_off_unless_set():
    assert settings_in({"SECRET_KEY": "x"}, "s.DEBUG").stdout.strip() == "(False,)"
    assert settings_in({"DEBUG": "1"}, "s.DEBUG").stdout.strip() == "(True,)"


def test_sqlite_in_var_is_the_default_database():
    out = settings_in(
        {"DEBUG": "1"}, "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME']"
    )
    assert "sqlite3" in out.stdout
    assert str(ROOT / "var" / "db.sqlite3") in out.stdout


def test_postgresql_from_database_url_keeps_connections_open():
    out = settings_in(
        {"DEBUG": "1", "DATABASE_URL": "postgresql://tracker:pw@db.internal:5432/tracker"},
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'], "
        "s.DATABASES['default']['CONN_MAX_AGE'] > 0, s.DATABASES['default']['CONN_HEALTH_CHECKS']",
    )
    assert out.stdout.strip() == "('django.db.backends.postgresql', 'db.internal', True, True)"


def test_allowed_hosts_and_time_zone():
    out = settings_in(
        {"SECRET_KEY": "x", "ALLOWED_HOSTS": "tracker.example.org, localhost"},
        "s.ALLOWED_HOSTS, s.TIME_ZONE, s.USE_TZ",
    )
    assert out.stdout.strip() == "(['tracker.example.org', 'localhost'], 'UTC', True)"


def test_production_serves_hashed_compressed_static_files_and_the_demo_plain_ones():
    production = settings_in({"SECRET_KEY": "x"}, "s.STORAGES['staticfiles']['BACKEND']")
    assert production.stdout.strip() == ("('tracker.storages.HashedAddressesKept',)")
    demo = settings_in({"DEBUG": "1"}, "s.STORAGES['staticfiles']['BACKEND']")
    assert demo.stdout.strip() == "('tracker.storages.PlainAddressesKept',)"


def test_static_files_addresses_are_the_storages_own_worked_out_once(settings, tmp_path):
    """Production's and the demo's storages (tracker/storages.py) give each file the address
    WhiteNoise's and Django's give it, hashed or plain, in DEBUG and not; asked again, from
    what they kept. A file the manifest does not hold is refused each time, as WhiteNoise's."""
    import json

    from django.contrib.staticfiles.storage import StaticFilesStorage
    from whitenoise.storage import CompressedManifestStaticFilesStorage

    from tracker.storages import HashedAddressesKept, PlainAddressesKept

    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_text("body {}")
    paths = {"css/site.css": "css/site.0123456789ab.css"}
    (tmp_path / "staticfiles.json").write_text(json.dumps({"version": "1.1", "paths": paths}))
    pairs = [
        (
            HashedAddressesKept(location=tmp_path),
            CompressedManifestStaticFilesStorage(location=tmp_path),
        ),
        (PlainAddressesKept(location=tmp_path), StaticFilesStorage(location=tmp_path)),
    ]
    for debug in (False, True, False):
        settings.DEBUG = debug
        for kept, djangos in pairs:
            for name in ("css/site.css", "css/site.css", "css/"):
                assert kept.url(name) == djangos.url(name)
    assert pairs[0][0].url("css/site.css") == "/static/css/site.0123456789ab.css"
    for _twice in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            pairs[0][0].url("css/missing.css")


def test_static_root_is_in_the_checkout_unless_set():
    assert settings_in({"DEBUG": "1"}, "str(s.STATIC_ROOT)").stdout.strip() == repr(
        (str(ROOT / "staticfiles"),)
    )
    elsewhere = settings_in({"DEBUG": "1", "STATIC_ROOT": "/srv/static"}, "str(s.STATIC_ROOT)")
    assert elsewhere.stdout.strip() == "('/srv/static',)"


def test_logs_are_json_lines_on_stdout_at_the_level_asked():
    out = settings_in(
        {"SECRET_KEY": "x", "LOG_LEVEL": "info"},
        "s.LOGGING['root']['level'], s.LOGGING['handlers']['console']['stream'], "
        "s.LOGGING['formatters']['json'], s.MIDDLEWARE[0]",
    )
    assert out.stdout.strip() == (
        "('INFO', 'ext://sys.stdout', {'()': 'tracker.logs.JsonFormatter'}, "
        "'tracker.logs.request_id_middleware')"
    )
    default = settings_in({"SECRET_KEY": "x"}, "s.LOGGING['root']['level']")
    assert default.stdout.strip() == "('WARNING',)"


def test_health_checks_answer_over_plain_http_when_everything_else_redirects(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


def test_postgresql_prepares_a_query_run_again():
    out = settings_in(
        {"DEBUG": "1", "DATABASE_URL": "postgresql://tracker:pw@db.internal:5432/tracker"},
        "s.DATABASES['default']['OPTIONS']['server_side_binding'], "
        "s.DATABASES['default']['OPTIONS']['prepare_threshold']",
    )
    assert out.stdout.strip() == "(True, 5)"


@pytest.mark.django_db
def test_a_query_run_again_on_postgresql_is_prepared_once():
    """A page's query, the same text each request, is parsed and planned once a connection:
    prepared after its fifth run (``prepare_threshold``)."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (SQLite runs the tests by default)")
    for _run in range(6):
        list(Theme.objects.filter(code="drugs").values_list("name", "description"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert [sql for sql in prepared if "agreements_theme" in sql]
