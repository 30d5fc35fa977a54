"""Writes to the outbox: enqueue one message, or reconcile a topic with the set a domain app wants."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from psycopg.types.json import Jsonb

from reminders.db import server_cursor
from reminders.models import (
    CapturedEmail,
    Message,
    MessageEvent,
    MessageStatus,
    ProviderHealth,
)

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class WantedMessage:
    """A message a domain app wants to exist, identified by its `dedupe_key`."""

    kind: str
    recipient_email: str
    dedupe_key: str
    due_at: datetime
    recipient_name: str = ""
    about: models.Model | None = None
    # Instead of `about`, the model and primary key: planning thousands of messages then needs
    # no model instance per row.
    about_model: type[models.Model] | None = None
    about_pk: int | None = None
    schedule_sequence: int | None = None
    expires_at: datetime | None = None
    payload: dict[str, object] = field(default_factory=dict)
    slot: str = ""


@dataclass
class ReconcileResult:
    created: int = 0
    moved: int = 0
    cancelled: int = 0


def _about_of(wanted: WantedMessage) -> tuple[type[models.Model] | None, int | None]:
    if wanted.about is not None:
        return type(wanted.about), wanted.about.pk
    return wanted.about_model, wanted.about_pk


def _new_row(*, wanted: WantedMessage, topic: str) -> Message:
    about_model, about_pk = _about_of(wanted)
    return Message(
        kind=wanted.kind,
        topic=topic,
        recipient_email=wanted.recipient_email,
        recipient_name=wanted.recipient_name[:200],
        content_type=ContentType.objects.get_for_model(about_model) if about_model else None,
        object_id=about_pk,
        schedule_sequence=wanted.schedule_sequence,
        payload=wanted.payload,
        due_at=wanted.due_at,
        expires_at=wanted.expires_at,
        dedupe_key=wanted.dedupe_key,
        slot=wanted.slot,
    )


def _messages_insert(
    *, topic: str | Mapping[str, str], messages: list[WantedMessage], now: datetime
) -> None:
    """Insert new rows, skipping any whose dedupe_key another transaction has just taken.

    `topic` is the one topic of every row, or the topic of each row by its dedupe_key.
    On PostgreSQL the rows are COPY-loaded into a temporary table and go in with one
    `INSERT … SELECT … ON CONFLICT DO NOTHING`: tens of thousands of rows (a reschedule of
    10,000 registrations) without a model instance per row or an array built in Python.
    """
    if not messages:
        return

    def topic_of(message: WantedMessage) -> str:
        return topic if isinstance(topic, str) else topic[message.dedupe_key]

    if connection.vendor != "postgresql":
        new_rows = [_new_row(wanted=message, topic=topic_of(message)) for message in messages]
        Message.objects.bulk_create(new_rows, batch_size=1000, ignore_conflicts=True)
        return
    content_types: dict[type, int] = {}

    def content_type_id(model: type[models.Model] | None) -> int | None:
        if model is None:
            return None
        if model not in content_types:
            content_types[model] = ContentType.objects.get_for_model(model).pk
        return content_types[model]

    columns = {
        "kind": "text",
        "recipient_email": "text",
        "recipient_name": "text",
        "content_type_id": "integer",
        "object_id": "bigint",
        "schedule_sequence": "integer",
        "payload": "jsonb",
        "due_at": "timestamptz",
        "expires_at": "timestamptz",
        "dedupe_key": "text",
        "slot": "text",
    }
    rows: list[tuple[Any, ...]] = []
    for m in messages:
        model, pk = _about_of(m)
        rows.append(
            (
                m.kind,
                m.recipient_email,
                m.recipient_name[:200],
                content_type_id(model),
                pk,
                m.schedule_sequence,
                Jsonb(m.payload),
                m.due_at,
                m.expires_at,
                m.dedupe_key,
                m.slot,
            )
        )
    constants: dict[str, object] = {}
    if isinstance(topic, str):
        constants["topic"] = topic
    else:
        columns["topic"] = "text"
        rows = [(*row, topic_of(m)) for row, m in zip(rows, messages, strict=True)]
    _copy_into_temp(name="outbox_new", columns=columns, rows=rows)
    constants |= {
        "status": MessageStatus.PENDING.value,
        "attempts": 0,
        "last_error": "",
        "subject": "",
        "provider_message_id": "",
        "delivery_status": "",
        "delivery_detail": "",
        "created_at": now,
        "updated_at": now,
    }
    names = [*columns, *constants]
    select = ", ".join([*(f"u.{name}" for name in columns), *("%s" for _ in constants)])
    with server_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Message._meta.db_table} ({', '.join(names)}) "  # noqa: S608
            f"SELECT {select} FROM outbox_new AS u ON CONFLICT (dedupe_key) DO NOTHING",
            list(constants.values()),
        )
        cursor.execute("DROP TABLE outbox_new")


def _copy_into_temp(*, name: str, columns: dict[str, str], rows: Iterable[tuple]) -> None:
    """Load rows into a temporary table (dropped at commit) with COPY: the fastest path in.

    psycopg writes COPY rows in C; building one big array parameter goes through Python.
    """
    definition = ", ".join(f"{column} {sql_type}" for column, sql_type in columns.items())
    with server_cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({definition}) ON COMMIT DROP")
        with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(list(columns.values()))
            for row in rows:
                copy.write_row(row)


def _messages_cancel(*, message_ids: list[int], now: datetime) -> None:
    if connection.vendor == "postgresql":
        # Server-side binding (reminders.db): the array is not quoted element by element.
        with server_cursor() as cursor:
            cursor.execute(
                f"UPDATE {Message._meta.db_table} SET status = %s, updated_at = %s "  # noqa: S608
                "WHERE id = ANY(%b::bigint[]) AND status = %s",
                [MessageStatus.CANCELLED.value, now, message_ids, MessageStatus.PENDING.value],
            )
        return
    Message.objects.filter(id__in=message_ids, status=MessageStatus.PENDING).update(
        status=MessageStatus.CANCELLED, updated_at=now
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
        with server_cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (message_id, status, detail, created_at) "
                "SELECT unnest(%b::bigint[]), %s, %s, %s",
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
    "dedupe_key",
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
        dedupe_key=message.dedupe_key,
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


def _messages_move(*, moves: list[tuple[int, WantedMessage]], now: datetime) -> None:
    """Rewrite pending rows in place (new key, moment, sequence, recipient): one statement."""
    if connection.vendor != "postgresql":
        rows = [_moved_row(pk=pk, message=message, now=now) for pk, message in moves]
        Message.objects.bulk_update(rows, MOVABLE_FIELDS, batch_size=1000)
        return
    _copy_into_temp(
        name="outbox_moves",
        columns={
            "id": "bigint",
            "dedupe_key": "text",
            "due_at": "timestamptz",
            "expires_at": "timestamptz",
            "schedule_sequence": "integer",
            "recipient_email": "text",
            "recipient_name": "text",
        },
        rows=(
            (
                pk,
                m.dedupe_key,
                m.due_at,
                m.expires_at,
                m.schedule_sequence,
                m.recipient_email,
                m.recipient_name[:200],
            )
            for pk, m in moves
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Message._meta.db_table} AS m SET dedupe_key = u.dedupe_key, "  # noqa: S608
            "due_at = u.due_at, expires_at = u.expires_at, schedule_sequence = u.schedule_sequence, "
            "recipient_email = u.recipient_email, recipient_name = u.recipient_name, updated_at = %s "
            "FROM outbox_moves AS u WHERE m.id = u.id AND m.status = %s",
            [now, MessageStatus.PENDING.value],
        )
        cursor.execute("DROP TABLE outbox_moves")


def _scope_rows(scope: models.QuerySet[Message]) -> list[tuple]:
    """The rows a reconcile compares, as plain tuples (no model instances, no Django converters)."""
    queryset = scope.values_list(
        "id",
        "dedupe_key",
        "slot",
        "status",
        "due_at",
        "expires_at",
        "schedule_sequence",
        "recipient_email",
        "recipient_name",
    )
    if connection.vendor != "postgresql" or queryset.query.is_empty():
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    with server_cursor() as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def _existing_keys(keys: list[str]) -> set[str]:
    if not keys:
        return set()
    if connection.vendor == "postgresql":
        with server_cursor() as cursor:
            cursor.execute(
                f"SELECT dedupe_key FROM {Message._meta.db_table} WHERE dedupe_key = ANY(%b::text[])",  # noqa: S608
                [keys],
            )
            return {row[0] for row in cursor.fetchall()}
    return set(Message.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))


def outbox_reconcile(
    *,
    topic: str,
    wanted: Iterable[WantedMessage],
    now: datetime,
    kinds: Collection[str] | None = None,
    about: models.Model | None = None,
    abouts: Collection[models.Model] | None = None,
    about_model: type[models.Model] | None = None,
    about_pks: Collection[int] = (),
) -> ReconcileResult:
    """Make the pending messages of `topic` match `wanted`, in bulk.

    The scope is the topic's messages, narrowed to `kinds` and to the messages `about` one
    object (or `abouts` several, all of one model; or, without model instances, those about
    `about_pks` of `about_model`: a batch of a background replan) when those are given; only
    messages in scope are moved or cancelled.

    1. A pending row still wanted under its key keeps it, moved if its moment, sequence or
       recipient changed. A pending row whose key is no longer wanted but whose `slot` is
       (the same reminder for a new schedule) is moved to the new key.
    2. Wanted messages with no row yet are created; a cancelled row that is wanted again is
       pending again. A message sent, failed or skipped is never planned again.
    3. Pending rows that are no longer wanted are cancelled (and their events recorded).

    The number of queries is the same for ten messages or thirty thousand.
    """
    scope = Message.objects.filter(topic=topic)
    if kinds is not None:
        scope = scope.filter(kind__in=list(kinds))
    if about is not None:
        abouts = [about]
    if abouts is not None:
        objects = list(abouts)
        if len({type(obj) for obj in objects}) > 1:
            raise ValueError("abouts must all be of one model")
        about_model = type(objects[0]) if objects else None
        about_pks = [obj.pk for obj in objects]
        if not objects:
            scope = scope.none()
    if about_model is not None:
        scope = scope.filter(
            content_type=ContentType.objects.get_for_model(about_model),
            object_id__in=list(about_pks),
        )
    return _reconcile(
        scope=scope,
        wanted_by_key={message.dedupe_key: message for message in wanted},
        topic=topic,
        is_narrowed=abouts is not None or about_model is not None or kinds is not None,
        now=now,
    )


def outbox_reconcile_topics(
    *,
    wanted_by_topic: Mapping[str, Iterable[WantedMessage]],
    now: datetime,
    kinds: Collection[str] | None = None,
) -> ReconcileResult:
    """`outbox_reconcile` of several topics at once (narrowed to `kinds`), in as many queries
    as one: e.g. the host reminders of every upcoming session of a program when its hosts
    change. Each topic's lock is the caller's, as for `outbox_reconcile`.
    """
    wanted_by_key: dict[str, WantedMessage] = {}
    topic_by_key: dict[str, str] = {}
    for topic, wanted in wanted_by_topic.items():
        for message in wanted:
            wanted_by_key[message.dedupe_key] = message
            topic_by_key[message.dedupe_key] = topic
    scope = Message.objects.filter(topic__in=list(wanted_by_topic))
    if kinds is not None:
        scope = scope.filter(kind__in=list(kinds))
    return _reconcile(
        scope=scope,
        wanted_by_key=wanted_by_key,
        topic=topic_by_key,
        is_narrowed=kinds is not None,
        now=now,
    )


def _reconcile(
    *,
    scope: models.QuerySet[Message],
    wanted_by_key: dict[str, WantedMessage],
    topic: str | Mapping[str, str],
    is_narrowed: bool,
    now: datetime,
) -> ReconcileResult:
    result = ReconcileResult()
    with transaction.atomic():
        # No row locks: the caller holds the lock on the object the topic is about (a session
        # row), so reconciles of one topic run one at a time; every write below is conditional
        # on the row still being pending, so a dispatcher's claim wins cleanly.
        rows = _scope_rows(scope)
        known_keys = {row[1] for row in rows}
        unplaced_by_slot = {
            message.slot: message
            for key, message in wanted_by_key.items()
            if message.slot and key not in known_keys
        }
        to_move: list[tuple[int, WantedMessage]] = []
        to_revive: list[Message] = []
        to_cancel: list[int] = []
        for pk, key, slot, status, due_at, expires_at, sequence, email, name in rows:
            message = wanted_by_key.get(key)
            if status == MessageStatus.CANCELLED and message is not None:
                # Cancelled, then wanted again (a reminder switched off and on): plan it anew.
                to_revive.append(
                    _moved_row(pk=pk, message=message, now=now, status=MessageStatus.PENDING)
                )
                unplaced_by_slot.pop(message.slot, None)
                continue
            if status != MessageStatus.PENDING:
                continue
            if message is None and slot and slot in unplaced_by_slot:
                message = unplaced_by_slot.pop(slot)
                known_keys.add(message.dedupe_key)
                to_move.append((pk, message))
            elif message is None:
                to_cancel.append(pk)
            elif (due_at, expires_at, sequence, email, name) != (
                message.due_at,
                message.expires_at,
                message.schedule_sequence,
                message.recipient_email,
                message.recipient_name[:200],
            ):
                to_move.append((pk, message))

        if to_move:
            _messages_move(moves=to_move, now=now)
            result.moved = len(to_move)
        if to_cancel:
            _messages_cancel(message_ids=to_cancel, now=now)
            message_events_record(
                message_ids=to_cancel,
                status=MessageStatus.CANCELLED,
                detail="no longer wanted",
                now=now,
            )
            result.cancelled = len(to_cancel)
        if to_revive:
            Message.objects.bulk_update(to_revive, [*MOVABLE_FIELDS, "status"], batch_size=1000)
            message_events_record(
                message_ids=[row.pk for row in to_revive],
                status="replanned",
                detail="wanted again",
                now=now,
            )
            result.created += len(to_revive)
        new_keys = [key for key in wanted_by_key if key not in known_keys]
        if new_keys:
            # Keys outside the scope (another object's) may exist already: leave those alone.
            taken = _existing_keys(new_keys) if is_narrowed else set()
            new_messages = [wanted_by_key[key] for key in new_keys if key not in taken]
            _messages_insert(topic=topic, messages=new_messages, now=now)
            result.created += len(new_messages)
    return result


def provider_health_record(*, sent: int, refused: int, reason: str, now: datetime) -> None:
    """Note how the provider did in one dispatcher tick; log once when it starts or stops failing.

    The provider is failing while most sends of a tick are refused for now (temporary or
    provider-wide failures); one tick in which most sends go through clears it. Two statements
    whatever the state: an upsert of the latest outcome, then the start or end of a failure.
    """
    attempted = sent + refused
    if not attempted:
        return
    failing = refused * 2 > attempted
    latest = (
        {"last_error": reason[:2000], "last_failure_at": now}
        if failing
        else {"last_success_at": now}
    )
    ProviderHealth.objects.bulk_create(
        [ProviderHealth(name="default", **latest)],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=[*latest, "updated_at"],
    )
    health = ProviderHealth.objects.filter(name="default")
    if failing:
        started = health.filter(failing_since__isnull=True).update(failing_since=now)
        logger.warning(
            "e-mail provider refused %d of %d sends this tick%s: %s",
            refused,
            attempted,
            " (it starts failing now)" if started else "",
            reason,
        )
    elif health.filter(failing_since__isnull=False).update(failing_since=None):
        logger.info("e-mail provider takes mail again")


def outbox_prune(*, now: datetime, older_than: timedelta, batch_size: int = 2000) -> int:
    """Delete sent, cancelled and skipped messages (and their events) older than `older_than`.

    Walks the table by id in batches of `batch_size`, each its own transaction that locks its
    rows and checks their status again (a message queued again meanwhile stays), so a large
    backlog never holds locks for long and the whole walk reads the table once. Failed
    messages stay for a host or an admin to look into. Returns the number deleted.
    """
    cutoff = now - older_than
    finished = [MessageStatus.SENT, MessageStatus.CANCELLED, MessageStatus.SKIPPED]
    deleted = 0
    last_id = 0
    while True:
        ids = list(
            Message.objects.filter(id__gt=last_id, status__in=finished, updated_at__lt=cutoff)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        last_id = ids[-1]
        with transaction.atomic():
            still = list(
                Message.objects.select_for_update(skip_locked=True)
                .filter(id__in=ids, status__in=finished, updated_at__lt=cutoff)
                .values_list("id", flat=True)
            )
            MessageEvent.objects.filter(message_id__in=still).delete()
            CapturedEmail.objects.filter(message_id__in=still).update(message=None)
            Message.objects.filter(id__in=still).delete()
        deleted += len(still)


@transaction.atomic
def outbox_retry(*, message_ids: Collection[int], now: datetime) -> int:
    """Queue failed, skipped or cancelled messages again, due now; returns how many.

    Sent and sending messages are left alone (a second copy of a sent e-mail is never made
    by accident), and each one queued again gets an event in its history."""
    chosen = list(
        Message.objects.select_for_update()
        .filter(pk__in=message_ids)
        .exclude(status__in=[MessageStatus.SENT, MessageStatus.SENDING])
        .values_list("pk", flat=True)
    )
    Message.objects.filter(pk__in=chosen).update(
        status=MessageStatus.PENDING, due_at=now, expires_at=None, last_error="", updated_at=now
    )
    message_events_record(
        message_ids=chosen, status=MessageStatus.PENDING, detail="queued again", now=now
    )
    return len(chosen)
