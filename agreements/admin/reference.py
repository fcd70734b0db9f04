"""Teams, parties, persons and sources."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import actions, documents
from .. import models as m
from .base import (
    LIST_PER_PAGE,
    AppendOnlyAdmin,
    IdSafeAddresses,
    IdSafeFields,
    Inline,
    ReadOnlyInline,
    RecordsAdmin,
    RefusalsShown,
    VersionCheckedAdmin,
    VersionCheckedForm,
)

# --- Teams and reference data -----------------------------------------------------------------


class TeamMembershipInline(Inline):
    model = m.TeamMembership
    select_related = ("user", "team")
    extra = 1
    can_delete = True  # leaving a team (see ``RecordsAdmin``)
    autocomplete_fields = ["user"]


@admin.register(m.Team)
class TeamAdmin(IdSafeFields, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    ordering = ["name"]
    list_per_page = LIST_PER_PAGE
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TeamMembershipInline]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # every record hangs from a team


@admin.register(m.TeamMembership)
class TeamMembershipAdmin(RecordsAdmin):
    list_display = ["user", "team", "role"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "team__name"]
    ordering = ["team__name", "user__username"]
    autocomplete_fields = ["user", "team"]
    list_select_related = ["user", "team"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super(RecordsAdmin, self).has_delete_permission(request, obj)  # leaving a team


class PartyAliasInline(Inline):
    """The other names and codes a party goes by, as pickers find it ("USA", "EE. UU.").
    Like every record here, never deleted: one entered wrongly is corrected in place."""

    model = m.PartyAlias
    fields = ["name"]
    extra = 1


@admin.register(m.Party)
class PartyAdmin(RecordsAdmin):
    list_display = ["name", "code", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "code", "aliases__name"]
    ordering = ["name"]
    inlines = [PartyAliasInline]


@admin.register(m.PartyAlias)
class PartyAliasAdmin(RecordsAdmin):
    """Every alias at once, to find which party a name points to (each party's page keeps
    its own, inline)."""

    list_display = ["name", "party"]
    search_fields = ["name", "party__name", "party__code"]
    autocomplete_fields = ["party"]
    list_select_related = ["party"]
    ordering = ["name"]


@admin.register(m.Theme)
class ThemeAdmin(RecordsAdmin):
    """The themes every team's commitments are filed under. Retired by archiving, never
    deleted: commitments and their history name them."""

    list_display = ["name", "code", "archived", "description"]
    list_filter = ["archived"]
    search_fields = ["name", "code", "description"]
    ordering = ["archived", "name"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        # The code is the key in every commitment's row and in saved addresses (?theme=…).
        return ["code"] if obj is not None else []


@admin.register(m.Person)
class PersonAdmin(RecordsAdmin):
    list_display = ["name", "current_office", "party", "team"]
    list_filter = ["team", "party"]
    list_select_related = ["party", "team"]
    search_fields = ["name", "current_office"]
    ordering = ["name", "pk"]
    autocomplete_fields = ["party"]


@admin.register(m.CalendarFeed)
class CalendarFeedAdmin(RecordsAdmin):
    """Users' calendar addresses (made on /calendar/): an admin sees who has one and can
    retire it; the address itself is never shown here."""

    list_display = ["user", "issued_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    ordering = ["user__username"]
    fields = ["user", "issued_at"]
    readonly_fields = ["user", "issued_at"]
    actions = ["reset"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # each user makes their own

    @admin.action(description=_("Retire the selected addresses (each gets a new one)"))
    def reset(self, request: HttpRequest, queryset) -> None:
        for feed in queryset.select_related("user"):
            actions.reset_calendar_address(feed=feed, by=request.user, request=request)
        count = len(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d calendar address retired.",
                "%(count)d calendar addresses retired.",
                count,
            )
            % {"count": count},
        )


@admin.register(m.Preference)
class PreferenceAdmin(RefusalsShown, IdSafeFields, IdSafeAddresses, admin.ModelAdmin):
    """Each user's interface language (they choose it from any page's header): a setting of
    theirs, not a record, so it keeps no history."""

    list_per_page = LIST_PER_PAGE
    list_display = ["user", "language"]
    list_filter = ["language"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    ordering = ["user__username"]
    autocomplete_fields = ["user"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # as for every record (``RecordsAdmin``)


@admin.register(m.ApiToken)
class ApiTokenAdmin(RecordsAdmin):
    """Users' API keys (made on /api-keys/): an admin sees who has which and revokes them; the
    keys themselves are never stored, only their digests."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__username", "prefix"]
    list_select_related = ["user"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # each user makes their own, and sees the key once

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset) -> None:
        live = list(queryset.filter(revoked_at__isnull=True).select_related("user"))
        for token in live:
            actions.revoke_api_key(token=token, by=request.user, request=request)
        count = len(live)
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", count) % {"count": count},
        )


class SourceAdminForm(VersionCheckedForm):
    """A source cited by records keeps its team: moving it would make them cite another
    team's source (see ``SourcesOfTheTeamForm``)."""

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "team" in self.changed_data:
            citing = [
                str(rel.related_model._meta.verbose_name_plural)
                for rel in m.Source._meta.related_objects
                if rel.many_to_many and getattr(self.instance, rel.get_accessor_name()).exists()
            ]
            if citing:
                self.add_error(
                    "team",
                    gettext(
                        "This source is cited by %(records)s of its team; remove it from them "
                        "before moving it to another team."
                    )
                    % {"records": ", ".join(citing)},
                )
        return cleaned


class SourceFileInline(ReadOnlyInline):
    """The documents kept with a source, as kept (on the pages, never here)."""

    model = m.SourceFile
    fields = ["name", "content_type", "size", "sha256", "retrieved_on", "added_by", "added_at"]
    readonly_fields = fields
    select_related = ("added_by",)


class KeptTypeFilter(admin.SimpleListFilter):
    """The types a file may be kept as (``documents.TYPES``), rather than Django's list of the
    distinct values, which reads every row of the table."""

    title = _("type")
    parameter_name = "content_type"

    def lookups(self, request, model_admin):
        return [(kind, name) for kind, (_endings, name) in documents.TYPES.items()]

    def queryset(self, request, queryset):
        if self.value() in documents.TYPES:
            return queryset.filter(content_type=self.value())
        return queryset


@admin.register(m.SourceFile)
class SourceFileAdmin(AppendOnlyAdmin):
    """Kept documents, to read: they are kept from the meeting's page and never changed or
    deleted (evidence)."""

    list_display = [
        "name",
        "source",
        "content_type",
        "size",
        "retrieved_on",
        "added_by",
        "extraction",
    ]
    list_filter = [KeptTypeFilter, "extraction"]
    search_fields = ["name", "sha256", "source__title"]
    list_select_related = ["source", "added_by"]
    exclude = ["text"]
    readonly_fields = [
        "source",
        "key",
        "name",
        "content_type",
        "size",
        "sha256",
        "retrieved_on",
        "added_by",
        "added_at",
        "extraction",
        "extraction_note",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(m.Source)
class SourceAdmin(VersionCheckedAdmin):
    form = SourceAdminForm
    inlines = [SourceFileInline]
    list_display = [
        "title",
        "kind",
        "publisher",
        "published_on",
        "accessed_on",
        "reliability",
        "team",
    ]
    list_filter = ["team", "kind", "reliability", "publisher"]
    search_fields = ["title", "publisher", "url"]
    ordering = ["-published_on", "title", "pk"]
    date_hierarchy = "published_on"
    autocomplete_fields = ["team", "meeting"]
    list_select_related = ["team"]
