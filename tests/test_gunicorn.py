"""The production server: gunicorn with the repository's configuration (tracker/gunicorn.conf.py)
boots with production settings, answers, serves hashed and compressed static files for ever,
and writes its access log as JSON lines carrying each request's id."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict[str, str]):
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10)
    except urllib.error.HTTPError as error:  # an answer all the same
        return error


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn -c tracker/gunicorn.conf.py on a free port, after a collectstatic of its own;
    yields (base url, static root, a function reading its log lines once it has stopped)."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN", "WEB_CONCURRENCY"))
    } | {
        "DEBUG": "0",
        "SECRET_KEY": "gunicorn-test-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "STATIC_ROOT": str(tmp / "static"),
        # /healthz and static files need no database: an empty SQLite file of its own.
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }
    env.pop("BIND", None)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log = tmp / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", str(ROOT / "tracker" / "gunicorn.conf.py")],
            cwd=tmp,  # the configuration finds the project itself
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            if process.poll() is not None:
                pytest.fail(f"gunicorn stopped at start:\n{log.read_text()}")
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"gunicorn did not answer in 30 s:\n{log.read_text()}")
        state = {"lines": None}

        def lines() -> list[dict]:
            if state["lines"] is None:
                process.terminate()
                process.wait(timeout=30)
                state["lines"] = [json.loads(line) for line in log.read_text().splitlines()]
            return state["lines"]

        yield base, tmp / "static", lines
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def test_gunicorn_with_the_repositorys_configuration_answers(server):
    base, _, _ = server
    response = get(f"{base}/healthz", {"X-Request-ID": "boot-check-1"})
    assert response.status == 200
    assert response.read() == b"ok"
    assert response.headers["X-Request-ID"] == "boot-check-1"


def test_static_files_are_hashed_compressed_and_cached_for_ever(server):
    base, static_root, _ = server
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["css/tracker.css"]
    assert hashed != "css/tracker.css"
    response = get(f"{base}/static/{hashed}", {"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=315360000" in response.headers["Cache-Control"]
    plain = get(f"{base}/static/{hashed}", {})
    assert "Content-Encoding" not in plain.headers
    assert len(response.read()) < len(plain.read())


def test_the_access_log_is_json_lines_carrying_the_request_id(server):
    base, _, lines = server
    get(f"{base}/healthz?probe=1", {"X-Request-ID": "access-log-7", "User-Agent": "probe/1"})
    get(f"{base}/calendar/s3cr3t-token.ics", {"X-Request-ID": "calendar-1"})
    every = lines()  # stops the server: every line is written
    [access] = [line for line in every if line.get("request_id") == "access-log-7"]
    assert access["logger"] == "gunicorn.access"
    assert access["level"] == "INFO"
    assert access["message"] == "GET /healthz 200"
    assert (access["method"], access["path"], access["query"]) == ("GET", "/healthz", "probe=1")
    assert access["status"] == 200
    assert access["user_agent"] == "probe/1"
    assert access["duration_ms"] >= 0
    # gunicorn's own lines are JSON too, and a calendar feed's secret stays out of the access
    # log (Django's own warning and error lines name the address of a feed that failed)
    assert any(line["logger"] == "gunicorn.error" for line in every)
    [calendar] = [
        line
        for line in every
        if line.get("request_id") == "calendar-1" and line["logger"] == "gunicorn.access"
    ]
    assert calendar["path"] == "/calendar/[token].ics"
    assert "s3cr3t" not in json.dumps(calendar)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_serve_without_a_secret_key_stops_before_anything_and_says_what_to_set():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "MAKEFLAGS", "MFLAGS"}}
    result = subprocess.run(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr
    assert "secrets.token_urlsafe" in result.stderr
    assert "migrate" not in result.stdout  # stopped before touching the database


def test_a_worker_sets_what_it_holds_for_life_aside_from_the_garbage_collectors_full_passes():
    """``post_worker_init``: once a worker has loaded the app, its objects (Django's, the
    models', the URL patterns') are frozen (``gc.freeze``), so that no full pass of the
    collector walks them again in the middle of a request."""
    import gc
    import runpy

    hooks = runpy.run_path(str(ROOT / "tracker" / "gunicorn.conf.py"))
    gc.unfreeze()
    try:
        hooks["post_worker_init"](None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
