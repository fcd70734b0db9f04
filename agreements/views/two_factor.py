"""Two-factor sign-in: an authenticator app (TOTP, RFC 6238) with recovery codes, through
django-otp. Any user turns it on here; admins and editors must (``agreements.middleware``).

After the password, a user with a confirmed device is sent to ``verify`` until they give a code
from the app or one of their recovery codes (each works once). Setting up: ``two_factor``
shows a new secret as a QR code and as text, and confirms it with a first code; the recovery
codes are shown once, then.
"""

from __future__ import annotations

import base64
import io

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..middleware import TWO_FACTOR_KEY, two_factor_required

RECOVERY_CODES = 10
# The names of the devices (stored, and looked up by name): not interface text.
APP, RECOVERY = "Authenticator app", "Recovery codes"
TOO_FAST = gettext_lazy(
    "Too many wrong codes in a row: wait a few seconds, then enter the current one."
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=gettext_lazy(
            "The 6 digits your authenticator app shows now, or one of your recovery codes."
        ),
    )


def confirmed_app(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@sensitive_post_parameters()  # codes are never logged nor shown back on an error page
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app or a recovery code."""
    next_url = _next(request)
    if request.user.is_verified():
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        code = form.cleaned_data["code"].replace(" ", "")
        devices = _devices(request.user)
        waiting = _waiting(devices)
        for device in devices:
            if device.verify_token(code):
                otp_login(request, device)
                if isinstance(device, StaticDevice):
                    left = device.token_set.count()
                    messages.warning(
                        request,
                        ngettext(
                            "Recovery code used: %(left)s left. Set up new ones on the "
                            "two-factor page.",
                            "Recovery code used: %(left)s left. Set up new ones on the "
                            "two-factor page.",
                            left,
                        )
                        % {"left": left},
                    )
                return redirect(next_url)
        form.add_error(
            "code", TOO_FAST if waiting else _("That code is not right, or is no longer valid.")
        )
    status = 422 if form.errors else 200
    context = {"form": form, "next": next_url}
    return render(request, "registration/verify.html", context, status=status)


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in on (or see that it is, and make new recovery codes)."""
    user = request.user
    app = confirmed_app(user)
    if app is not None:
        if request.method == "POST" and request.POST.get("action") == "new_codes":
            codes = _new_recovery_codes(user)
            return render(request, "registration/two_factor.html", {"on": True, "codes": codes})
        return render(request, "registration/two_factor.html", {"on": True})
    pending, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": APP}
    )
    form = CodeForm(request.POST or None)
    form.fields["code"].help_text = _("The 6 digits the app shows now.")
    if form.is_valid():
        waiting = _waiting([pending])
        if pending.verify_token(form.cleaned_data["code"].replace(" ", "")):
            with transaction.atomic():
                pending.confirmed = True
                pending.save()
                codes = _new_recovery_codes(user)
            otp_login(request, pending)
            request.session[TWO_FACTOR_KEY] = True
            messages.success(request, _("Two-factor sign-in is on."))
            return render(request, "registration/two_factor.html", {"on": True, "codes": codes})
        form.add_error(
            "code",
            TOO_FAST
            if waiting
            else _("That code does not match: check the app's clock and try again."),
        )
    context = {
        "on": False,
        "form": form,
        "required": two_factor_required(user),
        "secret": base64.b32encode(pending.bin_key).decode(),
        "qr": _qr_data_uri(pending.config_url),
    }
    return render(
        request, "registration/two_factor.html", context, status=422 if form.errors else 200
    )


def _waiting(devices) -> bool:
    """Whether a wrong code made the next one wait: each doubles the wait (django-otp's
    throttling), so guessing is hopeless, and even the right code is refused meanwhile."""
    return any(not device.verify_is_allowed()[0] for device in devices)


def _devices(user) -> list:
    return [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]


def _new_recovery_codes(user) -> list[str]:
    """Ten new codes, each good once; the old ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _qr_data_uri(text: str) -> str:
    """The QR code as an image URL of its own (the CSP allows data: images, not inline SVG
    styles)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=5, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe and wanted else resolve_url(settings.LOGIN_REDIRECT_URL)
