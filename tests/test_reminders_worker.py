"""The whole path with real workers: `send_reminders` enqueues, `db_worker` (the worker command
of django-tasks-db) sends, the mail lands where the mail settings say.

On PostgreSQL the workers are separate processes, as in production: they reach the test
database by its address, and write mail as files (EMAIL_BACKEND=file) into a temporary folder.
On SQLite the test database lives in this process's memory (a bare `pytest`), out of another
process's reach, or in a file of var/ (`make test`, tests/reused_database.py) whose writers queue
one at a time: there the worker command runs in this process, in batch mode, and mail goes to
the test outbox.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from agreements import actions
from agreements.models import DigestSent, Milestone, TeamRole
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)
DAY = datetime.date(2025, 10, 1)
on_postgresql = connection.vendor == "postgresql"


def worker_env(mail_dir: Path) -> dict[str, str]:
    """The environment of a worker process: this test database, mail written as files."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    url = f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return os.environ | {
        "DATABASE_URL": url,
        "SECRET_KEY": "insecure-key-for-tests-only",
        "HTTPS": "0",
        "DEBUG": "0",
        "EMAIL_BACKEND": "file",
        "EMAIL_FILE_PATH": str(mail_dir),
    }


def start_worker(mail_dir: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0",
        "-v",
        "0",
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=worker_env(mail_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait(worker: subprocess.Popen) -> None:
    output, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, output


@pytest.fixture
def restore_signals():
    """The worker command takes over SIGINT and SIGTERM; give them back to pytest."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def run_workers(count: int, mail_dir: Path) -> list[str]:
    """Run ``count`` workers at once until the queue is empty; the mails they sent (each as
    its raw text)."""
    if on_postgresql:
        workers = [start_worker(mail_dir) for _ in range(count)]
        for worker in workers:
            wait(worker)
        files = sorted(mail_dir.glob("*.log"))
        raw = "".join(f.read_text() for f in files)
        separator = "-" * 79
        return [part for part in raw.split(separator) if part.strip()]
    assert count == 1, "SQLite: one worker, in this process"
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0
    )
    return [message.message().as_string() for message in mail.outbox]


@pytest.fixture
def desk(team, meeting, commitment):
    editor = make_user("editor", team=team, role=TeamRole.EDITOR, email="editor@desk.example")
    Milestone.objects.create(commitment=commitment, title="Extradition list", due_date=DAY)
    return editor


def test_the_whole_path_with_a_real_worker(desk, commitment, admin_user, tmp_path, restore_signals):
    call_command("send_reminders", "--date", DAY.isoformat())
    actions.follow_commitment(commitment=commitment, user=desk)
    actions.change_commitment_status(  # committed at once: its notice is enqueued
        commitment=commitment, status=1, reason="Work began", by=admin_user, via="web"
    )
    assert DBTaskResult.objects.count() == 2
    sent = run_workers(1, tmp_path)
    assert len(sent) == 2
    digest = next(m for m in sent if "Your reminders for 1 Oct 2025" in m)
    assert "To: editor@desk.example" in digest and "Extradition list" in digest
    notice = next(m for m in sent if f"Status changed: {commitment.title}" in m)
    assert "Not started" in notice and "Work began" in notice
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert DigestSent.objects.filter(user=desk, day=DAY).count() == 1
    # The same day again: nothing enqueued, nothing sent.
    call_command("send_reminders", "--date", DAY.isoformat())
    assert DBTaskResult.objects.filter(status="READY").count() == 0


@pytest.mark.skipif(
    not on_postgresql,
    reason="needs worker processes sharing one database server; SQLite's test database is "
    "in this process's memory, or a file whose writers queue one at a time",
)
def test_two_workers_at_once_send_each_digest_once(team, commitment, tmp_path):
    users = [make_user(f"member{i}", team=team, email=f"member{i}@desk.example") for i in range(20)]
    Milestone.objects.create(commitment=commitment, title="Extradition list", due_date=DAY)
    # Two runs before any worker: every digest is in the queue twice.
    call_command("send_reminders", "--date", DAY.isoformat())
    call_command("send_reminders", "--date", DAY.isoformat())
    assert DBTaskResult.objects.count() == 2 * len(users)
    sent = run_workers(2, tmp_path)
    recipients = sorted(
        line.removeprefix("To: ")
        for m in sent
        for line in m.splitlines()
        if line.startswith("To: ")
    )
    assert recipients == sorted(u.email for u in users)
    assert DigestSent.objects.count() == len(users)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    workers = {w for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) for w in ids}
    assert len(workers) == 2, "both workers took tasks"
