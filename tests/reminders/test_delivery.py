"""How the dispatcher reads failures, tells hosts about a failing provider, and forgets old mail."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

import pytest
import time_machine
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from reminders import registry
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
