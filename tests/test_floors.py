"""The benchmark's floors stay bare: /healthz reads nothing from the database, even with a
session cookie (as the benchmark sends it); /readyz reads one query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.perf


def test_the_floors_read_no_session(client, editor):
    client.force_login(editor)  # the cookie travels with every request, as wrk sends it
    for path, queries in (("/healthz", 0), ("/readyz", 1)):
        with CaptureQueriesContext(connection) as ran:
            assert client.get(path).status_code == 200
        assert len(ran) == queries, (path, [q["sql"] for q in ran])
