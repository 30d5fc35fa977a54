from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import BaseModelForm
from django.http import HttpRequest
from django.utils import timezone

from commitments import services
from commitments.models import Answer, CheckIn, Commitment, Question
from programs.admin_services import ServiceAdminMixin, ViewOnlyAdminMixin
from reminders.admin_base import CheckedModelAdmin, CheckedTabularInline


@admin.register(Question)
class QuestionAdmin(CheckedModelAdmin):
    """Written through the question services, as on the module's questions page."""

    list_display = ["text", "module", "kind", "is_required", "is_archived", "position"]
    list_filter = ["kind", "is_required", "is_archived", "module__program"]
    search_fields = ["text", "module__title", "module__program__name"]
    list_select_related = ["module"]
    raw_id_fields = ["module"]
    fields = ["module", "text", "kind", "choices", "is_required", "is_archived", "position"]

    def get_readonly_fields(self, request: HttpRequest, obj: Question | None = None) -> list[str]:
        # Positions move with the questions page's arrows; a question stays in its module.
        return ["position"] if obj is None else ["module", "position"]

    def save_model(
        self, request: HttpRequest, obj: Question, form: BaseModelForm, change: bool
    ) -> None:
        arguments: dict[str, Any] = {
            "text": obj.text,
            "kind": obj.kind,
            "choices": obj.choices,
            "is_required": obj.is_required,
        }
        if change:
            question = services.question_update(question=obj, **arguments)
        else:
            question = services.question_create(module=obj.module, **arguments)
            obj.pk = question.pk
            obj._state.adding = False
        if "is_archived" in form.changed_data:
            services.question_set_archived(question=question, is_archived=obj.is_archived)
        obj.refresh_from_db()


class AnswerInline(ViewOnlyAdminMixin, CheckedTabularInline):
    model = Answer
    extra = 0
    fields = ["question_text", "question_kind", "value"]
    readonly_fields = ["question_text", "question_kind"]


@admin.register(Commitment)
class CommitmentAdmin(ServiceAdminMixin, CheckedModelAdmin):
    """Made by participants; here only the reminder time changes (commitment_set_reminder,
    which moves the pending reminders), as on the commitment's page."""

    list_display = [
        "participant_name",
        "participant_email",
        "module",
        "session",
        "starts_on",
        "ends_on",
        "time_zone",
        "reminder_time",
        "ended_early_at",
        "source",
    ]
    list_filter = ["module__program", "source", "starts_on", "ends_on", "ended_early_at"]
    search_fields = [
        "participant_name",
        "participant_email",
        "session__title",
        "session__code",
        "module__title",
    ]
    list_select_related = ["module", "session"]
    raw_id_fields = ["session", "module"]
    date_hierarchy = "created_at"
    inlines = [AnswerInline]
    fields = [
        "session",
        "module",
        "participant_name",
        "participant_email",
        "time_zone",
        "starts_on",
        "duration_days",
        "ends_on",
        "reminder_time",
        "ended_early_at",
        "reflection",
        "reflected_at",
        "token_version",
        "source",
        "created_at",
    ]
    readonly_fields = [name for name in fields if name != "reminder_time"]  # type: ignore[misc]  # fields is a list of names here
    service_errors = (services.CommitmentEnded,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Commitment, form: BaseModelForm, change: bool
    ) -> None:
        services.commitment_set_reminder(
            commitment=obj, reminder_time=obj.reminder_time, now=timezone.now()
        )


@admin.register(Answer)
class AnswerAdmin(ViewOnlyAdminMixin, CheckedModelAdmin):
    list_display = ["question_text", "value", "commitment", "question_kind"]
    list_filter = ["question_kind", "commitment__module__program"]
    search_fields = ["question_text", "value", "commitment__participant_email"]
    # A commitment's name names its module.
    list_select_related = ["commitment__module"]
    raw_id_fields = ["commitment", "question"]


@admin.register(CheckIn)
class CheckInAdmin(ViewOnlyAdminMixin, CheckedModelAdmin):
    list_display = ["commitment", "day", "is_done", "rating", "updated_at"]
    list_filter = ["is_done", "day", "commitment__module__program"]
    search_fields = ["commitment__participant_name", "commitment__participant_email", "note"]
    list_select_related = ["commitment__module"]
    raw_id_fields = ["commitment"]
    date_hierarchy = "day"
