"""Writes to the outbox: enqueue one message, or reconcile a topic with the set a domain app wants."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction

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
    ids = list(message_ids)
    if not ids:
        return
    if connection.vendor == "postgresql":
        # One statement however many rows: a reschedule of 10,000 registrations records
        # 30,000 events, which bulk_create would build object by object.
        table = MessageEvent._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (message_id, status, detail, created_at) "
                "SELECT unnest(%s::bigint[]), %s, %s, %s",
                [ids, status, detail, now],
            )
        return
    MessageEvent.objects.bulk_create(
        [
            MessageEvent(message_id=message_id, status=status, detail=detail, created_at=now)
            for message_id in ids
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
            return row
    except IntegrityError:
        # Another request planned the same message a moment ago: that row is the one.
        return Message.objects.get(dedupe_key=message.dedupe_key)


MOVABLE_FIELDS = [
    "due_at",
    "expires_at",
    "schedule_sequence",
    "recipient_email",
    "recipient_name",
    "updated_at",
]


def _moved_row(
    *, pk: int, message: WantedMessage, now: datetime, status: str | None = None
) -> Message:
    row = Message(
        pk=pk,
        due_at=message.due_at,
        expires_at=message.expires_at,
        schedule_sequence=message.schedule_sequence,
        recipient_email=message.recipient_email,
        recipient_name=message.recipient_name[:200],
        updated_at=now,
    )
    if status is not None:
        row.status = status
    return row


def outbox_reconcile(
    *,
    topic: str,
    wanted: Iterable[WantedMessage],
    now: datetime,
    kinds: Collection[str] | None = None,
    about: models.Model | None = None,
) -> ReconcileResult:
    """Make the pending messages of `topic` match `wanted`, in bulk.

    The scope is the topic's messages, narrowed to `kinds` and to the messages `about` one
    object when those are given; only messages in scope are moved or cancelled.

    1. Wanted messages with no row yet are created; a cancelled row that is wanted again is
       pending again. A message sent, failed or skipped is never planned again.
    2. Pending rows that are wanted with another moment, sequence or recipient are moved.
    3. Pending rows that are no longer wanted are cancelled.

    The number of queries does not grow with the number of messages (beyond batches of
    thousands).
    """
    wanted_by_key = {message.dedupe_key: message for message in wanted}
    result = ReconcileResult()
    with transaction.atomic():
        scope = Message.objects.filter(topic=topic)
        if kinds is not None:
            scope = scope.filter(kind__in=list(kinds))
        if about is not None:
            scope = scope.filter(
                content_type=ContentType.objects.get_for_model(about), object_id=about.pk
            )
        known_keys: set[str] = set()
        to_move: list[Message] = []
        to_cancel: list[int] = []
        rows = scope.select_for_update().values_list(
            "id",
            "dedupe_key",
            "status",
            "due_at",
            "expires_at",
            "schedule_sequence",
            "recipient_email",
            "recipient_name",
        )
        to_revive: list[Message] = []
        for pk, key, status, due_at, expires_at, sequence, email, name in rows:
            known_keys.add(key)
            message = wanted_by_key.get(key)
            if status == MessageStatus.CANCELLED and message is not None:
                # Cancelled, then wanted again (a reminder switched off and on): plan it anew.
                to_revive.append(
                    _moved_row(pk=pk, message=message, now=now, status=MessageStatus.PENDING)
                )
                continue
            if status != MessageStatus.PENDING:
                continue
            if message is None:
                to_cancel.append(pk)
            elif (due_at, expires_at, sequence, email, name) != (
                message.due_at,
                message.expires_at,
                message.schedule_sequence,
                message.recipient_email,
                message.recipient_name[:200],
            ):
                to_move.append(_moved_row(pk=pk, message=message, now=now))

        new_keys = [key for key in wanted_by_key if key not in known_keys]
        if new_keys:
            # Keys outside the scope (another object's) already exist: leave those alone.
            taken = (
                set(
                    Message.objects.filter(dedupe_key__in=new_keys).values_list(
                        "dedupe_key", flat=True
                    )
                )
                if about is not None or kinds is not None
                else set()
            )
            new_rows = [
                _new_row(wanted=wanted_by_key[key], topic=topic)
                for key in new_keys
                if key not in taken
            ]
            Message.objects.bulk_create(new_rows, batch_size=2000, ignore_conflicts=True)
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
                    "updated_at",
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
        if to_revive:
            Message.objects.bulk_update(to_revive, [*MOVABLE_FIELDS, "status"], batch_size=1000)
            message_events_record(
                message_ids=[row.pk for row in to_revive],
                status="replanned",
                detail="wanted again",
                now=now,
            )
            result.created += len(to_revive)
        for start in range(0, len(to_cancel), 5000):
            chunk = to_cancel[start : start + 5000]
            Message.objects.filter(id__in=chunk).update(
                status=MessageStatus.CANCELLED, updated_at=now
            )
        if to_cancel:
            message_events_record(
                message_ids=to_cancel,
                status=MessageStatus.CANCELLED,
                detail="no longer wanted",
                now=now,
            )
            result.cancelled = len(to_cancel)
    return result
