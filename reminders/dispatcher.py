"""The dispatcher: claims due messages, renders them from current state, sends, records.

Safe to run in several workers at once: a claim is one statement that locks due rows with
`SELECT … FOR UPDATE SKIP LOCKED` and leases them (status `sending`, `leased_until`). While a
batch is in progress its lease is renewed, so a short lease (a minute by default) is enough for
a batch of any length; a worker that dies mid-batch leaves its rows leased for at most that
long, then another dispatcher claims them again, so a crash costs at most the one message that
was on the wire and delays the rest by about a minute.

Each e-mail is handed to the provider in a thread of its own while the next one is rendered
(the provider's round trips overlap the rendering). Through SMTP the next message is queued in
that thread and starts as soon as the previous one went through; its envelope and body travel
while the previous outcome is written, but its final `.` (after which the server owns it)
waits until that outcome is committed; other backends get the next message only then.
Either way a killed worker leaves at most one sent message unrecorded. E-mails that differ only
in personal values are built once per group (`reminders.grouped`). What a failure means comes
from `reminders.failures`.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, models, transaction
from django.db import connection as db_connection
from django.db.models import F, ForeignObjectRel
from django.utils import timezone

from reminders import registry
from reminders.backends import MESSAGE_HEADER, SendAbandoned
from reminders.db import statement_execute
from reminders.emails import outbox_message_id
from reminders.failures import (
    PermanentDeliveryError,
    SendFailure,
    send_failure_classify,
)
from reminders.grouped import (
    EndWriter,
    GroupedEmail,
    Prepared,
    PreparedSender,
    Skeleton,
    group_key,
    skeleton_build,
)
from reminders.models import Message, MessageEvent, MessageStatus
from reminders.services import message_events_record, provider_health_record

__all__ = ["PermanentDeliveryError", "outbox_claim", "outbox_dispatch", "retry_delay"]

logger = logging.getLogger(__name__)
SENDING = MessageStatus.SENDING.value
# Temporary refusals in a row (none sent between) after which the tick stops: a provider that
# refuses every recipient is not asked about the rest of the batch until the next tick.
REFUSALS_BEFORE_PAUSE = 10
# Not a message's fault: a Celery time limit, a lost database. They end the tick; nothing is
# marked failed for them.
INTERRUPTIONS: tuple[type[BaseException], ...] = (SoftTimeLimitExceeded, DatabaseError)
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


@dataclass
class DispatchResult:
    sent: int = 0
    # Sent messages whose "sent" event is still to be written (one statement per batch).
    unrecorded_sent: list[int] = field(default_factory=list)
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    cancelled: int = 0
    # Sends refused for now: by the provider as a whole (it refuses us), and for one message
    # alone (a greylisted recipient), and the last reason, for the provider's health.
    refused: int = 0
    refused_alone: int = 0
    last_refusal: str = ""

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.retried + self.skipped + self.cancelled


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def outbox_claim(
    *, now: datetime, limit: int, lease: timedelta, leased_until: datetime | None = None
) -> list[Message]:
    """Lease up to `limit` due messages to this dispatcher and return them.

    Rows whose lease ran out (their dispatcher died) come first, then due pending rows in order.
    Every row of the claim gets the same `leased_until` (default `now + lease`): that value is
    the claim's token, which later writes compare against, so a dispatcher that lost a row to
    another (its lease ran out) cannot overwrite the newer owner's outcome.
    """
    until = leased_until or now + lease
    if db_connection.vendor == "postgresql":
        batch, expired = _claim_postgresql(now=now, limit=limit, until=until)
    else:
        batch, expired = _claim_portable(now=now, limit=limit, until=until)
    if expired:
        message_events_record(
            message_ids=expired, status="reclaimed", detail="lease expired", now=now
        )
        batch = _worn_out_fail(batch, expired=set(expired), until=until, now=now)
    batch.sort(key=lambda row: (row.due_at, row.pk))
    registry.about_attach(batch)
    return batch


# For the claim's transaction only: walk the claim's indexes in their order and stop at the
# limit. After a burst, before autovacuum has analysed the table, the planner underestimates
# the due rows and would read them all through a bitmap and sort them (140 ms a claim instead
# of 3 ms); with these it has no such plan to choose, whatever its statistics say. The penalty
# on sorts inflates the plan's cost past `jit_above_cost`, and compiling it would take a
# second: no JIT for the claim either.
CLAIM_PLANNER_SETTINGS = (
    "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off; SET LOCAL jit = off"
)


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
    *, now: datetime, limit: int, until: datetime
) -> tuple[list[Message], list[int]]:
    params: dict[str, Any] = {
        "sending": SENDING,
        "pending": MessageStatus.PENDING.value,
        "now": now,
        "until": until,
        "limit": limit,
    }
    with transaction.atomic(), db_connection.cursor() as cursor:
        cursor.execute(CLAIM_PLANNER_SETTINGS)
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


def _worn_out_fail(
    batch: list[Message], *, expired: set[int], until: datetime, now: datetime
) -> list[Message]:
    """Fail reclaimed rows whose dispatchers died more often than a message may be attempted.

    A message whose rendering kills its worker (memory, a hard time limit) would otherwise be
    claimed again every minute for ever, each time delaying its batch.
    """
    worn = [
        row.pk for row in batch if row.pk in expired and row.attempts > settings.OUTBOX_MAX_ATTEMPTS
    ]
    if not worn:
        return batch
    reason = "its dispatcher stopped every time it was being sent"
    Message.objects.filter(id__in=worn, status=MessageStatus.SENDING, leased_until=until).update(
        status=MessageStatus.FAILED,
        leased_until=None,
        last_error=reason,
        updated_at=now,
    )
    message_events_record(message_ids=worn, status=MessageStatus.FAILED, detail=reason, now=now)
    logger.error("messages %s failed: %s", worn, reason)
    return [row for row in batch if row.pk not in set(worn)]


@lru_cache(maxsize=1)
def _render_fields() -> list[models.Field[Any, Any]]:
    """RENDER_FIELDS in the model's order, the order `Model.from_db` expects values in."""
    return [field for field in Message._meta.concrete_fields if field.name in RENDER_FIELDS]


@lru_cache(maxsize=1)
def _render_field_converters() -> list[tuple[int, Callable[..., Any]]]:
    """The fields whose database values need converting (the JSON payload)."""
    return [
        (index, field.from_db_value)
        for index, field in enumerate(_render_fields())
        if hasattr(field, "from_db_value")
    ]


def _claim_portable(
    *, now: datetime, limit: int, until: datetime
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
            leased_until=until,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    return list(Message.objects.filter(id__in=ids).only(*RENDER_FIELDS)), expired


def outbox_release(*, message_ids: list[int], leased_until: datetime | None = None) -> None:
    """Hand claimed but unsent messages back at once, instead of waiting for their lease to run out.

    With `leased_until` (the claim's token), only rows still leased under it: a row another
    dispatcher has claimed since stays its own.
    """
    rows = Message.objects.filter(id__in=message_ids, status=MessageStatus.SENDING)
    if leased_until is not None:
        rows = rows.filter(leased_until=leased_until)
    rows.update(
        status=MessageStatus.PENDING,
        leased_until=None,
        attempts=F("attempts") - 1,
        updated_at=timezone.now(),
    )


def lease_token(until: datetime) -> datetime:
    """`until` and up to a second more, at random: two dispatchers claiming or renewing at the
    same microsecond (or under a frozen test clock) still hold different tokens."""
    return until + timedelta(microseconds=secrets.randbelow(1_000_000))


@dataclass
class _Lease:
    """The claim's token (`until`, equal on every row of the batch) and when to renew it."""

    until: datetime
    renew_at: datetime
    length: timedelta
    owned: set[int]

    def renew_if_due(self) -> None:
        """Extend the lease of every row still ours and not finished; rows lost to another
        dispatcher are dropped.

        Every one: the rows on the wire too, whose outcomes are recorded under the new token
        (a renewal that left them out would make their "sent" miss its row, and send them
        again once the old lease ran out). The update is conditional on the old token, so it
        cannot take a row another dispatcher has claimed since; the rows that now carry the
        new token are ours, and finished rows drop out. Checked before every send.
        """
        now = timezone.now()
        if now < self.renew_at:
            return
        ids = sorted(self.owned)
        if not ids:
            return
        until = lease_token(now + self.length)
        Message.objects.filter(
            id__in=ids, status=MessageStatus.SENDING, leased_until=self.until
        ).update(leased_until=until)
        kept = set(
            Message.objects.filter(id__in=ids, leased_until=until).values_list("id", flat=True)
        )
        self.until, self.renew_at = until, now + self.length / 3
        self.owned = kept


def _leased_values(status: str, now: datetime, fields: dict[str, object]) -> dict[str, object]:
    """What a dispatcher writes when it lets go of a row, whatever the outcome."""
    return {"status": status, "leased_until": None, "updated_at": now, **fields}


def _column(field: models.Field[Any, Any] | ForeignObjectRel | GenericForeignKey) -> str:
    """The column of a concrete field of Message (the only fields the dispatcher updates)."""
    if not isinstance(field, models.Field):
        raise TypeError(f"{field} has no column")
    return str(field.column)


@lru_cache(maxsize=32)
def _leased_update_sql(field_names: tuple[str, ...]) -> str:
    """`UPDATE … SET <fields> WHERE id = … AND status = 'sending' AND leased_until = …`."""
    meta = Message._meta
    assignments = ", ".join(f'"{_column(meta.get_field(name))}" = %s' for name in field_names)
    return (
        f"UPDATE {meta.db_table} SET {assignments} "  # noqa: S608
        "WHERE id = %s AND status = %s AND leased_until = %s"
    )


@lru_cache(maxsize=32)
def _finish_sql(field_names: tuple[str, ...]) -> str:
    return (
        f"WITH finished AS ({_leased_update_sql(field_names)} RETURNING id) "  # noqa: S608
        f"INSERT INTO {MessageEvent._meta.db_table} (message_id, status, detail, created_at) "
        "SELECT id, %s, %s, %s FROM finished"
    )


def _finish(
    message: Message,
    *,
    lease: _Lease,
    status: str,
    now: datetime,
    detail: str | None = "",
    **fields: object,
) -> int:
    """Record the outcome (and its event, unless `detail` is None) if the row is still ours.

    On PostgreSQL the update and its event are one prepared statement: one round trip.
    Returns 1 when it was recorded, 0 when another dispatcher has taken the row over since.
    """
    status = str(status.value if isinstance(status, MessageStatus) else status)
    values = _leased_values(status, now, fields)
    where = [message.pk, SENDING, lease.until]
    if db_connection.vendor == "postgresql":
        # A server-side-binding cursor: psycopg prepares the statement after a few runs, so
        # each message costs one round trip and no parse or plan.
        if detail is None:
            return statement_execute(_leased_update_sql(tuple(values)), [*values.values(), *where])
        return statement_execute(
            _finish_sql(tuple(values)), [*values.values(), *where, status, detail, now]
        )
    updated = Message.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, leased_until=lease.until
    ).update(**values)
    if updated and detail is not None:
        message_events_record(message_ids=[message.pk], status=status, detail=detail, now=now)
    return updated


# The values the dispatcher adds to a grouped e-mail's own: its outbox row's ids.
OUTBOX_ID = "outbox:id"
OUTBOX_MESSAGE_ID = "outbox:message-id"


def _outbox_values(message: Message) -> dict[str, str]:
    return {
        OUTBOX_ID: str(message.pk),
        OUTBOX_MESSAGE_ID: outbox_message_id(message.pk),
    }


def _decorate(email: EmailMessage, values: Mapping[str, str]) -> None:
    """What every e-mail of the outbox carries: its row's id and Message-ID."""
    # Both tie provider reports and captured copies back to this row.
    email.extra_headers[MESSAGE_HEADER] = values[OUTBOX_ID]
    # On the sending domain and the same on a retry, so a recipient's client drops a duplicate.
    email.extra_headers.setdefault("Message-ID", values[OUTBOX_MESSAGE_ID])
    # django-anymail reads `metadata` (any other backend ignores it).
    email.metadata = {  # type: ignore[attr-defined]
        **(getattr(email, "metadata", None) or {}),
        "convene_message_id": values[OUTBOX_ID],
    }


class _Groups:
    """One batch's skeletons of grouped e-mails (`reminders.grouped`), built on first use.

    Only for a backend that sends serialised bytes (`send_prepared`, the SMTP backend); the
    others (django-anymail's, the development outbox) get each e-mail built, as before.
    """

    def __init__(self, *, prepared: bool) -> None:
        self.prepared = prepared
        self.skeletons: dict[Hashable, Skeleton | None] = {}

    def email(self, grouped: GroupedEmail, message: Message) -> EmailMessage | Prepared:
        grouped = replace(grouped, values={**grouped.values, **_outbox_values(message)})
        if self.prepared:
            key = group_key(grouped)
            if key not in self.skeletons:
                try:
                    self.skeletons[key] = skeleton_build(grouped, decorate=_decorate)
                except INTERRUPTIONS:
                    raise
                except Exception:
                    # Built per message below, where the message at fault fails alone.
                    logger.debug("no skeleton for group %r", key, exc_info=True)
                    self.skeletons[key] = None
            skeleton = self.skeletons[key]
            if skeleton is not None:
                prepared = skeleton.fill(grouped.values)
                if prepared is not None:
                    return prepared
        email = grouped.email()
        _decorate(email, grouped.values)
        return email


def _render(
    message: Message, *, lease: _Lease, result: DispatchResult, groups: _Groups
) -> EmailMessage | Prepared | None:
    """The e-mail for `message`, or None when it is finished here (skipped, cancelled, failed).

    A message that cannot be built fails alone with its reason. A database error is not the
    message's fault: it ends the tick, and the rows come back when their lease runs out.
    """
    now = timezone.now()
    if message.expires_at is not None and now >= message.expires_at:
        _finish(
            message,
            lease=lease,
            status=MessageStatus.SKIPPED,
            now=now,
            detail="its moment had passed",
        )
        result.skipped += 1
        return None
    try:
        built = registry.renderer_for(message.kind)(message)
        if isinstance(built, GroupedEmail):
            email = groups.email(built, message)
        else:
            email = built
            _decorate(email, _outbox_values(message))
        if groups.prepared and not isinstance(email, Prepared):
            # Serialised here, so a header Django refuses fails this message alone.
            email = Prepared.of(email)
    except registry.NotWanted as not_wanted:
        status = MessageStatus.CANCELLED if not_wanted.cancelled else MessageStatus.SKIPPED
        _finish(message, lease=lease, status=status, now=now, detail=not_wanted.reason)
        if not_wanted.cancelled:
            result.cancelled += 1
        else:
            result.skipped += 1
        return None
    except INTERRUPTIONS:
        raise
    except Exception as error:
        logger.exception("building message %s failed", message.pk)
        reason = f"could not be built: {type(error).__name__}: {error}"[:2000]
        _fail(message, lease=lease, result=result, reason=reason, now=now)
        return None
    return email


def _sends_in_thread(backend: BaseEmailBackend) -> bool:
    """Backends that write to the database (the development outbox) send inline: a thread
    would use a database connection of its own, outside the dispatcher's."""
    return not getattr(backend, "uses_database", False)


class _Gate:
    """Holds a send's last line (`Prepared.before_end`) until the previous send is recorded.

    A send queued behind the previous one (`_send_after`) also waits here for leave to start
    when the previous send did not go through: whether the tick goes on is the dispatcher's
    decision then.

    A send whose body is written hands the writing of its last line over (`end`), so that
    the thread that opens the gate, right after the previous record committed, writes it at
    once (when the socket takes it without waiting) instead of waking the sending thread,
    which on two busy cores would first wait for the GIL while the next message renders.
    Either way it is written once, and never unless the gate opened.
    """

    def __init__(self, timeout: float) -> None:
        self._decided = threading.Event()
        self._start_decided = threading.Event()
        self._timeout = timeout
        self._is_open = False
        self._may_start = False
        self._lock = threading.Lock()  # over the decision and the end's writing
        self._end: EndWriter | None = None
        self._ended = False
        self._end_error: BaseException | None = None

    def allow_start(self) -> None:
        if not self._start_decided.is_set():
            self._may_start = True
            self._start_decided.set()

    def open(self) -> None:
        self.allow_start()
        with self._lock:
            if self._decided.is_set():
                return
            self._is_open = True
            if self._end is not None:
                self._write_end(self._end, may_wait=False)
            self._decided.set()

    def abandon(self) -> None:
        """Neither start (if not started yet) nor end: harmless once opened."""
        self._start_decided.set()
        with self._lock:
            self._end = None
            self._decided.set()

    def wait_start(self) -> bool:
        return self._start_decided.wait(self._timeout) and self._may_start

    def wait(self, timeout: float | None = None, *, end: EndWriter | None = None) -> bool:
        """Open? Waits `timeout` seconds for the decision.

        With `end` (the send's body is written), waits as long as a lease for the decision
        and answers whether the end has been written, here or by the opener; undecided for
        that long, the dispatcher is stuck and the end is never written (the message is
        dropped). An error writing it is raised here, in the sending thread, as if it had
        written it itself."""
        if end is None:
            return self._decided.wait(self._timeout if timeout is None else timeout) and (
                self._is_open
            )
        with self._lock:
            if not self._decided.is_set():
                self._end = end
        self._decided.wait(self._timeout)
        with self._lock:
            # Read again under the lock: an opener may have written the end just as the wait
            # ran out, and then the message is on its way.
            self._end = None
            if not self._ended:
                if not self._decided.is_set() or not self._is_open:
                    self._decided.set()  # too late now for an opener to write it
                    return False
                self._write_end(end, may_wait=True)
        if self._end_error is not None:
            raise self._end_error
        return True

    def _write_end(self, end: EndWriter, *, may_wait: bool) -> None:
        try:
            self._ended = end(may_wait)
        except BaseException as error:
            self._ended, self._end_error = True, error


@dataclass
class _InFlight:
    message: Message
    email: EmailMessage | Prepared
    future: Future[int] | None  # None: sent inline when waited for
    gate: _Gate | None = None  # the send's end waits for the previous send's record


def _send_start(
    message: Message,
    email: EmailMessage | Prepared,
    *,
    executor: ThreadPoolExecutor | None,
    lease: _Lease,
    gated: bool,
    after: Future[int] | None = None,
) -> _InFlight:
    """Hand `email` to the sending thread (with `after`: queued behind that send)."""
    gate = None
    if gated and executor is not None and isinstance(email, Prepared):
        gate = _Gate(timeout=lease.length.total_seconds())
        email.before_end = gate.wait
    if executor is None:
        return _InFlight(message, email, None, gate)
    if after is not None and gate is not None and isinstance(email, Prepared):
        return _InFlight(message, email, executor.submit(_send_after, after, gate, email), gate)
    return _InFlight(message, email, executor.submit(email.send), gate)


def _send_after(previous: Future[int], gate: _Gate, email: Prepared) -> int:
    """In the sending thread, right after `previous` (the thread runs one send at a time).

    When the previous send went through, this one starts at once, without waiting for the
    dispatcher's thread to notice (on two busy cores, waking it and being woken again cost
    more than a round trip of the server). Otherwise the dispatcher decides first whether the
    tick goes on. Either way the end waits for the previous record (`gate`).
    """
    went_through = previous.done() and previous.exception() is None and previous.result() == 1
    if not went_through and not gate.wait_start():
        raise SendAbandoned("not started: the tick ended after the previous send")
    return email.send()


def _wait(in_flight: _InFlight, *, lease: _Lease) -> int:
    """The send's result, renewing the lease while the provider takes its time.

    A provider may take longer than a lease for one message (every step of an SMTP
    conversation may wait `EMAIL_TIMEOUT`; an HTTP API its own timeout), so the wait is cut
    into thirds of a lease and the rows still ours are renewed between them.
    """
    if in_flight.future is None:
        return in_flight.email.send()
    while True:
        try:
            return in_flight.future.result(timeout=lease.length.total_seconds() / 3)
        except FutureTimeout:
            lease.renew_if_due()


@dataclass
class _Next:
    """The next message's send, started by `_settle` (None when it is not to be sent)."""

    # Arguments: hold its end behind a gate; queue it behind that send.
    start: Callable[[bool, Future[int] | None], _InFlight | None]
    # Bytes through a sending thread: its end can wait for the previous record.
    can_wait: bool


def _settle(
    in_flight: _InFlight,
    *,
    lease: _Lease,
    result: DispatchResult,
    refusals: list[int],
    following: _Next | None = None,
    queued: _InFlight | None = None,
) -> tuple[bool, _InFlight | None]:
    """Wait for the send and record its outcome: (stop the tick here?, the next send).

    1. Wait for the provider's answer, and decide from it whether the tick goes on.
    2. If it goes on, `following` starts the next send: a gated one (bytes through the SMTP
       backend) at once, so its envelope and body travel while this outcome is written, but
       its last line (the `.` after which the server owns it) only after step 3 committed;
       any other only after step 3. A gated send `queued` behind this one has started by
       itself if this one went through; otherwise it starts now, or never if the tick stops.
    3. Record this outcome (its own commit). If that fails, the next send is abandoned
       before its end: at most this one message is delivered and unrecorded.
    """
    try:
        return _settle_with(
            in_flight,
            lease=lease,
            result=result,
            refusals=refusals,
            following=following,
            queued=queued,
        )
    except BaseException:
        if queued is not None and queued.gate is not None:
            queued.gate.abandon()
        raise


def _settle_with(
    in_flight: _InFlight,
    *,
    lease: _Lease,
    result: DispatchResult,
    refusals: list[int],
    following: _Next | None,
    queued: _InFlight | None,
) -> tuple[bool, _InFlight | None]:
    message, email = in_flight.message, in_flight.email
    if in_flight.gate is not None:
        in_flight.gate.open()  # not held any more: a send waited for is a send on its own
    failure: SendFailure | None = None
    try:
        sent = _wait(in_flight, lease=lease)
    except INTERRUPTIONS:
        raise
    except SendAbandoned:
        if queued is not None and queued.gate is not None:
            queued.gate.abandon()
        return True, None  # never delivered; the row comes back with its lease
    except Exception as error:
        sent, failure = 0, send_failure_classify(error)
        if failure.delivered:
            logger.warning("message %s was accepted, but: %s", message.pk, failure.reason)
            sent, failure = 1, None
    if failure is None and sent != 1:
        failure = SendFailure(
            temporary=False,
            provider_wide=False,
            reason="the e-mail backend sent nothing",
        )
    stop = False
    if failure is not None and failure.temporary:
        refusals[0] += 1
        logger.warning("sending message %s was refused for now: %s", message.pk, failure.reason)
        if failure.provider_wide:
            # The connection may be broken: the next tick opens a new one.
            _connection_reset(email.connection)
        stop = failure.provider_wide or refusals[0] >= REFUSALS_BEFORE_PAUSE
    goes_on = following if following is not None and not stop else None
    if queued is not None and queued.gate is not None:
        if stop:
            queued.gate.abandon()  # never started, or dropped before its end
            early = None
        else:
            queued.gate.allow_start()
            early = queued
    else:
        early = goes_on.start(True, None) if goes_on is not None and goes_on.can_wait else None
    try:
        if failure is None:
            _record_sent(message, email=email, lease=lease, result=result, refusals=refusals)
        else:
            _record_failure(message, failure=failure, lease=lease, result=result)
    except BaseException:
        if early is not None and early.gate is not None:
            early.gate.abandon()
        raise
    if early is not None:
        if early.gate is not None:
            early.gate.open()
        return stop, early
    if goes_on is not None and not goes_on.can_wait:
        return stop, goes_on.start(False, None)
    return stop, None


def _record_sent(
    message: Message,
    *,
    email: EmailMessage | Prepared,
    lease: _Lease,
    result: DispatchResult,
    refusals: list[int],
) -> bool:
    refusals[0] = 0
    status = getattr(email, "anymail_status", None)
    provider_id = getattr(status, "message_id", None) or ""
    now = timezone.now()
    recorded = _finish(
        message,
        lease=lease,
        status=MessageStatus.SENT,
        now=now,
        detail=None,  # its event is written with the batch's
        sent_at=now,
        subject=email.subject[:255],
        provider_message_id=str(provider_id)[:255],
        last_error="",
    )
    if recorded:
        result.unrecorded_sent.append(message.pk)
        result.sent += 1
    return False


def _record_failure(
    message: Message, *, failure: SendFailure, lease: _Lease, result: DispatchResult
) -> None:
    now = timezone.now()
    reason = failure.reason[:2000]
    if failure.temporary:
        if failure.provider_wide:
            result.refused += 1
        else:
            result.refused_alone += 1
        result.last_refusal = failure.public_reason[:2000]
    if failure.temporary and message.attempts < settings.OUTBOX_MAX_ATTEMPTS:
        _finish(
            message,
            lease=lease,
            status=MessageStatus.PENDING,
            now=now,
            detail=f"retry: {reason}",
            last_error=reason,
            due_at=now + retry_delay(message.attempts),
        )
        result.retried += 1
        return
    _fail(message, lease=lease, result=result, reason=reason, now=now)


def _fail(
    message: Message, *, lease: _Lease, result: DispatchResult, reason: str, now: datetime
) -> None:
    """Finish `message` as failed for good, with `reason` for the host and the admin."""
    _finish(
        message,
        lease=lease,
        status=MessageStatus.FAILED,
        now=now,
        detail=reason,
        last_error=reason,
    )
    result.failed += 1


def _connection_reset(backend: BaseEmailBackend | PreparedSender | None) -> None:
    try:
        if backend is not None:
            backend.close()
    except Exception:  # closing a broken connection may fail in any way
        logger.debug("closing the e-mail connection failed", exc_info=True)


def _record_sent_events(result: DispatchResult) -> None:
    if result.unrecorded_sent:
        message_events_record(
            message_ids=result.unrecorded_sent,
            status=MessageStatus.SENT,
            detail="",
            now=timezone.now(),
        )
        result.unrecorded_sent = []


@contextmanager
def _dispatch_session() -> Iterator[None]:
    """Prepare this database connection for dispatching.

    Every sent message is recorded in its own commit, so that a killed worker re-sends at most
    the one message it had on the wire. Waiting for an fsync on each of those commits would
    cost about as much as sending the e-mail, so on PostgreSQL the connection's commits return
    before their WAL reaches the disk (`synchronous_commit = off`): a crash of the database
    server itself (not of a worker) can lose the last fraction of a second of records, and
    those few messages are sent again — at-least-once delivery, as the outbox promises anyway.
    """
    if db_connection.vendor != "postgresql":
        yield
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        if db_connection.is_usable():
            with db_connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def _dispatch_batch(
    batch: list[Message],
    *,
    lease: _Lease,
    result: DispatchResult,
    executor: ThreadPoolExecutor | None,
    connection: BaseEmailBackend,
    stop_at: float,
) -> bool:
    """Send one claimed batch; False when the tick should end (the provider is refusing)."""
    refusals = [0]
    in_flight: _InFlight | None = None
    index = 0
    groups = _Groups(prepared=hasattr(connection, "send_prepared"))

    def release_rest() -> None:
        on_the_wire = {in_flight.message.pk} if in_flight is not None else set()
        outbox_release(
            message_ids=[row.pk for row in batch[index:] if row.pk in lease.owned - on_the_wire],
            leased_until=lease.until,
        )

    def hand_over_to(message: Message, email: EmailMessage | Prepared | None) -> _Next:
        def start(gated: bool, after: Future[int] | None) -> _InFlight | None:
            """Start sending `message` if it is still ours and its moment has not passed."""
            if email is None:
                return None
            lease.renew_if_due()
            if message.pk not in lease.owned:
                return None
            if message.expires_at is not None and timezone.now() >= message.expires_at:
                _finish(
                    message,
                    lease=lease,
                    status=MessageStatus.SKIPPED,
                    now=timezone.now(),
                    detail="its moment had passed",
                )
                result.skipped += 1
                return None
            email.connection = connection
            return _send_start(
                message, email, executor=executor, lease=lease, gated=gated, after=after
            )

        return _Next(start, can_wait=executor is not None and isinstance(email, Prepared))

    try:
        for index, message in enumerate(batch):  # noqa: B007 (the closures above read it)
            if time.monotonic() >= stop_at:
                release_rest()
                return False
            if message.pk not in lease.owned:
                continue
            email = _render(message, lease=lease, result=result, groups=groups)
            following = hand_over_to(message, email)
            if in_flight is None:
                in_flight = following.start(False, None)
                continue
            if following.can_wait and in_flight.future is not None:
                # Queued behind the send in flight: it starts when that one went through.
                stop, in_flight = _settle(
                    in_flight,
                    lease=lease,
                    result=result,
                    refusals=refusals,
                    queued=following.start(True, in_flight.future),
                )
            else:
                stop, in_flight = _settle(
                    in_flight,
                    lease=lease,
                    result=result,
                    refusals=refusals,
                    following=following,
                )
            if stop:
                release_rest()
                return False
        index = len(batch)
        if in_flight is not None:
            stop, in_flight = _settle(in_flight, lease=lease, result=result, refusals=refusals)
            return not stop
        return True
    except BaseException:
        # Interrupted (a time limit, a database error): what was not handed over yet goes
        # back at once; what was handed over is recorded below when it can be.
        try:
            release_rest()
        except Exception:
            logger.warning("could not hand back the rest of the batch", exc_info=True)
        raise
    finally:
        if in_flight is not None:
            try:
                _settle(in_flight, lease=lease, result=result, refusals=refusals)
            except BaseException:
                # Its lease runs out and it is sent again: the one duplicate a crash may cost.
                logger.warning("could not record message %s", in_flight.message.pk, exc_info=True)


def _connection_open(
    connection: BaseEmailBackend,
    batch: list[Message],
    until: datetime,
    result: DispatchResult,
) -> bool:
    """Open the provider's connection for a batch; False (the batch handed back) if it refuses.

    Opening is where an SMTP server greets us, where STARTTLS and AUTH happen: a refusal
    there is the provider's, classified and reported like any other.
    """
    try:
        connection.open()
    except INTERRUPTIONS:
        raise
    except Exception as error:
        failure = send_failure_classify(error)
        logger.warning("the e-mail provider refused the connection: %s", failure.reason)
        outbox_release(message_ids=[row.pk for row in batch], leased_until=until)
        result.refused += 1
        result.last_refusal = failure.public_reason[:2000]
        _connection_reset(connection)
        return False
    return True


def outbox_dispatch(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    max_seconds: float = 60.0,
) -> DispatchResult:
    """Send every message due at `now` (default: the current time), batch after batch.

    1. Claim a batch (leased to this call, the lease renewed while the batch lasts).
    2. Render each message from current state; hand it to the provider in the sending thread
       while the next is rendered; record each outcome before the next send starts.
    3. Stop when nothing is due, after `max_seconds`, or when the provider refuses us
       (the unsent rest of the batch is handed back at once).
    4. Record how the provider did this tick (`ProviderHealth`), for the hosts' banner.
    """
    batch_size = batch_size or settings.OUTBOX_BATCH_SIZE
    length = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    result = DispatchResult()
    stop_at = time.monotonic() + max_seconds
    connection = get_connection()
    executor = (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-send")
        if _sends_in_thread(connection)
        else None
    )
    try:
        with _dispatch_session():
            while time.monotonic() < stop_at:
                claimed_at = timezone.now()
                until = lease_token(claimed_at + length)
                batch = outbox_claim(
                    now=now or claimed_at,
                    limit=batch_size,
                    lease=length,
                    leased_until=until,
                )
                if not batch:
                    break
                if not _connection_open(connection, batch, until, result):
                    break
                lease = _Lease(
                    until=until,
                    renew_at=claimed_at + length / 3,
                    length=length,
                    owned={row.pk for row in batch},
                )
                try:
                    if not _dispatch_batch(
                        batch,
                        lease=lease,
                        result=result,
                        executor=executor,
                        connection=connection,
                        stop_at=stop_at,
                    ):
                        break
                finally:
                    _record_sent_events(result)
    finally:
        if executor is not None:
            executor.shutdown(wait=True)
        _connection_reset(connection)
    # One greylisted recipient is not a failing provider; three refused in one tick may be.
    refused = result.refused + (result.refused_alone if result.refused_alone >= 3 else 0)
    provider_health_record(
        sent=result.sent,
        refused=refused,
        reason=result.last_refusal,
        now=timezone.now(),
    )
    return result
