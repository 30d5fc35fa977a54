"""The dispatcher: claims due messages, renders them from current state, sends, records.

Safe to run in several workers at once: a claim is a short transaction that locks due rows with
`SELECT … FOR UPDATE SKIP LOCKED` and leases them (status `sending`, `leased_until`). A worker
that dies mid-batch leaves its rows leased; once the lease runs out another dispatcher claims
them again, so a crash costs at most the one message that was on the wire.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused
from django.conf import settings
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone

from reminders import registry
from reminders.backends import MESSAGE_HEADER
from reminders.db import StatementInFlight, overlapped, server_cursor
from reminders.models import Message, MessageEvent, MessageStatus
from reminders.services import message_events_record

logger = logging.getLogger(__name__)
SENDING = MessageStatus.SENDING.value
RENDER_FIELDS = (
    "id",
    "kind",
    "recipient_email",
    "recipient_name",
    "content_type",
    "object_id",
    "schedule_sequence",
    "payload",
    "due_at",
    "expires_at",
    "attempts",
    "status",
)

PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    smtplib.SMTPRecipientsRefused,
    AnymailRecipientsRefused,
    AnymailInvalidAddress,
)


class PermanentDeliveryError(Exception):
    """An e-mail backend raises this (or one of PERMANENT_ERRORS) when retrying cannot help."""


@dataclass
class DispatchResult:
    sent: int = 0
    # Sent messages whose "sent" event is still to be written (one statement per batch).
    unrecorded_sent: list[int] = field(default_factory=list)
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    cancelled: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.retried + self.skipped + self.cancelled


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def outbox_claim(*, now: datetime, limit: int, lease: timedelta) -> list[Message]:
    """Lease up to `limit` due messages to this dispatcher and return them.

    Rows whose lease ran out (their dispatcher died) come first, then due pending rows in order.
    """
    if db_connection.vendor == "postgresql":
        batch, expired = _claim_postgresql(now=now, limit=limit, lease=lease)
    else:
        batch, expired = _claim_portable(now=now, limit=limit, lease=lease)
    if expired:
        message_events_record(
            message_ids=expired, status="reclaimed", detail="lease expired", now=now
        )
    batch.sort(key=lambda row: (row.due_at, row.pk))
    prefetch_related_objects(
        batch, GenericPrefetch("about", registry.about_querysets({row.kind for row in batch}))
    )
    return batch


@lru_cache(maxsize=1)
def _claim_sql() -> str:
    """Choose, lock and lease in one statement; its own transaction in autocommit.

    Only what the dispatcher and renderers read comes back: a batch of thousands is loaded per
    tick. Candidates locked but not chosen (when both lists are long) are free again at once.
    """
    table = Message._meta.db_table
    columns = ", ".join(f"m.{field.column}" for field in _render_fields())
    return (
        f"WITH expired AS (SELECT id FROM {table} WHERE status = %(sending)s "  # noqa: S608
        "AND leased_until < %(now)s ORDER BY leased_until LIMIT %(limit)s "
        "FOR UPDATE SKIP LOCKED), "
        f"due AS (SELECT id FROM {table} WHERE status = %(pending)s AND due_at <= %(now)s "
        "ORDER BY due_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED), "
        "chosen AS (SELECT id, true AS expired FROM expired UNION ALL "
        "SELECT id, false FROM due ORDER BY expired DESC LIMIT %(limit)s) "
        f"UPDATE {table} AS m SET status = %(sending)s, leased_until = %(until)s, "
        "attempts = m.attempts + 1, updated_at = %(now)s FROM chosen WHERE m.id = chosen.id "
        f"RETURNING {columns}, chosen.expired"
    )


def _claim_postgresql(
    *, now: datetime, limit: int, lease: timedelta
) -> tuple[list[Message], list[int]]:
    params = {
        "sending": SENDING,
        "pending": MessageStatus.PENDING.value,
        "now": now,
        "until": now + lease,
        "limit": limit,
    }
    with db_connection.cursor() as cursor:
        cursor.execute(_claim_sql(), params)
        rows = cursor.fetchall()
    converters = _render_field_converters()
    batch, expired = [], []
    for *values, was_expired in rows:
        for index, convert in converters:
            values[index] = convert(values[index], None, db_connection)
        message = Message.from_db(
            db_connection.alias, [field.attname for field in _render_fields()], values
        )
        batch.append(message)
        if was_expired:
            expired.append(message.pk)
    return batch, expired


@lru_cache(maxsize=1)
def _render_fields() -> list[object]:
    """RENDER_FIELDS in the model's order, the order `Model.from_db` expects values in."""
    return [field for field in Message._meta.concrete_fields if field.name in RENDER_FIELDS]


@lru_cache(maxsize=1)
def _render_field_converters() -> list[tuple[int, object]]:
    """The fields whose database values need converting (the JSON payload)."""
    return [
        (index, field.from_db_value)
        for index, field in enumerate(_render_fields())
        if hasattr(field, "from_db_value")
    ]


def _claim_portable(
    *, now: datetime, limit: int, lease: timedelta
) -> tuple[list[Message], list[int]]:
    with transaction.atomic():
        expired = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.SENDING, leased_until__lt=now)
            .order_by("leased_until")
            .values_list("id", flat=True)[:limit]
        )
        due = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.PENDING, due_at__lte=now)
            .order_by("due_at", "id")
            .values_list("id", flat=True)[: limit - len(expired)]
        )
        ids = expired + due
        if not ids:
            return [], []
        Message.objects.filter(id__in=ids).update(
            status=MessageStatus.SENDING,
            leased_until=now + lease,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    return list(Message.objects.filter(id__in=ids).only(*RENDER_FIELDS)), expired


def outbox_release(*, message_ids: list[int]) -> None:
    """Hand claimed but unsent messages back at once, instead of waiting for their lease to run out."""
    Message.objects.filter(id__in=message_ids, status=MessageStatus.SENDING).update(
        status=MessageStatus.PENDING,
        leased_until=None,
        attempts=F("attempts") - 1,
        updated_at=timezone.now(),
    )


def _leased_values(status: str, now: datetime, fields: dict[str, object]) -> dict[str, object]:
    """What a dispatcher writes when it lets go of a row, whatever the outcome."""
    return {"status": status, "leased_until": None, "updated_at": now, **fields}


def _update_if_leased(message: Message, values: dict[str, object]) -> int:
    """The portable form: write `values` unless another dispatcher took the row over since."""
    return Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(**values)


@lru_cache(maxsize=32)
def _leased_update_sql(field_names: tuple[str, ...], *, placeholder: str = "%s") -> str:
    """`UPDATE … SET <fields> WHERE id = … AND status = …`, in psycopg's `%s` or libpq's `$n`."""
    marks = (
        [f"${index}" for index in range(1, len(field_names) + 3)]
        if placeholder == "$"
        else ["%s"] * (len(field_names) + 2)
    )
    meta = Message._meta
    assignments = ", ".join(
        f'"{meta.get_field(name).column}" = {mark}'
        for name, mark in zip(field_names, marks, strict=False)
    )
    return (
        f"UPDATE {meta.db_table} SET {assignments} "  # noqa: S608
        f"WHERE id = {marks[-2]} AND status = {marks[-1]}"
    )


@lru_cache(maxsize=32)
def _finish_sql(field_names: tuple[str, ...]) -> str:
    return (
        f"WITH finished AS ({_leased_update_sql(field_names)} RETURNING id) "  # noqa: S608
        f"INSERT INTO {MessageEvent._meta.db_table} (message_id, status, detail, created_at) "
        "SELECT id, %s, %s, %s FROM finished"
    )


def _finish(
    message: Message, *, status: str, now: datetime, detail: str = "", **fields: object
) -> None:
    """Record the outcome, unless another dispatcher has taken the row over since.

    On PostgreSQL the update and its event are one prepared statement: one round trip.
    """
    status = str(status.value if isinstance(status, MessageStatus) else status)
    values = _leased_values(status, now, fields)
    if db_connection.vendor == "postgresql":
        # A server-side-binding cursor: psycopg prepares the statement after a few runs, so
        # each message costs one round trip and no parse or plan.
        with server_cursor() as cursor:
            cursor.execute(
                _finish_sql(tuple(values)),
                [*values.values(), message.pk, SENDING, status, detail, now],
            )
        return
    if _update_if_leased(message, values):
        message_events_record(message_ids=[message.pk], status=status, detail=detail, now=now)


def _deliver(
    message: Message,
    *,
    connection: object,
    result: DispatchResult,
    in_flight: StatementInFlight | None,
) -> None:
    now = timezone.now()
    if message.expires_at is not None and now >= message.expires_at:
        _finish(message, status=MessageStatus.SKIPPED, now=now, detail="its moment had passed")
        result.skipped += 1
        return
    try:
        email = registry.renderer_for(message.kind)(message)
    except registry.NotWanted as not_wanted:
        status = MessageStatus.CANCELLED if not_wanted.cancelled else MessageStatus.SKIPPED
        _finish(message, status=status, now=now, detail=not_wanted.reason)
        if not_wanted.cancelled:
            result.cancelled += 1
        else:
            result.skipped += 1
        return
    except Exception as error:
        logger.exception("rendering message %s failed", message.pk)
        _finish(
            message,
            status=MessageStatus.FAILED,
            now=now,
            detail=f"render: {error!r}",
            last_error=f"render: {error!r}",
        )
        result.failed += 1
        return

    email.connection = connection
    # Both tie provider reports and captured copies back to this row.
    email.extra_headers[MESSAGE_HEADER] = str(message.pk)
    email.metadata = {
        **(getattr(email, "metadata", None) or {}),
        "convene_message_id": str(message.pk),
    }
    if in_flight is not None:
        # The previous message's "sent" must be committed before this one goes out: a worker
        # killed at any moment leaves at most one sent message unrecorded.
        in_flight.settle()
    try:
        email.send()
    except (*PERMANENT_ERRORS, PermanentDeliveryError) as error:
        _finish(
            message,
            status=MessageStatus.FAILED,
            now=timezone.now(),
            detail=str(error),
            last_error=str(error)[:2000],
        )
        result.failed += 1
        return
    except Exception as error:
        now = timezone.now()
        reason = f"{type(error).__name__}: {error}"[:2000]
        if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            _finish(message, status=MessageStatus.FAILED, now=now, detail=reason, last_error=reason)
            result.failed += 1
        else:
            _finish(
                message,
                status=MessageStatus.PENDING,
                now=now,
                detail=f"retry: {reason}",
                last_error=reason,
                due_at=now + retry_delay(message.attempts),
            )
            result.retried += 1
        logger.warning("sending message %s failed: %s", message.pk, reason)
        return

    status = getattr(email, "anymail_status", None)
    provider_id = getattr(status, "message_id", None) or ""
    _mark_sent(
        message,
        now=timezone.now(),
        subject=email.subject[:255],
        provider_id=str(provider_id)[:255],
        result=result,
        in_flight=in_flight,
    )
    result.sent += 1


def _mark_sent(
    message: Message,
    *,
    now: datetime,
    subject: str,
    provider_id: str,
    result: DispatchResult,
    in_flight: StatementInFlight | None,
) -> None:
    """Record the send in its own commit; its event is written with the batch's.

    The row is what prevents a second send, so it is written per message; the event is only
    history, so a crash between the two loses at most a batch's "sent" entries, never a send.
    On PostgreSQL the update is sent without waiting: the worker renders the next e-mail while
    the server commits it, and settles it before sending that e-mail.
    """

    def recorded(rowcount: int) -> None:
        if rowcount == 1:  # 0: another dispatcher has taken the row over since
            result.unrecorded_sent.append(message.pk)

    values = _leased_values(
        MessageStatus.SENT.value,
        now,
        {"sent_at": now, "subject": subject, "provider_message_id": provider_id, "last_error": ""},
    )
    if in_flight is None:
        recorded(_update_if_leased(message, values))
        return
    in_flight.send(
        _leased_update_sql(tuple(values), placeholder="$"),
        [*values.values(), message.pk, SENDING],
        recorded,
    )


def _record_sent_events(result: DispatchResult, in_flight: StatementInFlight | None) -> None:
    if in_flight is not None:
        in_flight.settle()
    if result.unrecorded_sent:
        message_events_record(
            message_ids=result.unrecorded_sent,
            status=MessageStatus.SENT,
            detail="",
            now=timezone.now(),
        )
        result.unrecorded_sent = []


@contextmanager
def _dispatch_connection() -> Iterator[StatementInFlight | None]:
    """Prepare this connection for dispatching; on PostgreSQL, yield a `StatementInFlight`.

    Every sent message is recorded in its own commit, so that a killed worker re-sends at most
    the one message it had on the wire. Waiting for an fsync on each of those commits would
    cost more than sending the e-mail, so the connection's commits return before their WAL
    reaches the disk (`synchronous_commit = off`): a crash of the database server itself (not
    of a worker) can lose the last fraction of a second of records, and those few messages are
    sent again — at-least-once delivery, as the outbox promises anyway.
    """
    if db_connection.vendor != "postgresql":
        yield None
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        with overlapped() as in_flight:
            yield in_flight
    finally:
        with db_connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def outbox_dispatch(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    max_seconds: float = 60.0,
) -> DispatchResult:
    """Send every message due at `now` (default: the current time), batch after batch."""
    batch_size = batch_size or settings.OUTBOX_BATCH_SIZE
    lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    result = DispatchResult()
    started = time.monotonic()
    connection = get_connection()
    with connection, _dispatch_connection() as in_flight:
        while time.monotonic() - started < max_seconds:
            claimed_at = timezone.now()
            batch = outbox_claim(now=now or claimed_at, limit=batch_size, lease=lease)
            if not batch:
                break
            # Stop well inside the lease: past it, another dispatcher may claim the same rows.
            deadline = claimed_at + lease * 0.8
            try:
                for index, message in enumerate(batch):
                    if timezone.now() >= deadline:
                        outbox_release(message_ids=[row.pk for row in batch[index:]])
                        break
                    retried_before = result.retried
                    _deliver(message, connection=connection, result=result, in_flight=in_flight)
                    if result.retried > retried_before:
                        # The provider is failing: the rest would fail the same way. Hand
                        # them back untouched and let the next beat tick try again.
                        outbox_release(message_ids=[row.pk for row in batch[index + 1 :]])
                        return result
            finally:
                _record_sent_events(result, in_flight)
    return result
