from __future__ import annotations

from django.contrib import admin

from programs.models import HostInvitation, Module, Program, ProgramHost


class ProgramHostInline(admin.TabularInline):
    model = ProgramHost
    extra = 0
    autocomplete_fields = ("user",)


class ModuleInline(admin.TabularInline):
    model = Module
    extra = 0
    fields = ("position", "title", "is_activated", "commitment_days")


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "created_at")
    list_filter = ("time_zone", "created_at")
    search_fields = ("name", "description", "host_roles__user__email")
    inlines = [ProgramHostInline, ModuleInline]


@admin.register(ProgramHost)
class ProgramHostAdmin(admin.ModelAdmin):
    list_display = ("user", "program", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "user__username", "program__name")
    list_select_related = ("user", "program")
    autocomplete_fields = ("user", "program")


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ("title", "program", "position", "is_activated", "commitment_days")
    list_filter = ("is_activated", "program")
    search_fields = ("title", "description", "program__name")
    list_select_related = ("program",)
    autocomplete_fields = ("program",)


@admin.register(HostInvitation)
class HostInvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "program", "role", "invited_by", "created_at", "accepted_at")
    list_filter = ("role", ("accepted_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "program__name")
    list_select_related = ("program", "invited_by")
    readonly_fields = ("token_version", "accepted_at", "accepted_by")
