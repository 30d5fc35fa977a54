from __future__ import annotations

import smtplib
from collections import Counter
from datetime import timedelta

import psycopg
import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reminders.dispatcher import outbox_claim, outbox_dispatch, retry_delay
from reminders.models import Message, MessageEvent, MessageStatus
from reminders.services import (
    WantedMessage,
    outbox_enqueue,
    outbox_reconcile,
    outbox_reconcile_topics,
)
from tests.factories import MessageFactory
from tests.support.concurrency import run_at_once
from tests.support.smtp import ScriptedSMTPServer

pytestmark = pytest.mark.django_db


def _wanted(key: str, due_at, **fields) -> WantedMessage:
    return WantedMessage(
        kind="test_plain",
        recipient_email=f"{key}@example.org",
        dedupe_key=key,
        due_at=due_at,
        **fields,
    )


def test_a_due_message_is_sent_once_and_recorded() -> None:
    message = MessageFactory(recipient_name="Ada Lovelace", recipient_email="ada@example.org")
    result = outbox_dispatch()
    assert result.sent == 1
    assert [email.to for email in mail.outbox] == [["Ada Lovelace <ada@example.org>"]]
    assert mail.outbox[0].subject == f"Test message {message.pk}"
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.sent_at is not None
    assert message.attempts == 1
    assert list(message.events.values_list("status", flat=True)) == ["sent"]
    assert outbox_dispatch().sent == 0
    assert len(mail.outbox) == 1


def test_messages_not_yet_due_wait() -> None:
    MessageFactory(due_at=timezone.now() + timedelta(minutes=5))
    assert outbox_dispatch().sent == 0
    assert mail.outbox == []
    assert outbox_dispatch(now=timezone.now() + timedelta(minutes=6)).sent == 1


def test_a_message_whose_moment_passed_is_skipped_not_sent_late() -> None:
    message = MessageFactory(expires_at=timezone.now() - timedelta(seconds=1))
    result = outbox_dispatch()
    assert (result.sent, result.skipped) == (0, 1)
    assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == MessageStatus.SKIPPED


@pytest.mark.parametrize(
    ("cancelled", "status"), [(True, MessageStatus.CANCELLED), (False, MessageStatus.SKIPPED)]
)
def test_a_message_its_renderer_no_longer_wants_is_not_sent(cancelled: bool, status: str) -> None:
    message = MessageFactory(payload={"not_wanted": True, "cancelled": cancelled})
    outbox_dispatch()
    assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == status
    assert message.events.get().detail == "test says no"


class FlakyBackend(EmailBackend):
    failures_left = 0

    def send_messages(self, messages):
        if FlakyBackend.failures_left > 0:
            FlakyBackend.failures_left -= 1
            raise ConnectionError("provider unavailable")
        return super().send_messages(messages)


class RejectingBackend(EmailBackend):
    def send_messages(self, messages):
        for message in messages:
            if any("rejected" in address for address in message.to):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"no such user")})
        return super().send_messages(messages)


@override_settings(EMAIL_BACKEND="tests.reminders.test_outbox.FlakyBackend")
def test_a_transient_error_retries_with_backoff_until_it_goes_through() -> None:
    FlakyBackend.failures_left = 2
    message = MessageFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert outbox_dispatch().retried == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    assert message.due_at == start + retry_delay(1)
    assert "provider unavailable" in message.last_error
    with time_machine.travel(message.due_at, tick=False):
        assert outbox_dispatch().retried == 1
    message.refresh_from_db()
    with time_machine.travel(message.due_at, tick=False):
        assert outbox_dispatch().sent == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 3)
    assert len(mail.outbox) == 1


@override_settings(EMAIL_BACKEND="tests.reminders.test_outbox.RejectingBackend")
def test_a_permanently_rejected_address_fails_with_its_reason() -> None:
    message = MessageFactory(recipient_email="rejected@example.org")
    assert outbox_dispatch().failed == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "no such user" in message.last_error


def test_a_lease_that_ran_out_is_claimed_again() -> None:
    message = MessageFactory()
    now = timezone.now()
    claimed = outbox_claim(now=now, limit=10, lease=timedelta(minutes=5))
    assert [row.pk for row in claimed] == [message.pk]
    # The dispatcher that claimed it died: nobody else may take it while the lease holds …
    assert outbox_claim(now=now + timedelta(minutes=4), limit=10, lease=timedelta(minutes=5)) == []
    # … and once it has run out, the next dispatcher sends it.
    assert outbox_dispatch(now=now + timedelta(minutes=6)).sent == 1
    message.refresh_from_db()
    assert message.attempts == 2
    assert "reclaimed" in list(message.events.values_list("status", flat=True))


def test_enqueue_is_idempotent_per_dedupe_key() -> None:
    now = timezone.now()
    first = outbox_enqueue(topic="t:1", message=_wanted("k1", now), now=now)
    second = outbox_enqueue(topic="t:1", message=_wanted("k1", now + timedelta(hours=1)), now=now)
    assert first.pk == second.pk
    assert Message.objects.count() == 1


def test_reconcile_creates_moves_and_cancels_pending_messages() -> None:
    now = timezone.now()
    outbox_reconcile(
        topic="t:1",
        wanted=[
            _wanted("a", now + timedelta(hours=1)),
            _wanted("b", now + timedelta(hours=2)),
            _wanted("c", now),
        ],
        now=now,
    )
    outbox_dispatch(now=now)  # "c" is sent
    result = outbox_reconcile(
        topic="t:1",
        wanted=[_wanted("a", now + timedelta(hours=3)), _wanted("d", now + timedelta(hours=4))],
        now=now,
    )
    assert (result.created, result.moved, result.cancelled) == (1, 1, 1)
    rows = {row.dedupe_key: row for row in Message.objects.all()}
    assert rows["a"].due_at == now + timedelta(hours=3)
    assert rows["b"].status == MessageStatus.CANCELLED
    assert rows["c"].status == MessageStatus.SENT
    assert rows["d"].status == MessageStatus.PENDING
    # Asking again for a message that was already sent does not plan it twice.
    again = outbox_reconcile(topic="t:1", wanted=[_wanted("c", now)], now=now)
    assert again.created == 0
    assert Message.objects.filter(dedupe_key="c").count() == 1


def test_reconciling_several_topics_at_once_keeps_each_message_under_its_topic() -> None:
    now = timezone.now()
    later = now + timedelta(hours=1)
    outbox_reconcile(topic="t:1", wanted=[_wanted("a", later), _wanted("b", later)], now=now)
    outbox_reconcile(topic="t:3", wanted=[_wanted("untouched", later)], now=now)

    result = outbox_reconcile_topics(
        wanted_by_topic={
            "t:1": [_wanted("a", later + timedelta(hours=1))],
            "t:2": [_wanted("c", later), _wanted("d", later)],
        },
        now=now,
    )

    assert (result.created, result.moved, result.cancelled) == (2, 1, 1)
    rows = {row.dedupe_key: (row.topic, row.status) for row in Message.objects.all()}
    assert rows == {
        "a": ("t:1", MessageStatus.PENDING),
        "b": ("t:1", MessageStatus.CANCELLED),
        "c": ("t:2", MessageStatus.PENDING),
        "d": ("t:2", MessageStatus.PENDING),
        "untouched": ("t:3", MessageStatus.PENDING),
    }


def test_two_dispatchers_at_once_send_each_of_500_messages_exactly_once(
    requires_postgres, transactional_db
) -> None:
    due = timezone.now() - timedelta(seconds=1)
    Message.objects.bulk_create(
        [
            Message(
                kind="test_plain",
                topic="race",
                recipient_email=f"p{i}@example.org",
                due_at=due,
                dedupe_key=f"race:{i}",
            )
            for i in range(500)
        ]
    )
    results = run_at_once(lambda _: outbox_dispatch(batch_size=25), range(2))

    sent_to = [email.to[0] for email in mail.outbox]
    assert len(sent_to) == 500
    assert len(set(sent_to)) == 500
    assert sum(result.sent for result in results) == 500
    assert all(result.sent > 0 for result in results), [r.sent for r in results]
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 500


class CommittedSentCountingBackend(EmailBackend):
    """Before each send, reads from a connection of its own how many sends are committed."""

    reader = None
    committed_before_each: list[int] = []

    def send_messages(self, messages):
        table = Message._meta.db_table
        row = CommittedSentCountingBackend.reader.execute(
            f"SELECT count(*) FROM {table} WHERE status = 'sent'"
        ).fetchone()
        CommittedSentCountingBackend.committed_before_each.append(row[0])
        return super().send_messages(messages)


@override_settings(EMAIL_BACKEND="tests.reminders.test_outbox.CommittedSentCountingBackend")
def test_every_send_is_committed_before_the_next_email_goes_out(
    requires_postgres, transactional_db
) -> None:
    """What bounds a killed worker's duplicates to the one e-mail it had on the wire.

    A slow database (each "sent" update takes 20 ms on the server) makes a dispatcher that
    went on without waiting for the previous commit visible.
    """
    MessageFactory.create_batch(30)
    settings = connection.settings_dict
    table = Message._meta.db_table
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or None,
        autocommit=True,
    ) as reader:
        reader.execute(
            "CREATE FUNCTION slow_sent() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.status = 'sent' THEN PERFORM pg_sleep(0.02); END IF; RETURN NEW; END $$"
        )
        reader.execute(
            f"CREATE TRIGGER slow_sent BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION slow_sent()"
        )
        try:
            CommittedSentCountingBackend.reader = reader
            CommittedSentCountingBackend.committed_before_each = []
            assert outbox_dispatch(batch_size=10).sent == 30
        finally:
            reader.execute(f"DROP TRIGGER slow_sent ON {table}")
            reader.execute("DROP FUNCTION slow_sent()")
    assert CommittedSentCountingBackend.committed_before_each == list(range(30))


class ClockAdvancingBackend(EmailBackend):
    """Each send takes `seconds` of travelled time: a slow provider."""

    traveller = None
    seconds = 3

    def send_messages(self, messages):
        ClockAdvancingBackend.traveller.shift(timedelta(seconds=self.seconds))
        return super().send_messages(messages)


@override_settings(
    OUTBOX_LEASE_SECONDS=10,
    OUTBOX_BATCH_SIZE=5,
    EMAIL_BACKEND="tests.reminders.test_outbox.ClockAdvancingBackend",
)
def test_a_slow_providers_batch_keeps_its_lease_for_as_long_as_it_lasts() -> None:
    MessageFactory.create_batch(5)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ClockAdvancingBackend.traveller = traveller
        outbox_dispatch(max_seconds=3600)
    # 15 s of sending on a 10 s lease: renewed as it went, so no row was claimed twice.
    assert len(mail.outbox) == 5
    assert list(Message.objects.values_list("status", flat=True)) == [MessageStatus.SENT] * 5
    assert Message.objects.filter(attempts=1).count() == 5
    assert MessageEvent.objects.filter(status="sent").count() == 5


class OutageBackend(EmailBackend):
    """Down until `recovers_at` (travelled time); refuses addresses containing "rejected" for good."""

    recovers_at = None

    def send_messages(self, messages):
        if timezone.now() < OutageBackend.recovers_at:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        for message in messages:
            if any("rejected" in address for address in message.to):
                raise smtplib.SMTPRecipientsRefused(
                    {message.to[0]: (550, b"5.1.1 mailbox unavailable")}
                )
        return super().send_messages(messages)


@override_settings(
    EMAIL_BACKEND="tests.reminders.test_outbox.OutageBackend", OUTBOX_MAX_ATTEMPTS=12
)
def test_an_outage_delays_mail_but_loses_none_and_a_rejected_address_fails_with_its_reason() -> (
    None
):
    start = timezone.now()
    MessageFactory.create_batch(300, due_at=start)
    rejected = MessageFactory(due_at=start, recipient_email="rejected@example.org")
    OutageBackend.recovers_at = start + timedelta(minutes=20)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(30):  # beat ticks, a minute apart, through the outage and after it
            outbox_dispatch()
            traveller.shift(timedelta(minutes=1))
    sent_to = Counter(email.to[0] for email in mail.outbox)
    assert len(sent_to) == 300
    assert max(sent_to.values()) == 1
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 300
    rejected.refresh_from_db()
    assert rejected.status == MessageStatus.FAILED
    assert "mailbox unavailable" in rejected.last_error
    assert not Message.objects.filter(
        status__in=[MessageStatus.PENDING, MessageStatus.SENDING]
    ).exists()


class CommittedSentCountingServer(ScriptedSMTPServer):
    """When each message's end arrives, reads how many sends are committed."""

    def __init__(self, reader: psycopg.Connection, *, pipelining: bool) -> None:
        super().__init__(pipelining=pipelining)
        self.reader = reader
        self.committed_before_each: list[int] = []

    def accept(self, envelope) -> None:
        row = self.reader.execute(
            f"SELECT count(*) FROM {Message._meta.db_table} WHERE status = 'sent'"
        ).fetchone()
        self.committed_before_each.append(row[0])
        super().accept(envelope)


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "in-turn"])
def test_through_smtp_each_message_ends_only_after_the_previous_send_is_committed(
    requires_postgres, transactional_db, pipelining
) -> None:
    """The SMTP backend starts the next message while the last one's "sent" is written, but
    the server takes it (its final `.`) only once that is committed: still one duplicate at
    most for a killed worker."""
    MessageFactory.create_batch(30)
    settings = connection.settings_dict
    table = Message._meta.db_table
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or None,
        autocommit=True,
    ) as reader:
        reader.execute(
            "CREATE FUNCTION slow_sent() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.status = 'sent' THEN PERFORM pg_sleep(0.02); END IF; RETURN NEW; END $$"
        )
        reader.execute(
            f"CREATE TRIGGER slow_sent BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION slow_sent()"
        )
        server = CommittedSentCountingServer(reader, pipelining=pipelining)
        try:
            with override_settings(
                EMAIL_BACKEND="reminders.backends.SMTPEmailBackend",
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=server.port,
                EMAIL_USE_TLS=False,
                EMAIL_USE_SSL=False,
                EMAIL_HOST_USER="",
                EMAIL_HOST_PASSWORD="",
            ):
                assert outbox_dispatch(batch_size=10).sent == 30
        finally:
            server.stop()
            reader.execute(f"DROP TRIGGER slow_sent ON {table}")
            reader.execute("DROP FUNCTION slow_sent()")
    assert server.committed_before_each == list(range(30))


def test_the_admins_send_again_queues_failed_messages_and_leaves_sent_ones(admin_client):
    from django.urls import reverse

    from reminders.models import MessageEvent
    from tests.factories import MessageFactory

    failed = MessageFactory(status=MessageStatus.FAILED, last_error="550 no such user")
    sent = MessageFactory(status=MessageStatus.SENT)
    response = admin_client.post(
        reverse("admin:reminders_message_changelist"),
        {"action": "retry_now", "_selected_action": [failed.pk, sent.pk]},
        follow=True,
    )
    assert "1 message(s) queued again." in response.text
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.last_error) == (MessageStatus.PENDING, "")
    assert sent.status == MessageStatus.SENT
    assert MessageEvent.objects.filter(message=failed, detail="queued again").exists()
    assert not MessageEvent.objects.filter(message=sent).exists()


def _about_batch(n: int) -> list[Message]:
    from tests.factories import RegistrationFactory, UserFactory, hosted_session

    session = hosted_session()
    registrations = [RegistrationFactory(session=session) for _ in range(n)]
    for registration in registrations:
        MessageFactory(about=registration)
    MessageFactory(about=UserFactory())  # a model with no queryset registered for the kind
    return registrations


def _claimed_with_queries(n: int) -> tuple[list[Message], int, int]:
    from django.contrib.contenttypes.models import ContentType

    Message.objects.all().delete()
    registrations = _about_batch(n)
    gone = registrations[0]
    gone_pk = gone.pk
    gone.delete()
    ContentType.objects.clear_cache()  # each claim looks its content types up afresh
    with CaptureQueriesContext(connection) as queries:
        batch = outbox_claim(now=timezone.now(), limit=100, lease=timedelta(seconds=60))
    return batch, len(queries), gone_pk


def test_a_claim_attaches_each_messages_object_in_a_query_per_model() -> None:
    """The same queries for 3 messages as for 30; reading `about` then costs none, and a
    message whose object is gone reads None."""
    few, few_queries, _ = _claimed_with_queries(3)
    batch, queries, gone_pk = _claimed_with_queries(30)
    assert len(few) == 4 and len(batch) == 31
    assert queries == few_queries
    with CaptureQueriesContext(connection) as reads:
        abouts = {message.object_id: message.about for message in batch}
    assert len(reads) == 0
    assert abouts[gone_pk] is None
    assert {pk: about.pk for pk, about in abouts.items() if about is not None} == {
        pk: pk for pk in abouts if pk != gone_pk
    }


def test_setting_about_replaces_the_attached_object() -> None:
    registrations = _about_batch(2)
    message = outbox_claim(now=timezone.now(), limit=100, lease=timedelta(seconds=60))[0]
    other = next(r for r in registrations if r.pk != message.object_id)
    message.about = other
    assert message.about == other and message.object_id == other.pk
