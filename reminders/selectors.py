"""Reads over the outbox that pages of domain apps show (they pass their own topic)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Q, QuerySet

from reminders.models import DeliveryStatus, Message, MessageStatus, ProviderHealth

PROBLEM_DELIVERY = (DeliveryStatus.BOUNCED, DeliveryStatus.REJECTED, DeliveryStatus.COMPLAINED)


def topic_status_counts(*, topic: str) -> dict[str, dict[str, int]]:
    """{kind: {status: count}} for everything planned or sent about one object."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    rows = (
        Message.objects.filter(topic=topic)
        .values("kind", "status")
        .annotate(count=Count("id"))
        .order_by("kind", "status")
    )
    for row in rows:
        counts[row["kind"]][row["status"]] = row["count"]
    return dict(counts)


def topic_problem_addresses(*, topic: str) -> dict[str, str]:
    """Lower-cased addresses whose mail about this object bounced, was rejected or complained."""
    rows = (
        Message.objects.filter(topic=topic, delivery_status__in=PROBLEM_DELIVERY)
        .order_by("delivery_updated_at")
        .values_list("recipient_email", "delivery_status")
    )
    return {email.lower(): status for email, status in rows}


def recipient_history(*, topic: str, email: str) -> QuerySet[Message]:
    return Message.objects.filter(topic=topic, recipient_email__iexact=email).order_by(
        "due_at", "id"
    )


def about_unsent_or_sent_since(
    *, topic: str, kind: str, about: models.Model, since: datetime
) -> set[str]:
    """Statuses of the `kind` messages about one object still to be sent, or sent since `since`.

    One query on the (content type, object id) index.
    """
    return set(
        Message.objects.filter(
            Q(status__in=[MessageStatus.PENDING, MessageStatus.SENDING])
            | Q(status=MessageStatus.SENT, sent_at__gte=since),
            topic=topic,
            kind=kind,
            content_type=ContentType.objects.get_for_model(about),
            object_id=about.pk,
        ).values_list("status", flat=True)
    )


def unsent_payloads(*, topic: str, kind: str) -> dict[int, dict[str, object]]:
    """{object_id: payload} of the `kind` messages of a topic not sent yet (one query)."""
    rows = Message.objects.filter(
        topic=topic, kind=kind, status__in=[MessageStatus.PENDING, MessageStatus.SENDING]
    ).values_list("object_id", "payload")
    return {object_id: payload for object_id, payload in rows if object_id is not None}


def provider_failing() -> ProviderHealth | None:
    """The provider's health while it is refusing our mail, else None."""
    return ProviderHealth.objects.filter(name="default", failing_since__isnull=False).first()


def messages_about(
    *, topic: str, kind: str, about_model: type[models.Model], about_pks: Collection[int]
) -> list[tuple[int, str, int | None, dict[str, object]]]:
    """(object id, status, schedule sequence, payload) of every `kind` message of a topic about
    `about_pks` of `about_model` (a batch of registrations), in one query on the
    (content type, object id) index."""
    # object_id is never null here: the filter names the ids.
    rows: list[Any] = list(
        Message.objects.filter(
            topic=topic,
            kind=kind,
            content_type=ContentType.objects.get_for_model(about_model),
            object_id__in=list(about_pks),
        ).values_list("object_id", "status", "schedule_sequence", "payload")
    )
    return rows
