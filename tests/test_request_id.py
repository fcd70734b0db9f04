"""Every request has an id: the proxy's when well-formed, else a new one; it goes back in the
response's X-Request-ID and onto every log line of the request, written as JSON on stdout."""

from __future__ import annotations

import io
import json
import logging
import re
import sys

import pytest

from tracker.logs import JsonFormatter, RequestIdFilter, current_request_id


@pytest.fixture
def log_lines():
    """The JSON lines the configured stdout handler writes during the test."""
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        handler.setStream(previous)


@pytest.mark.parametrize(
    "incoming",
    ["0f9c2a4e6b8d4f10a2c3e5f7a9b1d3c5", "5d2c1e64-8a0b-4f7e-9c3d-2b1a0f9e8d7c", "Root.1:abc_2-x"],
)
def test_a_well_formed_request_id_from_the_proxy_is_kept(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["", "x" * 101, "two words", 'quo"te', "new\nline", "{json}", "ümlaut", "a/b", "a;b=c"],
)
def test_a_malformed_request_id_is_replaced_by_a_new_one(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert response["X-Request-ID"] != incoming


def test_a_request_without_an_id_gets_a_new_one_each_time(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


def test_redirects_and_refusals_carry_the_id_too(client):
    to_sign_in = client.get("/", headers={"X-Request-ID": "signin-1"})
    assert to_sign_in.status_code == 302
    assert to_sign_in["X-Request-ID"] == "signin-1"
    refused = client.post("/healthz", headers={"X-Request-ID": "post-1"})
    assert refused.status_code == 405
    assert refused["X-Request-ID"] == "post-1"


@pytest.mark.django_db
def test_djangos_request_log_lines_carry_the_request_id(client, log_lines):
    response = client.get("/no-such-page", headers={"X-Request-ID": "trace-404"})
    assert response.status_code == 404
    [line] = [line for line in log_lines() if line["logger"] == "django.request"]
    assert line["request_id"] == "trace-404"
    assert line["level"] == "WARNING"
    assert line["status_code"] == 404
    assert line["message"] == "Not Found: /no-such-page"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])
    assert "request" not in line  # Django's request object is not a plain value


def test_a_log_line_after_the_request_has_no_id(client, log_lines):
    client.get("/healthz", headers={"X-Request-ID": "over-soon"})
    logging.getLogger("agreements").warning("between requests")
    [line] = log_lines()
    assert line["message"] == "between requests"
    assert line["request_id"] is None


def test_a_log_line_holds_its_extra_values_and_its_traceback():
    record = logging.LogRecord("agreements", logging.ERROR, __file__, 1, "failed %s", ("x",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    record.rows = 3
    record.obj = object()
    token = current_request_id.set("abc")
    try:
        RequestIdFilter().filter(record)
    finally:
        current_request_id.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed x"
    assert line["request_id"] == "abc"
    assert line["rows"] == 3
    assert "obj" not in line
    assert line["exception"].startswith("Traceback") and "ValueError: boom" in line["exception"]
    assert "\n" not in JsonFormatter().format(record)
