from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .. import permissions
from ..models import ApiToken
from .common import render_page


class NewKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label=gettext_lazy("What it is for"),
        help_text=gettext_lazy("e.g. “the ministry's data portal”"),
    )


@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    """The user's keys for the read API: make one (its key shown once, here), revoke one."""
    form = NewKeyForm(request.POST if request.POST.get("action") == "make" else None)
    key = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            token = permissions.get_api_token_for_user(request.user, request.POST.get("token"))
            token.revoke()
            messages.success(
                request,
                _("“%(name)s” revoked: it no longer opens the API.") % {"name": token.name},
            )
            return redirect("agreements:api_keys")
        if form.is_valid():
            _token, key = ApiToken.issue(request.user, form.cleaned_data["name"])
            form = NewKeyForm()
    context = {
        "form": form,
        "key": key,  # shown this once: only its digest is kept
        "tokens": ApiToken.objects.filter(user=request.user),
        "api_root": request.build_absolute_uri("/api/v1/"),
    }
    status = 422 if form.errors else 200
    return render_page(request, "agreements/api_keys.html", context, status=status)
