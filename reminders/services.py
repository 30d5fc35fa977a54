"""Writes to the outbox: enqueue one message, or reconcile a topic with the set a domain app wants."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction

from reminders.models import Message, MessageEvent, MessageStatus


@dataclass(frozen=True)
class WantedMessage:
    """A message a domain app wants to exist, identified by its `dedupe_key`."""

    kind: str
    recipient_email: str
    dedupe_key: str
    due_at: datetime
    recipient_name: str = ""
    about: models.Model | None = None
    schedule_sequence: int | None = None
    expires_at: datetime | None = None
    payload: dict[str, object] = field(default_factory=dict)


@dataclass
class ReconcileResult:
    created: int = 0
    moved: int = 0
    cancelled: int = 0


def _new_row(*, wanted: WantedMessage, topic: str) -> Message:
    about = wanted.about
    return Message(
        kind=wanted.kind,
        topic=topic,
        recipient_email=wanted.recipient_email,
        recipient_name=wanted.recipient_name[:200],
        content_type=ContentType.objects.get_for_model(about) if about is not None else None,
        object_id=about.pk if about is not None else None,
        schedule_sequence=wanted.schedule_sequence,
        payload=wanted.payload,
        due_at=wanted.due_at,
        expires_at=wanted.expires_at,
        dedupe_key=wanted.dedupe_key,
    )


def message_events_record(
    *, message_ids: Iterable[int], status: str, detail: str, now: datetime
) -> None:
    MessageEvent.objects.bulk_create(
        [
            MessageEvent(message_id=message_id, status=status, detail=detail, created_at=now)
            for message_id in message_ids
        ],
        batch_size=1000,
    )


def outbox_enqueue(*, topic: str, message: WantedMessage, now: datetime) -> Message:
    """Add one message, or return the existing one with the same `dedupe_key` unchanged."""
    existing = Message.objects.filter(dedupe_key=message.dedupe_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            row = _new_row(wanted=message, topic=topic)
            row.save()
            message_events_record(message_ids=[row.pk], status="planned", detail="", now=now)
            return row
    except IntegrityError:
        # Another request planned the same message a moment ago: that row is the one.
        return Message.objects.get(dedupe_key=message.dedupe_key)


def outbox_reconcile(
    *,
    topic: str,
    wanted: Iterable[WantedMessage],
    now: datetime,
    kinds: Collection[str] | None = None,
) -> ReconcileResult:
    """Make the pending messages of `topic` (of `kinds`, when given) match `wanted`, in bulk.

    1. Wanted messages with no row yet are created (an existing row of any status keeps its
       `dedupe_key`, so a message already sent is never planned again).
    2. Pending rows that are wanted with another moment, sequence or recipient are moved.
    3. Pending rows that are no longer wanted are cancelled.
    """
    wanted_by_key = {message.dedupe_key: message for message in wanted}
    result = ReconcileResult()
    with transaction.atomic():
        scope = Message.objects.filter(topic=topic)
        if kinds is not None:
            scope = scope.filter(kind__in=list(kinds))
        known_keys: set[str] = set()
        to_move: list[Message] = []
        to_cancel: list[int] = []
        for row in scope.select_for_update().only(
            "id",
            "dedupe_key",
            "status",
            "due_at",
            "expires_at",
            "schedule_sequence",
            "recipient_email",
            "recipient_name",
        ):
            known_keys.add(row.dedupe_key)
            if row.status != MessageStatus.PENDING:
                continue
            message = wanted_by_key.get(row.dedupe_key)
            if message is None:
                to_cancel.append(row.pk)
                continue
            changed = (
                row.due_at != message.due_at
                or row.expires_at != message.expires_at
                or row.schedule_sequence != message.schedule_sequence
                or row.recipient_email != message.recipient_email
                or row.recipient_name != message.recipient_name[:200]
            )
            if changed:
                row.due_at = message.due_at
                row.expires_at = message.expires_at
                row.schedule_sequence = message.schedule_sequence
                row.recipient_email = message.recipient_email
                row.recipient_name = message.recipient_name[:200]
                to_move.append(row)

        new_rows = [
            _new_row(wanted=message, topic=topic)
            for key, message in wanted_by_key.items()
            if key not in known_keys
        ]
        if new_rows:
            Message.objects.bulk_create(new_rows, batch_size=1000, ignore_conflicts=True)
            created_ids = Message.objects.filter(
                dedupe_key__in=[row.dedupe_key for row in new_rows]
            ).values_list("id", flat=True)
            message_events_record(message_ids=created_ids, status="planned", detail="", now=now)
            result.created = len(new_rows)
        if to_move:
            Message.objects.bulk_update(
                to_move,
                [
                    "due_at",
                    "expires_at",
                    "schedule_sequence",
                    "recipient_email",
                    "recipient_name",
                ],
                batch_size=1000,
            )
            message_events_record(
                message_ids=[row.pk for row in to_move],
                status="moved",
                detail="rescheduled",
                now=now,
            )
            result.moved = len(to_move)
        if to_cancel:
            Message.objects.filter(id__in=to_cancel, status=MessageStatus.PENDING).update(
                status=MessageStatus.CANCELLED, updated_at=now
            )
            message_events_record(
                message_ids=to_cancel,
                status=MessageStatus.CANCELLED,
                detail="no longer wanted",
                now=now,
            )
            result.cancelled = len(to_cancel)
    return result
