from __future__ import annotations

from django.contrib import admin

from commitments.models import Answer, CheckIn, Commitment, Question
from reminders.admin_base import CheckedModelAdmin, CheckedTabularInline


@admin.register(Question)
class QuestionAdmin(CheckedModelAdmin):
    list_display = ["text", "module", "kind", "is_required", "is_archived", "position"]
    list_filter = ["kind", "is_required", "is_archived", "module__program"]
    search_fields = ["text", "module__title", "module__program__name"]
    list_select_related = ["module"]
    raw_id_fields = ["module"]


class AnswerInline(CheckedTabularInline):
    model = Answer
    extra = 0
    fields = ["question_text", "question_kind", "value"]
    readonly_fields = ["question_text", "question_kind"]


@admin.register(Commitment)
class CommitmentAdmin(CheckedModelAdmin):
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
    ]
    list_filter = ["module__program", "starts_on", "ends_on", "ended_early_at"]
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


@admin.register(Answer)
class AnswerAdmin(CheckedModelAdmin):
    list_display = ["question_text", "value", "commitment", "question_kind"]
    list_filter = ["question_kind", "commitment__module__program"]
    search_fields = ["question_text", "value", "commitment__participant_email"]
    # A commitment's name names its module.
    list_select_related = ["commitment__module"]
    raw_id_fields = ["commitment", "question"]


@admin.register(CheckIn)
class CheckInAdmin(CheckedModelAdmin):
    list_display = ["commitment", "day", "is_done", "rating", "updated_at"]
    list_filter = ["is_done", "day", "commitment__module__program"]
    search_fields = ["commitment__participant_name", "commitment__participant_email", "note"]
    list_select_related = ["commitment__module"]
    raw_id_fields = ["commitment"]
    date_hierarchy = "day"
