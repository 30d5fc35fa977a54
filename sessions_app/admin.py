from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, BaseModelForm
from django.http import HttpRequest
from django.utils import timezone

from programs.admin_services import ServiceAdminMixin, ViewOnlyAdminMixin
from programs.requests import signed_in_user
from reminders.admin_base import CheckedModelAdmin, CheckedTabularInline
from sessions_app import services
from sessions_app.models import (
    Attendance,
    CalendarDecline,
    CalendarFeed,
    HostReminderSetting,
    Recording,
    Registration,
    RegistrationAnswer,
    RegistrationQuestion,
    ReplanJob,
    Session,
    WaitlistAnswer,
    WaitlistEntry,
)
from sessions_app.recordings import recording_delete

SCHEDULE_FIELDS = (
    "title",
    "description",
    "module",
    "starts_at",
    "time_zone",
    "duration_minutes",
    "theme",
    "is_registration_required",
    "capacity",
    "remind_day_before",
    "remind_hour_before",
    "remind_half_hour_before",
)
# Written only by the services and the live room; never typed in here.
SESSION_READONLY = (
    "code",
    "state",
    "sequence",
    "ends_at",
    "created_by",
    "started_at",
    "ended_at",
    "cancelled_at",
)


class RegistrationQuestionInline(CheckedTabularInline):
    model = RegistrationQuestion
    extra = 0
    fields = ("label", "kind", "choices", "is_required", "position")
    readonly_fields = ("position",)


@admin.register(Session)
class SessionAdmin(ServiceAdminMixin, CheckedModelAdmin):
    """Creation, every scheduled field, co-hosts and cancellation go through
    `sessions_app.services`, exactly as from the host pages: a new session gets its guest link
    and reminders, a moved one a higher sequence, the updated invite and moved reminders."""

    list_display = ("title", "program", "starts_at", "time_zone", "state", "code", "sequence")
    list_filter = ("state", "theme", "is_registration_required", "program")
    search_fields = ("title", "code", "program__name")
    date_hierarchy = "starts_at"
    list_select_related = ("program",)
    autocomplete_fields = ("program", "module", "co_hosts")
    fields = ("program", *SCHEDULE_FIELDS, "co_hosts", *SESSION_READONLY)
    inlines = [RegistrationQuestionInline]
    actions = ["cancel_sessions"]
    service_errors = (services.ScheduleError, ValueError)

    def get_readonly_fields(self, request: HttpRequest, obj: Session | None = None) -> tuple:
        if obj is None:
            return SESSION_READONLY
        if obj.is_cancelled:
            # session_update refuses a cancelled session: nothing here can change.
            return ("program", *SCHEDULE_FIELDS, "co_hosts", *SESSION_READONLY)
        # A session cannot move to another program: its registrations and links belong to it.
        return ("program", *SESSION_READONLY)

    def save_model(
        self, request: HttpRequest, obj: Session, form: BaseModelForm, change: bool
    ) -> None:
        co_hosts = form.cleaned_data.get("co_hosts")
        # The form has put its values on `obj`; the service compares them with the row.
        schedule = {name: getattr(obj, name) for name in SCHEDULE_FIELDS}
        now = timezone.now()
        if change:
            services.session_update(session=obj, now=now, co_hosts=co_hosts, **schedule)
            obj.refresh_from_db()
            return
        created = services.session_create(
            program=obj.program,
            created_by=signed_in_user(request),
            co_hosts=co_hosts or (),
            now=now,
            **schedule,
        )
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def save_related(
        self,
        request: HttpRequest,
        form: BaseModelForm,
        formsets: list[BaseInlineFormSet],
        change: bool,
    ) -> None:
        # Not form.save_m2m(): the service set the co-hosts and planned their reminders.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(
        self, request: HttpRequest, form: BaseModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is not RegistrationQuestion:
            super().save_formset(request, form, formset, change)
            return
        changed = formset.save(commit=False)
        for question in formset.deleted_objects:
            services.question_delete(question=question)
        for question in changed:
            if question.pk is None:
                services.question_create(
                    session=form.instance,
                    label=question.label,
                    kind=question.kind,
                    choices=question.choices,
                    is_required=question.is_required,
                )
            else:
                question.save()

    @admin.action(description="Cancel the selected sessions (every registrant is told)")
    def cancel_sessions(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        cancelled = 0
        for session in queryset.order_by("pk"):
            try:
                services.session_cancel(session=session, now=timezone.now())
            except services.ScheduleError as error:
                self.message_user(request, f"{session.title}: {error}", level=messages.ERROR)
            else:
                cancelled += 1
        if cancelled:
            self.message_user(request, f"{cancelled} session(s) cancelled.", messages.SUCCESS)


class RegistrationAnswerInline(CheckedTabularInline):
    model = RegistrationAnswer
    extra = 0
    readonly_fields = ("question", "question_label", "value")


@admin.register(Registration)
class RegistrationAdmin(CheckedModelAdmin):
    list_display = ("email", "name", "session", "source", "created_at")
    list_filter = ("source", "created_at", "session__program")
    search_fields = ("email", "name", "session__title", "session__code")
    list_select_related = ("session",)
    raw_id_fields = ("session", "added_by")
    readonly_fields = ("token_version", "created_at")
    inlines = [RegistrationAnswerInline]

    # People register on the session page or a host adds them (confirmation, reminders, link):
    # here they are only looked at, or removed as a host removes them.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Registration | None = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Registration) -> None:
        services.registration_cancel(registration=obj, now=timezone.now())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        for registration in queryset.order_by("pk"):
            services.registration_cancel(registration=registration, now=timezone.now())


@admin.register(RegistrationQuestion)
class RegistrationQuestionAdmin(CheckedModelAdmin):
    list_display = ("label", "session", "kind", "is_required", "position")
    list_filter = ("kind", "is_required")
    search_fields = ("label", "session__title", "session__code")
    list_select_related = ("session",)
    raw_id_fields = ("session",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: RegistrationQuestion | None = None
    ) -> tuple:
        return ("position",) if obj is None else ("session", "position")

    def save_model(
        self, request: HttpRequest, obj: RegistrationQuestion, form: BaseModelForm, change: bool
    ) -> None:
        if change:
            obj.save()
            return
        created = services.question_create(
            session=obj.session,
            label=obj.label,
            kind=obj.kind,
            choices=obj.choices,
            is_required=obj.is_required,
        )
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: RegistrationQuestion) -> None:
        services.question_delete(question=obj)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[RegistrationQuestion]
    ) -> None:
        for question in queryset.order_by("pk"):
            services.question_delete(question=question)


@admin.register(RegistrationAnswer)
class RegistrationAnswerAdmin(ViewOnlyAdminMixin, CheckedModelAdmin):
    list_display = ("question_label", "value", "registration")
    list_filter = ("registration__session__program",)
    search_fields = ("question_label", "value", "registration__email")
    list_select_related = ("registration",)
    raw_id_fields = ("registration", "question")


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ViewOnlyAdminMixin, CheckedModelAdmin):
    """Made and reset by the host on My Sessions (the address is derived from the row)."""

    list_display = ("user", "token_version", "reset_at", "created_at")
    list_filter = ("reset_at",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("token_version", "reset_at", "created_at")


@admin.register(Attendance)
class AttendanceAdmin(ViewOnlyAdminMixin, CheckedModelAdmin):
    """Written by the live room (rooms.py), which also keeps the cached poll state in step."""

    list_display = ("name", "session", "role", "status", "arrived_at", "joined_at", "left_at")
    list_filter = ("role", "status", "session__program")
    search_fields = ("name", "participant_key", "session__title", "session__code")
    list_select_related = ("session",)
    raw_id_fields = ("session", "user", "registration")


@admin.register(Recording)
class RecordingAdmin(CheckedModelAdmin):
    list_display = (
        "original_name",
        "session",
        "source",
        "status",
        "size_bytes",
        "uploaded_by",
        "created_at",
    )
    list_filter = ("status", "source", "created_at", "session__program")
    search_fields = ("original_name", "session__title", "session__code")
    list_select_related = ("session", "uploaded_by")
    raw_id_fields = ("session", "uploaded_by")
    readonly_fields = ("size_bytes", "created_at", "attempts", "processed_at", "failure_reason")

    # Uploaded from the host room (size limit, storage name); here shown and deleted only.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Recording | None = None) -> bool:
        return False

    # The admin's own delete would leave the file in storage.
    def delete_model(self, request: HttpRequest, obj: Recording) -> None:
        recording_delete(recording=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Recording]) -> None:
        for recording in queryset:
            recording_delete(recording=recording)


@admin.register(ReplanJob)
class ReplanJobAdmin(CheckedModelAdmin):
    """Background replans of a session's registrants: read-only, the task writes them."""

    list_display = (
        "id",
        "session",
        "kind",
        "status",
        "done",
        "total",
        "batches",
        "requested_at",
        "finished_at",
    )
    list_filter = ("status", "kind", "requested_at")
    search_fields = ("session__title", "session__code", "error")
    list_select_related = ("session",)
    date_hierarchy = "requested_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReplanJob | None = None) -> bool:
        return False


class WaitlistAnswerInline(CheckedTabularInline):
    model = WaitlistAnswer
    extra = 0
    readonly_fields = ("question", "question_label", "value")


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ViewOnlyAdminMixin, CheckedModelAdmin):
    """Written by the registration services (a freed seat registers the first one waiting);
    hosts reorder it on the session page."""

    list_display = ("name", "email", "session", "position", "time_zone", "created_at")
    list_filter = ("created_at", "session__program")
    search_fields = ("name", "email", "session__title", "session__code")
    list_select_related = ("session",)
    inlines = [WaitlistAnswerInline]


@admin.register(WaitlistAnswer)
class WaitlistAnswerAdmin(ViewOnlyAdminMixin, CheckedModelAdmin):
    """Kept from the registration form while the person waits; moved to the registration with
    the seat."""

    list_display = ("question_label", "value", "entry")
    list_filter = ("entry__session__program",)
    search_fields = ("question_label", "value", "entry__email")
    list_select_related = ("entry",)
    raw_id_fields = ("entry", "question")


@admin.register(HostReminderSetting)
class HostReminderSettingAdmin(ViewOnlyAdminMixin, CheckedModelAdmin):
    """Switched by the host under E-mail settings or by a host reminder's one-click
    unsubscribe (`services.host_reminders_switch` replans the reminders)."""

    list_display = ("user", "program", "wants_session_reminders", "updated_at")
    list_filter = ("wants_session_reminders", "program")
    search_fields = ("user__email", "program__name")
    list_select_related = ("user", "program")
    readonly_fields = ("token_version", "updated_at")


@admin.register(CalendarDecline)
class CalendarDeclineAdmin(ViewOnlyAdminMixin, CheckedModelAdmin):
    """Written when a calendar's "Decline" comes back (sessions_app.calendar_replies)."""

    list_display = ("name", "email", "session", "declined_at")
    list_filter = ("declined_at", "session__program")
    search_fields = ("name", "email", "session__title", "session__code")
    list_select_related = ("session",)
