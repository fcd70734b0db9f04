"""Account security in the admin, for records admins (superusers) only: the security log, read
only; locked usernames, to unlock; two-factor devices, to turn someone's off (never to add one,
change one or read its secret); users' passwords, set only after confirming it is you."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import actions
from .. import models as m
from ..reauth import confirm_first, confirmation_url, confirmed_recently
from .base import LIST_PER_PAGE, IdSafeAddresses
from .scale import AtScale

User = get_user_model()


class RecordsAdminsOnly:
    """Seen by records admins (superusers) alone, whatever permissions a staff user holds."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser


class ReadOnly(RecordsAdminsOnly):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(m.SecurityEvent)
class SecurityEventAdmin(AtScale, ReadOnly, IdSafeAddresses, admin.ModelAdmin):
    """The security log: append-only, read here, never added to, changed or deleted (on
    PostgreSQL the database refuses too)."""

    list_display = ["at", "kind", "username", "by", "ip_address", "detail", "path"]
    list_filter = ["kind", "at"]  # "at": a date filter, not a date_hierarchy (scale.py)
    search_fields = ["username", "ip_address", "request_id", "user_agent"]
    list_select_related = ["by"]
    list_per_page = LIST_PER_PAGE
    # The log grows for ever: no count of it all on each page (AtScale).
    actions = None
    fields = [
        "at",
        "kind",
        "username",
        "user",
        "by",
        "ip_address",
        "user_agent",
        "path",
        "request_id",
        "detail",
    ]
    readonly_fields = fields


class HoldsFilter(admin.SimpleListFilter):
    title = _("in force")
    parameter_name = "holds"

    def lookups(self, request, model_admin):
        return [("1", _("Locked now")), ("0", _("Ended or unlocked"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.holding()
        if self.value() == "0":
            return queryset.exclude(pk__in=m.SignInLock.objects.holding().values("pk"))
        return queryset


@admin.register(m.SignInLock)
class SignInLockAdmin(ReadOnly, IdSafeAddresses, admin.ModelAdmin):
    """Usernames locked for every address after failed sign-ins from many (``agreements.signin``);
    "Unlock" lets them sign in again at once (the unlock is in the security log)."""

    list_display = ["username", "locked_at", "until", "failures", "addresses", "in_force"]
    list_filter = [HoldsFilter, "locked_at"]
    search_fields = ["username"]
    list_per_page = LIST_PER_PAGE
    fields = [
        "username",
        "locked_at",
        "until",
        "failures",
        "addresses",
        "unlocked_at",
        "unlocked_by",
    ]
    readonly_fields = fields
    actions = ["unlock"]

    @admin.display(boolean=True, description=_("locked now"))
    def in_force(self, lock: m.SignInLock) -> bool:
        return lock.holds

    @admin.action(description=_("Unlock the selected usernames"))
    def unlock(self, request: HttpRequest, queryset) -> None:
        count = sum(
            actions.unlock_username(lock=lock, by=request.user, request=request)
            for lock in queryset
        )
        self.message_user(
            request,
            ngettext("%(count)d username unlocked.", "%(count)d usernames unlocked.", count)
            % {"count": count},
        )


# --- Two-factor devices: seen, and turned off, never added or changed ---------------------------


class DeviceAdmin(RecordsAdminsOnly):
    """An admin helps someone who lost both their phone and their recovery codes by turning
    their second factor off (they set it up again at their next sign-in, where it is required).
    Adding or changing a device here would let an admin hold someone else's second factor:
    refused. Turning one off asks the admin to have confirmed it is them recently, and is in
    the security log."""

    actions = ["turn_off"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # "Turn off" instead: all of the user's devices, in the log

    @admin.action(description=_("Turn off two-factor sign-in for their users (app and codes)"))
    def turn_off(self, request: HttpRequest, queryset) -> None:
        if not confirmed_recently(request):
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("Turning off someone's second factor needs a recent confirmation."),
                    confirmation_url(request.get_full_path()),
                    _("Confirm it is you, then do it again."),
                ),
                messages.ERROR,
            )
            return
        users = User.objects.filter(pk__in=queryset.values("user"))
        count = sum(
            bool(
                actions.turn_off_second_factor(
                    user=user, by=request.user, request=request, detail="by an admin"
                )
            )
            for user in users
        )
        self.message_user(
            request,
            ngettext(
                "Two-factor sign-in turned off for %(count)d user.",
                "Two-factor sign-in turned off for %(count)d users.",
                count,
            )
            % {"count": count},
        )


admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(TOTPDevice)
class AppAdmin(DeviceAdmin, TOTPDeviceAdmin):
    pass


@admin.register(StaticDevice)
class RecoveryCodesAdmin(DeviceAdmin, StaticDeviceAdmin):
    pass


# --- Users' passwords -----------------------------------------------------------------------------


def password_change(view):
    """``AdminSite.password_change`` (an admin's own password), after a recent confirmation,
    and in the security log."""

    @confirm_first
    def wrapped(request: HttpRequest, extra_context=None):
        response = view(request, extra_context)
        if request.method == "POST" and response.status_code == 302:
            actions.password_changed(user=request.user, by=request.user, request=request)
        return response

    return wrapped


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    """Django's, but setting someone's password asks the admin to have confirmed it is them
    recently, and the change is in the security log."""

    @method_decorator(confirm_first)
    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            actions.password_changed(user=user, by=request.user, request=request)
        return response
