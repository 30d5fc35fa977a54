"""How the dispatcher reads failures, tells hosts about a failing provider, and forgets old mail."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.utils import parseaddr

import pytest
import time_machine
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.mail.message import sanitize_address
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from reminders import registry
from reminders.backends import _quoted_recipient
from reminders.dispatcher import outbox_dispatch
from reminders.emails import build_email
from reminders.failures import send_failure_classify
from reminders.models import Message, MessageEvent, MessageStatus, ProviderHealth
from reminders.services import outbox_prune
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


class _Response:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.text = "{}"
        self.reason = "reason"

    def json(self) -> dict:
        return {}


@pytest.mark.parametrize(
    ("error", "temporary", "provider_wide"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x.org": (451, b"4.3.0 later")}), True, False),
        (smtplib.SMTPRecipientsRefused({"a@x.org": (550, b"5.1.1 unknown")}), False, False),
        (smtplib.SMTPDataError(451, b"4.3.0 later"), True, False),
        (smtplib.SMTPDataError(554, b"5.7.1 content refused"), False, False),
        (smtplib.SMTPSenderRefused(451, b"4.3.0 later", "noreply@x.org"), True, True),
        (smtplib.SMTPHeloError(421, b"4.7.0 busy"), True, True),
        (smtplib.SMTPConnectError(421, b"4.7.0 busy"), True, True),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True, True),
        (ConnectionRefusedError(111, "Connection refused"), True, True),
        (TimeoutError("timed out"), True, True),
        (AnymailRecipientsRefused("rejected: a@x.org"), False, False),
        (AnymailAPIError("slow down", status_code=429, response=_Response(429)), True, True),
        (AnymailAPIError("server error", status_code=503, response=_Response(503)), True, True),
        (AnymailAPIError("bad key", status_code=401, response=_Response(401)), True, True),
        (
            AnymailAPIError("invalid attachment", status_code=422, response=_Response(422)),
            False,
            False,
        ),
        (ValueError("Header values can't contain newlines"), False, False),
    ],
)
def test_failures_mean_what_the_protocols_say(error, temporary, provider_wide) -> None:
    failure = send_failure_classify(error)
    assert (failure.temporary, failure.provider_wide) == (temporary, provider_wide)


def test_a_refused_recipient_keeps_the_servers_words() -> None:
    failure = send_failure_classify(
        smtplib.SMTPRecipientsRefused({"a@x.org": (550, b"5.1.1 No such\r\n mailbox")})
    )
    assert failure.reason == "a@x.org: 550 5.1.1 No such mailbox"
    # What every host may be shown names nobody.
    assert failure.public_reason == "RCPT: 550 5.1.1 No such mailbox"


class DownBackend(EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@override_settings(EMAIL_BACKEND="tests.reminders.test_delivery.DownBackend")
def test_hosts_see_that_the_provider_refuses_mail_until_it_recovers(host_client, caplog) -> None:
    MessageFactory.create_batch(3)
    start = timezone.now()
    with time_machine.travel(start, tick=False), caplog.at_level(logging.WARNING):
        outbox_dispatch()
    assert "refused 1 of 1 sends this tick" in caplog.text
    page = host_client.get("/programs/").content.decode()
    assert "E-mail is being refused by the provider since" in page
    assert "Connection unexpectedly closed" in page
    assert Message.objects.filter(status=MessageStatus.PENDING).count() == 3

    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
        time_machine.travel(start + timedelta(minutes=5), tick=False),
    ):
        assert outbox_dispatch().sent == 3
    assert ProviderHealth.objects.get().failing_since is None
    assert "refused by the provider" not in host_client.get("/programs/").content.decode()


def test_visitors_are_not_told_about_the_provider(client) -> None:
    ProviderHealth.objects.create(failing_since=timezone.now(), last_error="451 later")
    assert "refused by the provider" not in client.get("/").content.decode()


@registry.register("test_in_transaction")
def _render_in_transaction(message: Message):
    with transaction.atomic():
        subject = Message.objects.select_for_update().get(pk=message.pk).recipient_email
    return build_email(template="test_plain", context={"message": message}, to_email=subject)


def test_a_renderer_may_open_a_transaction(transactional_db) -> None:
    MessageFactory.create_batch(3, kind="test_in_transaction")
    assert outbox_dispatch().sent == 3
    assert len(mail.outbox) == 3


class _BrokenRenderError(Exception):
    pass


@registry.register("test_unbuildable")
def _render_unbuildable(message: Message):
    raise _BrokenRenderError("the template needs something that is gone")


def test_a_message_that_cannot_be_built_fails_alone_and_the_batch_goes_on() -> None:
    broken = MessageFactory(kind="test_unbuildable", due_at=timezone.now() - timedelta(minutes=1))
    others = MessageFactory.create_batch(5)
    result = outbox_dispatch()
    assert (result.sent, result.failed) == (5, 1)
    broken.refresh_from_db()
    assert broken.status == MessageStatus.FAILED
    assert "the template needs something that is gone" in broken.last_error
    assert {m.to[0] for m in mail.outbox} == {o.recipient_email for o in others}


def test_old_finished_messages_and_their_events_are_pruned_in_batches() -> None:
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=200), tick=False):
        old = MessageFactory.create_batch(7, status=MessageStatus.SENT)
        old_failed = MessageFactory(status=MessageStatus.FAILED)
        old_pending = MessageFactory(status=MessageStatus.PENDING)
        for message in old:
            MessageEvent.objects.create(message=message, status="sent", created_at=timezone.now())
    recent = MessageFactory(status=MessageStatus.SENT)
    assert outbox_prune(now=now, older_than=timedelta(days=180), batch_size=3) == 7
    assert set(Message.objects.values_list("pk", flat=True)) == {
        old_failed.pk,
        old_pending.pk,
        recent.pk,
    }
    assert not MessageEvent.objects.exists()


def test_the_claim_reads_the_index_after_a_burst_whatever_the_statistics(
    requires_postgres,
) -> None:
    """A burst of 50,000 finished rows, never analysed: the claim still walks the index."""
    from reminders.dispatcher import CLAIM_PLANNER_SETTINGS, _claim_sql

    now = timezone.now()
    table = Message._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")  # statistics of an empty outbox, then the burst
        cursor.execute(
            f"INSERT INTO {table} (kind, topic, recipient_email, recipient_name, payload, due_at, "
            "status, dedupe_key, slot, attempts, last_error, subject, provider_message_id, "
            "delivery_status, delivery_detail, created_at, updated_at) "
            "SELECT 'test_plain', 'burst', 'a@example.org', '', '{}', %s, "
            "CASE WHEN g %% 10 = 0 THEN 'pending' ELSE 'sent' END, 'burst:' || g, '', 0, '', '', "
            "'', '', '', %s, %s FROM generate_series(1, 50000) AS g",
            [now - timedelta(minutes=1), now, now],
        )
        cursor.execute(CLAIM_PLANNER_SETTINGS)  # the test runs in a transaction, as the claim does
        cursor.execute(
            "EXPLAIN " + _claim_sql(),
            {
                "sending": "sending",
                "pending": "pending",
                "now": now,
                "until": now + timedelta(minutes=1),
                "limit": 200,
            },
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # An ordered walk of the index that stops at the limit: no bitmap, no sort of the backlog.
    assert "Index Scan using outbox_due_pending" in plan, plan
    assert "Bitmap" not in plan, plan
    assert "Seq Scan" not in plan, plan


class HookBackend(EmailBackend):
    """Runs `before(messages)` before each send: a slow or interrupted provider."""

    before = None

    def send_messages(self, messages):
        if HookBackend.before is not None:
            HookBackend.before(messages)
        return super().send_messages(messages)


@pytest.fixture
def hook_backend():
    with override_settings(EMAIL_BACKEND="tests.reminders.test_delivery.HookBackend"):
        yield HookBackend
    HookBackend.before = None


def test_a_time_limit_while_waiting_for_the_provider_records_the_send_and_ends_the_tick(
    hook_backend, transactional_db
) -> None:
    import signal
    import time

    from celery.exceptions import SoftTimeLimitExceeded

    first, second, third = MessageFactory.create_batch(3)
    sends = []

    def slow_first(messages):
        sends.append(messages[0].to[0])
        if len(sends) == 1:
            time.sleep(0.6)

    hook_backend.before = slow_first

    def soft_limit(*_):
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, soft_limit)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        with pytest.raises(SoftTimeLimitExceeded):
            outbox_dispatch()
    finally:
        signal.signal(signal.SIGALRM, previous)
    statuses = dict(Message.objects.values_list("recipient_email", "status"))
    # The one that went out is recorded as sent, not failed; the rest wait for the next tick.
    assert statuses[first.recipient_email] == MessageStatus.SENT
    assert statuses[second.recipient_email] == MessageStatus.PENDING
    assert statuses[third.recipient_email] == MessageStatus.PENDING
    assert len(mail.outbox) == 1


def test_a_stalled_dispatcher_neither_sends_nor_hands_back_rows_another_has_claimed(
    hook_backend, transactional_db
) -> None:
    """A stalls five minutes in its first send (past its lease); B claims the batch meanwhile."""
    from reminders.dispatcher import outbox_claim

    MessageFactory.create_batch(4)
    claimed_by_b: list[int] = []
    with time_machine.travel(timezone.now(), tick=False) as traveller:

        def stall(messages):
            if not claimed_by_b:
                traveller.shift(timedelta(minutes=5))
                claimed_by_b.extend(
                    row.pk
                    for row in outbox_claim(
                        now=timezone.now(), limit=10, lease=timedelta(minutes=1)
                    )
                )

        hook_backend.before = stall
        with override_settings(OUTBOX_LEASE_SECONDS=60):
            outbox_dispatch(batch_size=4)
    # B took all four, the one on A's wire included (its lease had run out).
    assert len(claimed_by_b) == 4
    # A sent only the message it had started; every row is still B's to send and record.
    assert len(mail.outbox) == 1
    assert set(Message.objects.filter(pk__in=claimed_by_b).values_list("status", flat=True)) == {
        MessageStatus.SENDING
    }


class SendsNothingBackend(EmailBackend):
    def send_messages(self, messages):
        return 0


@override_settings(EMAIL_BACKEND="tests.reminders.test_delivery.SendsNothingBackend")
def test_a_backend_that_sent_nothing_is_not_recorded_as_sent() -> None:
    message = MessageFactory()
    outbox_dispatch()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "sent nothing" in message.last_error


@pytest.mark.parametrize(
    ("error", "provider_wide"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x.org": (421, b"4.4.2 closing")}), True),
        (smtplib.SMTPDataError(421, b"4.4.2 closing"), True),
        (smtplib.SMTPRecipientsRefused({"a@x.org": (554, b"5.7.1 Relay access denied")}), True),
        (smtplib.SMTPRecipientsRefused({"a@x.org": (550, b"5.1.1 User unknown")}), False),
    ],
)
def test_replies_about_us_rather_than_the_recipient_keep_the_mail(error, provider_wide) -> None:
    failure = send_failure_classify(error)
    assert failure.provider_wide == provider_wide
    assert failure.temporary == provider_wide


def test_a_message_too_large_for_the_server_fails_alone() -> None:
    failure = send_failure_classify(
        smtplib.SMTPSenderRefused(552, b"5.3.4 Message size exceeds fixed limit", "n@x.org")
    )
    assert (failure.temporary, failure.provider_wide) == (False, False)


def test_what_hosts_are_shown_names_no_recipient() -> None:
    failure = send_failure_classify(
        smtplib.SMTPRecipientsRefused(
            {"bob@example.org": (450, b"4.2.0 <bob@example.org>: Recipient address rejected")}
        )
    )
    assert "bob" not in failure.public_reason
    assert "Recipient address rejected" in failure.public_reason


@override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend")
def test_a_refused_connection_keeps_the_mail_and_tells_the_hosts(transactional_db) -> None:
    from tests.support.smtp import free_port

    with override_settings(EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port(), EMAIL_TIMEOUT=2):
        MessageFactory.create_batch(3)
        result = outbox_dispatch()
    assert result.sent == 0
    assert Message.objects.filter(status=MessageStatus.PENDING, attempts=0).count() == 3
    health = ProviderHealth.objects.get()
    assert health.failing_since is not None
    assert "Connection refused" in health.last_error or "ConnectionRefused" in health.last_error


def test_one_greylisted_recipient_is_not_a_failing_provider() -> None:
    from reminders.services import provider_health_record

    class Greylisting(EmailBackend):
        pass

    MessageFactory(recipient_email="grey@example.org")
    with override_settings(EMAIL_BACKEND="tests.reminders.test_delivery.GreylistingBackend"):
        outbox_dispatch()
    assert not ProviderHealth.objects.filter(failing_since__isnull=False).exists()
    provider_health_record(sent=0, refused=0, reason="", now=timezone.now())


class GreylistingBackend(EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (450, b"4.2.0 Greylisted")})


def test_a_message_whose_dispatchers_keep_dying_fails_instead_of_coming_back_for_ever() -> None:
    from django.conf import settings

    from reminders.dispatcher import outbox_claim

    stuck = MessageFactory(
        status=MessageStatus.SENDING,
        attempts=settings.OUTBOX_MAX_ATTEMPTS,
        leased_until=timezone.now() - timedelta(seconds=1),
    )
    assert outbox_claim(now=timezone.now(), limit=10, lease=timedelta(minutes=1)) == []
    stuck.refresh_from_db()
    assert stuck.status == MessageStatus.FAILED
    assert "stopped every time" in stuck.last_error


def test_a_header_with_a_control_character_takes_the_standard_path() -> None:
    from email.errors import HeaderParseError

    from reminders.mime import OutboxEmail

    email = OutboxEmail(
        subject="Hi", body="x", from_email="n@x.org", to=["Eve\x0cBcc: victim@x.org <e@x.org>"]
    )
    with pytest.raises((HeaderParseError, ValueError)):
        email.message().as_bytes()


@pytest.mark.parametrize(
    "address",
    [
        "Person 1 <person1@example.org>",
        "person@example.org",
        "A-B  <o'brien+tag@Sub.Example.ORG>",
        "Ann <a@xn--bcher-kva.example>",
        # Not plain: the parsers' own path.
        "Jo.Smith <a@example.org>",
        '"Doe, Jane" <jane@example.org>',
        "José <jose@example.org>",
        "Ann <a@bücher.example>",
        "<a@example.org>",
        "Name<a@example.org>",
        "a..b@example.org",
    ],
)
def test_the_envelope_names_a_recipient_as_django_and_smtplib_would(address) -> None:
    expected = smtplib.quoteaddr(sanitize_address(parseaddr(address), "utf-8"))
    assert _quoted_recipient(address, "utf-8") == expected
