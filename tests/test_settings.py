"""Settings come from the environment; production refuses to start without a secret key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_in(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly ``env`` set, print ``expression``."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "HTTPS", "PROXY_SSL_HEADER"}
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


def test_mail_goes_to_the_console_in_the_demo_and_through_smtp_from_the_environment():
    demo = settings_in({"DEBUG": "1"}, "s.MAILERS['default']['BACKEND']")
    assert demo.stdout.strip() == "('django.core.mail.backends.console.EmailBackend',)"
    smtp = settings_in(
        {
            "SECRET_KEY": "x",
            "EMAIL_HOST": "smtp.internal",
            "EMAIL_PORT": "587",
            "EMAIL_HOST_USER": "tracker",
            "EMAIL_HOST_PASSWORD": "pw",
            "EMAIL_USE_TLS": "1",
            "DEFAULT_FROM_EMAIL": "tracker@desk.example",
        },
        "s.MAILERS['default'], s.DEFAULT_FROM_EMAIL",
    )
    backend, options = eval(smtp.stdout)[0]["BACKEND"], eval(smtp.stdout)[0]["OPTIONS"]
    assert backend == "django.core.mail.backends.smtp.EmailBackend"
    assert (options["host"], options["port"], options["use_tls"]) == ("smtp.internal", 587, True)
    assert (options["username"], options["password"]) == ("tracker", "pw")
    assert "tracker@desk.example" in smtp.stdout


def test_mail_can_be_written_to_files_and_links_name_the_site(tmp_path):
    out = settings_in(
        {
            "SECRET_KEY": "x",
            "EMAIL_BACKEND": "file",
            "EMAIL_FILE_PATH": str(tmp_path),
            "SITE_URL": "https://tracker.example/",
        },
        "s.MAILERS['default'], s.SITE_URL",
    )
    mailer, site = eval(out.stdout)
    assert mailer["BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert mailer["OPTIONS"] == {"file_path": str(tmp_path)}
    assert site == "https://tracker.example"
