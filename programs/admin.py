from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.forms import BaseModelForm
from django.http import HttpRequest
from django.utils import timezone

from programs.forms import AdminLoginForm
from programs.models import (
    HostInvitation,
    Match,
    Member,
    Module,
    OptIn,
    Program,
    ProgramHost,
    Round,
)
from programs.services import hosts_changed
from reminders.admin_base import CheckedAdminMixin, CheckedModelAdmin, CheckedTabularInline
from reminders.text import CheckedInputMixin

# The admin's sign-in page counts password guesses with the site's own sign-in.
admin.site.login_form = AdminLoginForm


class CheckedUserChangeForm(CheckedInputMixin, auth_forms.UserChangeForm):
    pass


class CheckedUserCreationForm(CheckedInputMixin, auth_forms.AdminUserCreationForm):
    pass


class CheckedUserAdmin(UserAdmin):
    """Django's user admin with the project's text checks: a host's name reaches e-mail
    headers (the To of their reminders and resets) like every other name."""

    form = CheckedUserChangeForm
    add_form = CheckedUserCreationForm


class CheckedGroupAdmin(CheckedAdminMixin, GroupAdmin):
    pass


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), CheckedUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, CheckedGroupAdmin)


class ProgramHostInline(CheckedTabularInline):
    """The program's hosts: role and removal. The person is shown, not a search box: a
    selected autocomplete option costs a query per row."""

    model = ProgramHost
    extra = 0
    fields = ("user", "role")
    readonly_fields = ("user",)
    verbose_name_plural = "hosts"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProgramHost]:
        return super().get_queryset(request).select_related("user", "program")

    def has_add_permission(self, request: HttpRequest, obj: Program | None = None) -> bool:
        return False


class NewProgramHostInline(CheckedTabularInline):
    """Rows to add hosts, with the person picked by search."""

    model = ProgramHost
    extra = 1
    fields = ("user", "role")
    autocomplete_fields = ("user",)
    verbose_name = "new host"
    verbose_name_plural = "add hosts"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProgramHost]:
        return super().get_queryset(request).none()


class ModuleInline(CheckedTabularInline):
    model = Module
    extra = 0
    fields = ("position", "title", "is_activated", "commitment_days")


@admin.register(Program)
class ProgramAdmin(CheckedModelAdmin):
    list_display = ("name", "time_zone", "group_size", "is_opt_in_enabled", "created_at")
    list_filter = ("time_zone", "group_size", "is_opt_in_enabled", "created_at")
    search_fields = ("name", "description", "host_roles__user__email")
    inlines = [ProgramHostInline, NewProgramHostInline, ModuleInline]

    def save_related(
        self, request: HttpRequest, form: BaseModelForm, formsets, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        if any(formset.model is ProgramHost and formset.has_changed() for formset in formsets):
            hosts_changed(program_id=form.instance.pk, now=timezone.now())


@admin.register(ProgramHost)
class ProgramHostAdmin(CheckedModelAdmin):
    list_display = ("user", "program", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "user__username", "program__name")
    list_select_related = ("user", "program")
    autocomplete_fields = ("user", "program")

    # Rows edited here bypass programs.services: plan or cancel host reminders the same way.
    def save_model(self, request: HttpRequest, obj: ProgramHost, form, change: bool) -> None:
        earlier = form.initial.get("program") if change else None
        super().save_model(request, obj, form, change)
        for program_id in {obj.program_id, earlier} - {None}:
            hosts_changed(program_id=program_id, now=timezone.now())

    def delete_model(self, request: HttpRequest, obj: ProgramHost) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)
            hosts_changed(program_id=obj.program_id, now=timezone.now())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ProgramHost]) -> None:
        with transaction.atomic():
            program_ids = set(queryset.values_list("program_id", flat=True))
            super().delete_queryset(request, queryset)
            for program_id in sorted(program_ids):
                hosts_changed(program_id=program_id, now=timezone.now())


@admin.register(Module)
class ModuleAdmin(CheckedModelAdmin):
    list_display = ("title", "program", "position", "is_activated", "commitment_days")
    list_filter = ("is_activated", "program")
    search_fields = ("title", "description", "program__name")
    list_select_related = ("program",)
    autocomplete_fields = ("program",)


@admin.register(HostInvitation)
class HostInvitationAdmin(CheckedModelAdmin):
    list_display = ("email", "program", "role", "invited_by", "created_at", "accepted_at")
    list_filter = ("role", ("accepted_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "program__name")
    list_select_related = ("program", "invited_by")
    readonly_fields = ("token_version", "accepted_at", "accepted_by")


@admin.register(Member)
class MemberAdmin(CheckedModelAdmin):
    list_display = ("name", "email", "program", "status", "category", "time_zone", "created_at")
    list_filter = ("status", "program", "category")
    search_fields = ("name", "email", "category", "program__name")
    list_select_related = ("program",)
    autocomplete_fields = ("program",)
    readonly_fields = ("token_version", "status_changed_at")


@admin.register(Round)
class RoundAdmin(CheckedModelAdmin):
    list_display = ("program", "state", "opt_in_at", "match_at", "time_zone", "recurrence_weeks")
    list_filter = ("state", "recurrence_weeks", "program")
    search_fields = ("program__name", "time_zone")
    list_select_related = ("program",)
    autocomplete_fields = ("program",)
    date_hierarchy = "match_at"
    raw_id_fields = ("previous_round", "created_by")
    readonly_fields = ("seed", "sequence", "opened_at", "matched_at", "cancelled_at")


@admin.register(OptIn)
class OptInAdmin(CheckedModelAdmin):
    list_display = ("member", "round", "answer", "answered_at", "first_answered_at")
    list_filter = ("answer", "round__program")
    search_fields = ("member__name", "member__email", "round__program__name")
    list_select_related = ("member", "round__program")
    raw_id_fields = ("member", "round")


@admin.register(Match)
class MatchAdmin(CheckedModelAdmin):
    list_display = ("number", "round", "member_names", "created_at")
    list_filter = ("round__program", "created_at")
    search_fields = ("members__name", "members__email", "round__program__name")
    list_select_related = ("round__program",)
    raw_id_fields = ("round",)
    filter_horizontal = ("members",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Match]:
        return super().get_queryset(request).prefetch_related("members")

    @admin.display(description="Members")
    def member_names(self, match: Match) -> str:
        return ", ".join(member.name for member in match.members.all())
