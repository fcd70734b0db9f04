"""The sign-in forms (the site's and the admin's): Django's, refusing at once a username
longer than any account's. Such a name matches no one, and sign-in throttling (django-axes)
would fail to store it as the name tried (a server error on PostgreSQL)."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm


class RefusesLongUsernames:
    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if len(username) > (self.username_field.max_length or 150):
            raise self.get_invalid_login_error()
        return super().clean()


class SignInForm(RefusesLongUsernames, AuthenticationForm):
    pass


class AdminSignInForm(RefusesLongUsernames, AdminAuthenticationForm):
    pass
