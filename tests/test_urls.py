"""Every URL needs a signed-in user, except signing in itself, the health checks and the
calendar feeds (whose secret address is the credential: tests/test_calendar.py)."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import get_converters

# The only pages an anonymous visitor may reach: the two sign-in pages, the health checks, and
# a calendar feed by its secret address (an unknown address answers 404), and the language
# switch of the sign-in page (POST only: it sets a cookie; tests/test_translations.py).
PUBLIC = {
    "language_set": "/accounts/language/",
    "login": "/accounts/login/",
    "admin:login": "/admin/login/",
    "healthz": "/healthz",
    "readyz": "/readyz",
    "agreements:calendar_feed": "/calendar/unknown.ics",
}


def all_url_patterns(resolver=None, prefix="", namespace=""):
    """Yield (route, qualified name) for every pattern, admin included."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from all_url_patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name or ''}"


# A value each path converter of ours takes where 1 is not one: a kind of record.
CONCRETE = {"paged": "commitment"}


def _concrete(match: re.Match) -> str:
    """A value the converter named in ``<converter:name>`` takes: 1 as it writes it (a typed
    id's converter writes ``meeting-1``)."""
    name = match.group(1)
    if name in CONCRETE:
        return CONCRETE[name]
    return str(get_converters()[name].to_url(1)) if name else "1"


def concrete_path(route: str) -> str:
    """Turn a route into a path a request can take, with 1 for every parameter."""
    path = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
    path = re.sub(r"<(?:(\w+):)?\w+>", _concrete, path)  # path() converters
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", path)  # re_path() groups
    path = re.sub(r"\(\?:[^)]*\)\??", "", path)
    return "/" + path


ALL_PATTERNS = sorted(set(all_url_patterns()))
# The read API asks for its own key instead of a session (tests/test_api.py).
API = [(route, name) for route, name in ALL_PATTERNS if name.startswith("api:")]
PATTERNS = [(r, n) for r, n in ALL_PATTERNS if n not in PUBLIC and (r, n) not in API]


def test_url_patterns_are_collected():
    names = {name for _, name in ALL_PATTERNS}
    assert {"login", "logout", "agreements:dashboard", "admin:index"} <= names
    assert set(PUBLIC) <= names


@pytest.mark.parametrize(("route", "name"), PATTERNS, ids=[f"{n}:{r}" for r, n in PATTERNS])
def test_every_url_requires_login(client, route, name, db):
    response = client.get(concrete_path(route))
    # Our pages redirect to our sign-in page; the admin redirects to its own.
    assert response.status_code in (301, 302), (route, response.status_code)
    location = response.headers["Location"]
    assert "/login/" in location, (route, location)


@pytest.mark.parametrize(("route", "name"), API, ids=[f"{n}:{r}" for r, n in API])
def test_every_api_url_needs_a_key(client, route, name, db):
    """Without a key: 401 (the document describing the API aside; no page at its root)."""
    expected = {"api:openapi-json": 200, "api:api-root": 404}.get(name, 401)
    assert client.get(concrete_path(route)).status_code == expected, route


@pytest.mark.parametrize("name", ["login", "admin:login"])
def test_sign_in_pages_are_public(client, db, name):
    response = client.get(PUBLIC[name])
    assert response.status_code == 200
    assert b'type="password"' in response.content


def test_health_check_is_public_and_says_nothing_else(client, db):
    response = client.get(PUBLIC["healthz"])
    assert (response.status_code, response.content) == (200, b"ok")


@pytest.mark.perf
def test_readiness_asks_the_database_once(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(PUBLIC["readyz"])
    assert (response.status_code, response.content) == (200, b"ok")


def test_readiness_answers_503_when_the_database_does_not(client, db, monkeypatch):
    from django.db import OperationalError, connection

    def refuse():
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(connection, "cursor", refuse)
        response = client.get(PUBLIC["readyz"])
    assert (response.status_code, response.content) == (503, b"database unavailable")
    assert client.get(PUBLIC["healthz"]).status_code == 200  # liveness does not ask it
