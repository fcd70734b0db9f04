from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .. import actions, permissions
from ..models import ApiToken
from ..reauth import ask_to_confirm, confirmed_recently
from .common import render_page


class NewKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label=gettext_lazy("What it is for"),
        help_text=gettext_lazy("e.g. “the ministry's data portal”"),
    )


@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    """The user's keys for the read API: make one (its key shown once, here), revoke one.
    Making one asks for a recent confirmation (``reauth``): a key opens the tracker without
    a password or a second factor. Revoking never does."""
    making = request.POST.get("action") == "make"
    form = NewKeyForm(
        request.POST if making else None,
        initial={"name": request.GET.get("name", "")[:100]},  # back from confirming
    )
    key = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            token = permissions.get_api_token_for_user(request.user, request.POST.get("token"))
            actions.revoke_api_key(token=token, by=request.user, request=request)
            messages.success(
                request,
                _("“%(name)s” revoked: it no longer opens the API.") % {"name": token.name},
            )
            return redirect("agreements:api_keys")
        if not confirmed_recently(request):
            messages.info(request, _("Confirm it is you, then make the key."))
            typed = request.POST.get("name", "")[:100]
            back = reverse("agreements:api_keys") + (
                f"?{urlencode({'name': typed})}" if typed else ""
            )
            return ask_to_confirm(request, back)
        if form.is_valid():
            _token, key = actions.make_api_key(
                user=request.user, name=form.cleaned_data["name"], request=request
            )
            form = NewKeyForm()
    context = {
        "form": form,
        "key": key,  # shown this once: only its digest is kept
        "tokens": ApiToken.objects.filter(user=request.user),
        "api_root": request.build_absolute_uri("/api/v1/"),
        "confirmed": confirmed_recently(request),
    }
    status = 422 if form.errors else 200
    return render_page(request, "agreements/api_keys.html", context, status=status)
