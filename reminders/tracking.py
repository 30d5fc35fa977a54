"""Delivery tracking: django-anymail's webhooks report what became of each sent message.

Webhooks are routed only for the providers in `TRACKING_WEBHOOK_PROVIDERS` and only with
`ANYMAIL["WEBHOOK_SECRET"]` set (see `reminders.views.webhooks.tracking_webhook` and the system check
in `reminders.checks`). Providers retry and reorder their calls, so each report is applied in
the provider's timestamp order: an older report never replaces a newer status, except that a
bounce, rejection or complaint always wins and then sticks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from anymail import urls as anymail_urls
from anymail.signals import AnymailTrackingEvent, EventType
from django.db import transaction
from django.utils import timezone

from reminders.models import DeliveryStatus, Message
from reminders.services import message_events_record

# The tracking webhook views django-anymail ships, by the provider name in their URL.
TRACKING_WEBHOOK_VIEWS = {
    pattern.name.removesuffix("_tracking_webhook"): pattern.callback.view_class
    for pattern in anymail_urls.urlpatterns
    if pattern.name and pattern.name.endswith("_tracking_webhook")
}

# The same for received mail: django-anymail parses it and sends its `inbound` signal, which
# the app that wants the mail receives (sessions_app: calendar replies).
INBOUND_WEBHOOK_VIEWS = {
    pattern.name.removesuffix("_inbound_webhook"): pattern.callback.view_class
    for pattern in anymail_urls.urlpatterns
    if pattern.name and pattern.name.endswith("_inbound_webhook")
}

EVENT_STATUS = {
    EventType.QUEUED: DeliveryStatus.QUEUED,
    EventType.SENT: DeliveryStatus.QUEUED,
    EventType.DEFERRED: DeliveryStatus.DEFERRED,
    EventType.DELIVERED: DeliveryStatus.DELIVERED,
    EventType.BOUNCED: DeliveryStatus.BOUNCED,
    EventType.REJECTED: DeliveryStatus.REJECTED,
    EventType.FAILED: DeliveryStatus.REJECTED,
    EventType.COMPLAINED: DeliveryStatus.COMPLAINED,
    EventType.OPENED: DeliveryStatus.OPENED,
    EventType.CLICKED: DeliveryStatus.CLICKED,
    EventType.UNSUBSCRIBED: DeliveryStatus.UNSUBSCRIBED,
}
# Once an address bounced, was rejected or complained, later opens or retries do not hide it.
STICKY = {DeliveryStatus.BOUNCED, DeliveryStatus.REJECTED, DeliveryStatus.COMPLAINED}


@transaction.atomic
def message_delivery_record(
    *,
    provider_message_id: str | None,
    convene_message_id: str | int | None,
    status: str,
    detail: str,
    at: datetime | None,
) -> Message | None:
    """Record a provider's report on a message; unknown messages are ignored (and returned None)."""
    rows = Message.objects.select_for_update()
    message = None
    if convene_message_id and str(convene_message_id).isdigit():
        message = rows.filter(pk=int(convene_message_id)).first()
    if message is None and provider_message_id:
        message = rows.filter(provider_message_id=provider_message_id).first()
    if message is None:
        return None
    at = at or timezone.now()
    is_older = message.delivery_updated_at is not None and at < message.delivery_updated_at
    if status in STICKY:
        replaces = message.delivery_status not in STICKY or not is_older
    else:
        replaces = message.delivery_status not in STICKY and not is_older
    if replaces:
        message.delivery_status = status
        message.delivery_detail = detail[:2000]
        message.delivery_updated_at = at
        message.save(
            update_fields=[
                "delivery_status",
                "delivery_detail",
                "delivery_updated_at",
                "updated_at",
            ]
        )
    message_events_record(
        message_ids=[message.pk], status=f"delivery:{status}", detail=detail[:2000], now=at
    )
    return message


def on_tracking_event(
    sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    status = EVENT_STATUS.get(event.event_type)
    if status is None:
        return
    detail = " ".join(part for part in (event.description, event.mta_response) if part) or ""
    message_delivery_record(
        provider_message_id=event.message_id,
        convene_message_id=(event.metadata or {}).get("convene_message_id"),
        status=status,
        detail=detail,
        at=event.timestamp,
    )
