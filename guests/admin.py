from __future__ import annotations

from django.contrib import admin

from guests.models import GuestEntry, GuestLink
from reminders.admin_base import CheckedModelAdmin


@admin.register(GuestLink)
class GuestLinkAdmin(CheckedModelAdmin):
    list_display = ("session", "token_version", "regenerated_at", "created_at")
    list_filter = ("regenerated_at", "session__program")
    search_fields = ("session__title", "session__code")
    list_select_related = ("session",)
    raw_id_fields = ("session",)
    readonly_fields = ("token_version", "regenerated_at", "created_at")


@admin.register(GuestEntry)
class GuestEntryAdmin(CheckedModelAdmin):
    list_display = ("name", "session", "created_at")
    list_filter = ("created_at", "session__program")
    search_fields = ("name", "session__title", "session__code")
    list_select_related = ("session",)
    raw_id_fields = ("guest_link", "session")
