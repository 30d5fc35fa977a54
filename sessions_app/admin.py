from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from sessions_app.models import (
    Attendance,
    CalendarFeed,
    Recording,
    Registration,
    RegistrationAnswer,
    RegistrationQuestion,
    Session,
)
from sessions_app.recordings import recording_delete


class RegistrationQuestionInline(admin.TabularInline):
    model = RegistrationQuestion
    extra = 0


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("title", "program", "starts_at", "time_zone", "state", "code", "sequence")
    list_filter = ("state", "theme", "is_registration_required", "program")
    search_fields = ("title", "code", "program__name")
    date_hierarchy = "starts_at"
    list_select_related = ("program",)
    autocomplete_fields = ("program", "module", "co_hosts")
    readonly_fields = ("code", "sequence", "ends_at", "started_at", "ended_at", "cancelled_at")
    inlines = [RegistrationQuestionInline]


class RegistrationAnswerInline(admin.TabularInline):
    model = RegistrationAnswer
    extra = 0
    readonly_fields = ("question", "question_label", "value")


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "session", "source", "created_at")
    list_filter = ("source", "created_at", "session__program")
    search_fields = ("email", "name", "session__title", "session__code")
    list_select_related = ("session",)
    raw_id_fields = ("session", "added_by")
    readonly_fields = ("token_version", "created_at")
    inlines = [RegistrationAnswerInline]


@admin.register(RegistrationQuestion)
class RegistrationQuestionAdmin(admin.ModelAdmin):
    list_display = ("label", "session", "kind", "is_required", "position")
    list_filter = ("kind", "is_required")
    search_fields = ("label", "session__title", "session__code")
    list_select_related = ("session",)
    raw_id_fields = ("session",)


@admin.register(RegistrationAnswer)
class RegistrationAnswerAdmin(admin.ModelAdmin):
    list_display = ("question_label", "value", "registration")
    list_filter = ("registration__session__program",)
    search_fields = ("question_label", "value", "registration__email")
    list_select_related = ("registration",)
    raw_id_fields = ("registration", "question")


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ("user", "token_version", "reset_at", "created_at")
    list_filter = ("reset_at",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("token_version", "reset_at", "created_at")


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ("name", "session", "role", "status", "arrived_at", "joined_at", "left_at")
    list_filter = ("role", "status", "session__program")
    search_fields = ("name", "participant_key", "session__title", "session__code")
    list_select_related = ("session",)
    raw_id_fields = ("session", "user", "registration")


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
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

    # The admin's own delete would leave the file in storage.
    def delete_model(self, request: HttpRequest, obj: Recording) -> None:
        recording_delete(recording=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Recording]) -> None:
        for recording in queryset:
            recording_delete(recording=recording)
