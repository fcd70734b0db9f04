"""What the proxy in front tells the app: the visitor's address (README: Deployment)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _is_proxy(remote: str, trusted: list[str]) -> bool:
    """Whether ``remote`` is one of the proxies the deployment names in ``FORWARDED_ALLOW_IPS``
    (none by default: then nobody is): an address or network named there, anything with
    ``*``, and, once a proxy is named, a peer on a unix socket (no address: only a process on
    this machine can connect there, and gunicorn trusts it too)."""
    if not trusted:
        return False
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
    """The visitor's address, as sign-in throttling and the security log count it
    (``AXES_CLIENT_IP_CALLABLE``).

    ``REMOTE_ADDR``, unless that is a proxy's the deployment names (``FORWARDED_ALLOW_IPS``,
    the addresses and networks gunicorn also believes, or a unix socket's peer once a proxy is
    named; none by default, so ``make demo`` and ``make serve`` count the socket's address):
    then the last address of ``X-Forwarded-For``, the one the proxy itself added, when it is an
    address. Earlier ones came from the client and may be made up; a request that reaches the
    app other than through a named proxy cannot choose its address by sending the header.
    """
    remote = request.META.get("REMOTE_ADDR")
    if _is_proxy(remote or "", settings.FORWARDED_ALLOW_IPS):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass  # none, or not an address: the proxy's own request
    return remote
