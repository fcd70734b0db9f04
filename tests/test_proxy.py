"""Behind a proxy, sign-in throttling counts the visitor's address, not the proxy's: the last
X-Forwarded-For address, believed from the proxies the deployment names (FORWARDED_ALLOW_IPS)
only, and from none unless it names one."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from django.test import RequestFactory

from tracker.proxy import client_ip

from .conftest import PASSWORD
from .test_settings import settings_in

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


# --- No proxy named: the default, `make demo` and `make serve` -----------------------------------


def test_no_proxy_is_believed_unless_the_deployment_names_one(monkeypatch):
    assert settings_in({"SECRET_KEY": "x"}, "s.FORWARDED_ALLOW_IPS").stdout.strip() == "([],)"
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    conf = runpy.run_path(str(Path(__file__).parent.parent / "tracker" / "gunicorn.conf.py"))
    assert conf["forwarded_allow_ips"] == ""  # gunicorn's own default would be 127.0.0.1,::1


def test_without_a_named_proxy_the_socket_address_counts_even_from_this_machine(settings):
    settings.FORWARDED_ALLOW_IPS = []
    assert address("127.0.0.1", "203.0.113.7") == "127.0.0.1"
    assert address("::1", "203.0.113.7") == "::1"
    assert address("", "203.0.113.7") == ""  # a unix socket's peer, when no proxy is named


def test_a_forwarded_value_that_is_not_an_address_is_not_believed():
    assert address(PROXY, "203.0.113.7, <script>") == PROXY
    assert address(PROXY, "unknown") == PROXY


def test_rotating_forwarded_addresses_from_this_machine_do_not_reset_the_lock(
    client, editor, settings
):
    """The attack on the demo and `make serve`: from 127.0.0.1, where they listen, a new
    X-Forwarded-For for every try. Without a named proxy they all count as 127.0.0.1."""
    settings.FORWARDED_ALLOW_IPS = []

    def attempt(password: str, n: int):
        return client.post(
            "/accounts/login/",
            {"username": "editor", "password": password},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )

    for n in range(1, 5):
        assert attempt("wrong", n).status_code == 200
    assert attempt("wrong", 5).status_code == 429
    for n in range(6, 9):  # the user stays locked out, whatever address is claimed next
        assert attempt(PASSWORD, n).status_code == 429
    assert "_auth_user_id" not in client.session
