from __future__ import annotations

from django.contrib import admin

from sessions_app.models import Session


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("title", "program", "starts_at", "time_zone", "state", "code", "sequence")
    list_filter = ("state", "theme", "is_registration_required", "program")
    search_fields = ("title", "code", "program__name")
    date_hierarchy = "starts_at"
    list_select_related = ("program",)
    autocomplete_fields = ("program", "module", "co_hosts")
    readonly_fields = ("code", "sequence", "started_at", "ended_at", "cancelled_at")
