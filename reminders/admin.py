from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from reminders.admin_base import CheckedModelAdmin, CheckedTabularInline
from reminders.models import CapturedEmail, Message, MessageEvent, ProviderHealth
from reminders.services import outbox_retry


class MessageEventInline(CheckedTabularInline):
    model = MessageEvent
    extra = 0
    can_delete = False
    readonly_fields = ("status", "detail", "created_at")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(CheckedModelAdmin):
    list_display = (
        "id",
        "kind",
        "recipient_email",
        "status",
        "due_at",
        "sent_at",
        "attempts",
        "delivery_status",
        "topic",
    )
    list_filter = ("status", "kind", "delivery_status", "due_at")
    search_fields = (
        "recipient_email",
        "recipient_name",
        "topic",
        "dedupe_key",
        "provider_message_id",
        "subject",
    )
    date_hierarchy = "due_at"
    readonly_fields = ("created_at", "updated_at", "leased_until", "content_type", "object_id")
    inlines = [MessageEventInline]
    actions = ["retry_now"]

    @admin.action(description="Send again now (failed, skipped or cancelled messages)")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        count = outbox_retry(
            message_ids=list(queryset.values_list("pk", flat=True)), now=timezone.now()
        )
        self.message_user(request, f"{count} message(s) queued again.")


@admin.register(MessageEvent)
class MessageEventAdmin(CheckedModelAdmin):
    list_display = ("message", "status", "detail", "created_at")
    list_filter = ("status",)
    search_fields = ("message__recipient_email", "message__topic", "detail")
    list_select_related = ("message",)
    raw_id_fields = ("message",)


@admin.register(CapturedEmail)
class CapturedEmailAdmin(CheckedModelAdmin):
    list_display = ("subject", "to", "created_at", "message")
    list_filter = ("created_at",)
    search_fields = ("subject", "to")
    raw_id_fields = ("message",)


@admin.register(ProviderHealth)
class ProviderHealthAdmin(CheckedModelAdmin):
    """Written by the dispatcher only: shown, not edited."""

    list_display = ("name", "failing_since", "last_failure_at", "last_success_at", "last_error")
    list_filter = ("failing_since",)
    search_fields = ("name", "last_error")
    readonly_fields = (
        "name",
        "failing_since",
        "last_error",
        "last_failure_at",
        "last_success_at",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
