from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from agreements import api
from agreements.forms.accounts import SignInForm
from agreements.views import language, two_factor


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and the benchmark's floor: the app answers, nothing else."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready to serve: the database answers one query. 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    # Sign-in and sign-out only: accounts are made by admins, passwords reset by admins.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/verify/", two_factor.verify, name="two_factor_verify"),
    path("accounts/two-factor/", two_factor.setup, name="two_factor"),
    # "Confirm it is you" again, before a change to how one signs in (agreements/reauth.py).
    path("accounts/confirm/", two_factor.confirm, name="confirm_identity"),
    path("accounts/language/", language.language_set, name="language_set"),
    path("accounts/password/", two_factor.password_change, name="password_change"),
    # The read API: its own key on every request, not the session (agreements/api.py).
    path("api/v1/", api.urls()),
    path("", include("agreements.urls")),
]

# A database that does not answer is a 503 that keeps what was typed, not a bare 500.
handler500 = "agreements.views.errors.server_error"
