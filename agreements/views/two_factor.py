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
from django.contrib.auth import authenticate, logout
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import actions
from ..actions.security import Kind, record_event
from ..middleware import TWO_FACTOR_KEY, two_factor_required
from ..reauth import ask_to_confirm, confirm_first, confirmed_recently, mark_confirmed

# The name of the app's device (stored, and looked up by name): not interface text.
APP = "Authenticator app"
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
        device, waiting = _check_code(request, form.cleaned_data["code"], step="sign-in")
        if device is not None:
            otp_login(request, device)
            mark_confirmed(request)
            record_event(Kind.SECOND_FACTOR_PASSED, request=request, user=request.user)
            _recovery_code_used(request, device)
            return redirect(next_url)
        form.add_error(
            "code", TOO_FAST if waiting else _("That code is not right, or is no longer valid.")
        )
    status = 422 if form.errors else 200
    context = {"form": form, "next": next_url}
    return render(request, "registration/verify.html", context, status=status)


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """ "Confirm it is you" before a change to how one signs in, or before making what opens
    the tracker without a password (``agreements.reauth``): a code when the user has two-factor
    sign-in on, else their password, counted by sign-in throttling like any sign-in (a session
    whose guesses lock the username is signed out)."""
    next_url = _next(request)
    user = request.user
    with_code = bool(_devices(user))
    form = (CodeForm if with_code else PasswordForm)(request.POST or None)
    if form.is_valid():
        if with_code:
            device, waiting = _check_code(request, form.cleaned_data["code"], step="confirm")
            confirmed = device is not None
            if device is not None:
                _recovery_code_used(request, device)
            wrong = TOO_FAST if waiting else _("That code is not right, or is no longer valid.")
        else:
            given = authenticate(
                request, username=user.get_username(), password=form.cleaned_data["password"]
            )
            confirmed = given is not None and given.pk == user.pk
            if getattr(request, "axes_locked_out", False):
                logout(request)  # AxesMiddleware answers with the lockout page
                return HttpResponse(status=429)
            wrong = _("That password is not right.")
        if confirmed:
            mark_confirmed(request)
            record_event(Kind.IDENTITY_CONFIRMED, request=request, user=user)
            return redirect(next_url)
        form.add_error("code" if with_code else "password", wrong)
    context = {"form": form, "next": next_url, "with_code": with_code, "minutes": _minutes()}
    return render(request, "registration/confirm.html", context, status=422 if form.errors else 200)


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in on, or, once it is on, make new recovery codes or turn it off.
    Each of these asks for a recent confirmation (``reauth``) when posted: someone holding a
    session for a few minutes must not swap the owner's second factor for their own."""
    user = request.user
    app = confirmed_app(user)
    if request.method == "POST" and not confirmed_recently(request):
        messages.info(request, _("Confirm it is you, then do it again."))
        return ask_to_confirm(request)
    if app is not None:
        action = request.POST.get("action")
        if action == "new_codes":
            codes = actions.make_recovery_codes(user=user, request=request)
            return render(request, "registration/two_factor.html", _on(user, codes))
        if action == "off":
            actions.turn_off_second_factor(user=user, by=user, request=request)
            request.session[TWO_FACTOR_KEY] = False
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("two_factor")
        return render(request, "registration/two_factor.html", _on(user))
    pending, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": APP}
    )
    form = CodeForm(request.POST or None)
    form.fields["code"].help_text = _("The 6 digits the app shows now.")
    if form.is_valid():
        waiting = _waiting([pending])
        if pending.verify_token(form.cleaned_data["code"].replace(" ", "")):
            codes = actions.turn_on_second_factor(device=pending, request=request)
            otp_login(request, pending)
            mark_confirmed(request)
            request.session[TWO_FACTOR_KEY] = True
            messages.success(request, _("Two-factor sign-in is on."))
            return render(request, "registration/two_factor.html", _on(user, codes))
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


class PasswordChange(PasswordChangeView):
    """Django's password change, after a recent confirmation (``reauth``: the code, for a user
    with two-factor sign-in on), and in the security log."""

    success_url = "/"

    def form_valid(self, form):
        response = super().form_valid(form)
        actions.password_changed(user=self.request.user, by=self.request.user, request=self.request)
        messages.success(self.request, _("Your password is changed."))
        return response


password_change = confirm_first(sensitive_post_parameters()(PasswordChange.as_view()))


def _on(user, codes: list[str] | None = None) -> dict:
    return {
        "on": True,
        "codes": codes,
        "required": two_factor_required(user),
        "minutes": _minutes(),
    }


def _minutes() -> int:
    return settings.RECENT_CONFIRMATION_SECONDS // 60


def _check_code(request: HttpRequest, code: str, *, step: str):
    """The user's device that accepts ``code`` (app or recovery code), and whether a wrong code
    had made them wait; a wrong code is in the security log."""
    code = code.replace(" ", "")
    devices = _devices(request.user)
    waiting = _waiting(devices)
    for device in devices:
        if device.verify_token(code):
            return device, waiting
    record_event(Kind.SECOND_FACTOR_FAILED, request=request, user=request.user, detail=step)
    return None, waiting


def _recovery_code_used(request: HttpRequest, device) -> None:
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
        messages.warning(
            request,
            ngettext(
                "Recovery code used: %(left)s left. Set up new ones on the two-factor page.",
                "Recovery code used: %(left)s left. Set up new ones on the two-factor page.",
                left,
            )
            % {"left": left},
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
