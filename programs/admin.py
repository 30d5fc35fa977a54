"""The admin writes through the services, as the host pages do (docs/headers-and-admin.md).

Hosts are added with `host_invite` (the person is told) and removed with `host_remove` (never
the last owner); members are added and paused through `programs.members`, rounds scheduled,
moved and cancelled through `programs.rounds`. What no service writes is read-only here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, BaseModelForm
from django.http import HttpRequest
from django.utils import timezone

from programs import members, rounds, services
from programs.admin_services import ServiceAdminMixin, ViewOnlyAdminMixin
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
from programs.requests import signed_in_user
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


def _host_add(*, program: Program, user: User, role: str, invited_by: User) -> None:
    if not user.email:
        # host_invite finds the account by its address.
        raise ValueError(f"{user} has no e-mail address: give the account one first.")
    services.host_invite(
        program=program, email=user.email, role=role, invited_by=invited_by, now=timezone.now()
    )


def _host_remove(host_role: ProgramHost) -> None:
    services.host_remove(program=host_role.program, host_role=host_role, now=timezone.now())


class ProgramHostInline(CheckedTabularInline):
    """The program's hosts: shown, and removed as on the hosts page. The person is shown, not a
    search box: a selected autocomplete option costs a query per row."""

    model = ProgramHost
    extra = 0
    fields = ("user", "role")
    readonly_fields = ("user", "role")
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
class ProgramAdmin(ServiceAdminMixin, CheckedModelAdmin):
    list_display = ("name", "time_zone", "group_size", "is_opt_in_enabled", "created_at")
    list_filter = ("time_zone", "group_size", "is_opt_in_enabled", "created_at")
    search_fields = ("name", "description", "host_roles__user__email")
    inlines = [ProgramHostInline, NewProgramHostInline, ModuleInline]

    def save_formset(
        self, request: HttpRequest, form: BaseModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is not ProgramHost:
            super().save_formset(request, form, formset, change)
            return
        new_roles = formset.save(commit=False)
        for host_role in formset.deleted_objects:
            _host_remove(host_role)
        for host_role in new_roles:
            if host_role.pk is None:
                _host_add(
                    program=form.instance,
                    user=host_role.user,
                    role=host_role.role,
                    invited_by=signed_in_user(request),
                )


@admin.register(ProgramHost)
class ProgramHostAdmin(ServiceAdminMixin, CheckedModelAdmin):
    """Added with host_invite (the person is told, their reminders planned), removed with
    host_remove; a role row is not edited in place."""

    list_display = ("user", "program", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "user__username", "program__name")
    list_select_related = ("user", "program")
    autocomplete_fields = ("user", "program")

    def has_change_permission(self, request: HttpRequest, obj: ProgramHost | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: ProgramHost, form: BaseModelForm, change: bool
    ) -> None:
        _host_add(
            program=obj.program, user=obj.user, role=obj.role, invited_by=signed_in_user(request)
        )
        added = ProgramHost.objects.get(program=obj.program, user=obj.user)
        obj.pk = added.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: ProgramHost) -> None:
        _host_remove(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ProgramHost]) -> None:
        for host_role in queryset.select_related("program", "user").order_by("program_id", "pk"):
            try:
                _host_remove(host_role)
            except ValueError as error:  # the last owner stays
                self.message_user(request, f"{host_role.user}: {error}", level=messages.ERROR)


@admin.register(Module)
class ModuleAdmin(CheckedModelAdmin):
    list_display = ("title", "program", "position", "is_activated", "commitment_days")
    list_filter = ("is_activated", "program")
    search_fields = ("title", "description", "program__name")
    list_select_related = ("program",)
    autocomplete_fields = ("program",)


@admin.register(HostInvitation)
class HostInvitationAdmin(ServiceAdminMixin, CheckedModelAdmin):
    """Sent with host_invite, as from the hosts page: the e-mail with the link goes out."""

    list_display = ("email", "program", "role", "invited_by", "created_at", "accepted_at")
    list_filter = ("role", ("accepted_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "program__name")
    list_select_related = ("program", "invited_by")
    fields = ("program", "email", "role")
    autocomplete_fields = ("program",)

    def has_change_permission(
        self, request: HttpRequest, obj: HostInvitation | None = None
    ) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: HostInvitation, form: BaseModelForm, change: bool
    ) -> None:
        if services.account_for_email(obj.email) is not None:
            # host_invite would make them a host at once, and there would be no invitation.
            raise ValueError(f"{obj.email} has an account: add it under the program's hosts.")
        _outcome, invitation = services.host_invite(
            program=obj.program,
            email=obj.email,
            role=obj.role,
            invited_by=signed_in_user(request),
            now=timezone.now(),
        )
        obj.pk = invitation.pk
        obj.refresh_from_db()
        obj._state.adding = False


MEMBER_EDITABLE = ("name", "time_zone", "category")


class MemberAdminForm(CheckedInputMixin, forms.ModelForm):
    class Meta:
        model = Member
        fields = ("program", "email", *MEMBER_EDITABLE)  # the admin narrows them further

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        program, email = cleaned.get("program"), (cleaned.get("email") or "").strip()
        # The roster's own words, before the database constraint's.
        if (
            program
            and email
            and Member.objects.filter(program=program, email__iexact=email).exists()
        ):
            self.add_error("email", f"{email} is on the roster already.")
        return cleaned


@admin.register(Member)
class MemberAdmin(ServiceAdminMixin, CheckedModelAdmin):
    """Added with member_create (asked in an open round), paused or back with member_set_status
    (pending opt-ins follow), renamed with member_update; the address and program stay."""

    list_display = ("name", "email", "program", "status", "category", "time_zone", "created_at")
    list_filter = ("status", "program", "category")
    search_fields = ("name", "email", "category", "program__name")
    list_select_related = ("program",)
    autocomplete_fields = ("program",)
    fields = ("program", "email", *MEMBER_EDITABLE, "status", "token_version", "status_changed_at")
    form = MemberAdminForm
    service_errors = (members.MemberError, ValueError)

    def get_readonly_fields(self, request: HttpRequest, obj: Member | None = None) -> tuple:
        if obj is None:
            return ("status", "token_version", "status_changed_at")
        return ("program", "email", "token_version", "status_changed_at")

    def save_model(
        self, request: HttpRequest, obj: Member, form: BaseModelForm, change: bool
    ) -> None:
        now = timezone.now()
        if not change:
            created = members.member_create(
                program=obj.program,
                name=obj.name,
                email=obj.email,
                time_zone=obj.time_zone,
                category=obj.category,
                now=now,
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            obj._state.adding = False
            return
        current = Member.objects.get(pk=obj.pk)
        if any(getattr(current, name) != getattr(obj, name) for name in MEMBER_EDITABLE):
            members.member_update(
                member=current, name=obj.name, time_zone=obj.time_zone, category=obj.category
            )
        members.member_set_status(member=current, status=obj.status, now=now)
        obj.refresh_from_db()


ROUND_READONLY = (
    "state",
    "previous_round",
    "seed",
    "sequence",
    "opened_at",
    "matched_at",
    "cancelled_at",
    "created_by",
)


@admin.register(Round)
class RoundAdmin(ServiceAdminMixin, CheckedModelAdmin):
    """Scheduled with round_schedule, moved with round_reschedule (a higher sequence; pending
    opt-ins expire at the new match), cancelled with round_cancel (an action)."""

    list_display = ("program", "state", "opt_in_at", "match_at", "time_zone", "recurrence_weeks")
    list_filter = ("state", "recurrence_weeks", "program")
    search_fields = ("program__name", "time_zone")
    list_select_related = ("program",)
    autocomplete_fields = ("program",)
    date_hierarchy = "match_at"
    fields = ("program", "opt_in_at", "match_at", "time_zone", "recurrence_weeks", *ROUND_READONLY)
    actions = ["cancel_rounds"]
    service_errors = (rounds.RoundError, ValueError)

    def get_readonly_fields(self, request: HttpRequest, obj: Round | None = None) -> tuple:
        if obj is None:
            return ROUND_READONLY
        if not obj.is_changeable:
            return (
                "program",
                "opt_in_at",
                "match_at",
                "time_zone",
                "recurrence_weeks",
                *ROUND_READONLY,
            )
        # As on the round's page: only the moments move.
        return ("program", "time_zone", "recurrence_weeks", *ROUND_READONLY)

    def save_model(
        self, request: HttpRequest, obj: Round, form: BaseModelForm, change: bool
    ) -> None:
        now = timezone.now()
        if not change:
            created = rounds.round_schedule(
                program=obj.program,
                match_at=obj.match_at,
                opt_in_at=obj.opt_in_at,
                time_zone=obj.time_zone,
                recurrence_weeks=obj.recurrence_weeks,
                created_by=signed_in_user(request),
                now=now,
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            obj._state.adding = False
            return
        current = Round.objects.get(pk=obj.pk)
        if (current.match_at, current.opt_in_at) != (obj.match_at, obj.opt_in_at):
            rounds.round_reschedule(
                round_=current, match_at=obj.match_at, opt_in_at=obj.opt_in_at, now=now
            )
        obj.refresh_from_db()

    @admin.action(description="Cancel the selected rounds (nothing more is sent for them)")
    def cancel_rounds(self, request: HttpRequest, queryset: QuerySet[Round]) -> None:
        cancelled = 0
        for round_ in queryset.order_by("pk"):
            try:
                rounds.round_cancel(round_=round_, now=timezone.now())
            except rounds.RoundError as error:
                self.message_user(request, f"Round {round_.pk}: {error}", level=messages.ERROR)
            else:
                cancelled += 1
        if cancelled:
            self.message_user(request, f"{cancelled} round(s) cancelled.", messages.SUCCESS)


@admin.register(OptIn)
class OptInAdmin(ViewOnlyAdminMixin, CheckedModelAdmin):
    """Answers come from the members' own links (opt_in_answer): shown only."""

    list_display = ("member", "round", "answer", "answered_at", "first_answered_at")
    list_filter = ("answer", "round__program")
    search_fields = ("member__name", "member__email", "round__program__name")
    list_select_related = ("member", "round__program")
    raw_id_fields = ("member", "round")


@admin.register(Match)
class MatchAdmin(ViewOnlyAdminMixin, CheckedModelAdmin):
    """Groups are made by round_match, which also e-mails them: shown only."""

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
