"""What the proxy in front tells the app: the visitor's address (README: Deployment)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _is_proxy(remote: str, trusted: list[str]) -> bool:
    """Whether ``remote`` is one of the proxies gunicorn believes: an address or network of
    ``FORWARDED_ALLOW_IPS``, anything with ``*``, and a peer on a unix socket (no address:
    only a process on this machine can connect there, and gunicorn trusts it too)."""
    if "*" in trusted or not remote:
        return True
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address, as sign-in throttling counts it (``AXES_CLIENT_IP_CALLABLE``).

    ``REMOTE_ADDR``, unless that is the proxy's (``FORWARDED_ALLOW_IPS``, the addresses and
    networks gunicorn also believes, or a unix socket's peer): then the last address of
    ``X-Forwarded-For``, the one the proxy itself added. Earlier ones came from the client and
    may be made up; a request that reaches the app directly cannot choose its address by
    sending the header.
    """
    remote = request.META.get("REMOTE_ADDR")
    if _is_proxy(remote or "", settings.FORWARDED_ALLOW_IPS):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return remote
