"""Guest links are issued with the session and replaced with `guest_link_regenerate` (an
action here, as the dashboard's button); entries are made by guests coming in."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from guests.models import GuestEntry, GuestLink
from guests.services import guest_link_regenerate
from programs.admin_services import ViewOnlyAdminMixin
from reminders.admin_base import CheckedModelAdmin


@admin.register(GuestLink)
class GuestLinkAdmin(ViewOnlyAdminMixin, CheckedModelAdmin):
    list_display = ("session", "token_version", "regenerated_at", "created_at")
    list_filter = ("regenerated_at", "session__program")
    search_fields = ("session__title", "session__code")
    list_select_related = ("session",)
    raw_id_fields = ("session",)
    readonly_fields = ("token_version", "regenerated_at", "created_at")
    actions = ["regenerate_links"]

    # The rows are not edited in place, but whoever may change them may replace the link.
    def has_regenerate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("guests.change_guestlink")

    @admin.action(
        description="Regenerate the selected guest links (the old ones stop working)",
        permissions=["regenerate"],
    )
    def regenerate_links(self, request: HttpRequest, queryset: QuerySet[GuestLink]) -> None:
        for guest_link in queryset.order_by("pk"):
            guest_link_regenerate(guest_link=guest_link, now=timezone.now())
        self.message_user(
            request, f"{queryset.count()} guest link(s) regenerated.", messages.SUCCESS
        )


@admin.register(GuestEntry)
class GuestEntryAdmin(ViewOnlyAdminMixin, CheckedModelAdmin):
    list_display = ("name", "session", "created_at", "link_version", "revoked_at")
    list_filter = ("created_at", "revoked_at", "session__program")
    search_fields = ("name", "session__title", "session__code")
    list_select_related = ("session",)
    raw_id_fields = ("guest_link", "session")
