"""Behind a proxy, sign-in throttling counts the visitor's address, not the proxy's: the last
X-Forwarded-For address, believed from the proxy's addresses (FORWARDED_ALLOW_IPS) only."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from tracker.proxy import client_ip

from .conftest import PASSWORD

PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def behind_a_proxy(settings):
    settings.FORWARDED_ALLOW_IPS = [PROXY]


def address(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_through_the_proxy_the_visitor_is_the_address_the_proxy_added():
    assert address(PROXY, "203.0.113.7") == "203.0.113.7"
    assert (
        address(PROXY, "198.51.100.1, 203.0.113.7") == "203.0.113.7"
    )  # the first is the client's say


def test_a_request_from_elsewhere_cannot_choose_its_address():
    assert address("203.0.113.7", "198.51.100.1") == "203.0.113.7"


def test_the_proxys_own_requests_keep_its_address():
    assert address(PROXY) == PROXY
    assert address(PROXY, " ") == PROXY


def test_a_wildcard_believes_every_sender(settings):
    settings.FORWARDED_ALLOW_IPS = ["*"]
    assert address("192.0.2.1", "203.0.113.7") == "203.0.113.7"


def sign_in(client, username: str, password: str, visitor: str):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=visitor,
    )


def test_five_failures_through_the_proxy_lock_that_visitor_out_not_the_others(client, editor):
    for _ in range(5):
        sign_in(client, "editor", "wrong", "203.0.113.7")
    assert sign_in(client, "editor", PASSWORD, "203.0.113.7").status_code == 429
    assert sign_in(client, "editor", PASSWORD, "198.51.100.9").status_code == 302


def _request(remote: str, forwarded: str):
    return RequestFactory().post(
        "/accounts/login/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
    )


def test_a_proxy_named_by_its_network_in_forwarded_allow_ips_gives_the_visitors_address(settings):
    # gunicorn (tracker/gunicorn.conf.py reads the same FORWARDED_ALLOW_IPS) accepts networks
    # and believes 10.0.0.7's X-Forwarded-Proto; the app does not believe its X-Forwarded-For, so
    # every visitor is counted as the proxy's one address: five wrong passwords from anyone
    # lock a username out for everyone.
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.0/8"]
    assert client_ip(_request("10.0.0.7", "203.0.113.5")) == "203.0.113.5"


def test_behind_a_proxy_on_a_unix_socket_throttling_counts_the_visitors_address(settings):
    # README's BIND=unix:/run/tracker/gunicorn.sock: gunicorn sets REMOTE_ADDR to "" and trusts a
    # unix-socket peer; the app counts every visitor as "".
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1", "::1"]
    assert client_ip(_request("", "203.0.113.5")) == "203.0.113.5"
