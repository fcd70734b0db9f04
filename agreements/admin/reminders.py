"""Reminders, read-only: who follows which commitment, and which digests went out (written
only by the pages and the background tasks)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .. import models as m
from .base import AppendOnlyAdmin


class ReadOnlyAdmin(AppendOnlyAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(m.Follow)
class FollowAdmin(ReadOnlyAdmin):
    list_display = ["user", "commitment", "created_at"]
    words_of = "commitment"
    search_fields = ["user__username", "commitment__title"]
    list_filter = [("created_at", admin.DateFieldListFilter)]  # no date_hierarchy: scale.py
    list_select_related = ["user", "commitment"]
    fields = ["user", "commitment", "created_at"]
    readonly_fields = fields


@admin.register(m.DigestSent)
class DigestSentAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "day", "sent_at"]
    list_filter = ["kind", "day"]
    search_fields = ["user__username"]
    date_hierarchy = "day"
    list_select_related = ["user"]
    fields = ["user", "kind", "day", "sent_at"]
    readonly_fields = fields
