"""What the proxy in front tells the app: the visitor's address (README: Deployment)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address, as sign-in throttling counts it (``AXES_CLIENT_IP_CALLABLE``).

    ``REMOTE_ADDR``, unless that is the proxy's (``FORWARDED_ALLOW_IPS``, the addresses gunicorn
    also believes): then the last address of ``X-Forwarded-For``, the one the proxy itself
    added. Earlier ones came from the client and may be made up; a request that reaches the app
    directly cannot choose its address by sending the header.
    """
    remote = request.META.get("REMOTE_ADDR")
    trusted = settings.FORWARDED_ALLOW_IPS
    if remote in trusted or "*" in trusted:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return remote
