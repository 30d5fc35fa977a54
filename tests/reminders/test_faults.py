"""Delivery under real faults: a real SMTP server whose replies the test scripts, PostgreSQL,
and (where the fault is a worker's) real Celery worker and beat processes.

The in-process tests travel in time: a beat tick every 5 s of travelled time, the SMTP
conversation itself real. Each asserts what a host would count: every message arrived, none
twice (or at most once twice where the protocol leaves it open), none failed that could have
been sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus, ProviderHealth
from sessions_app.services import registration_create
from tests.factories import SessionFactory
from tests.support.smtp import ScriptedSMTPServer
from tests.support.workers import wait_until

pytestmark = pytest.mark.services

N = 2000
TICK = timedelta(seconds=5)
OUTAGE = timedelta(seconds=60)


@pytest.fixture
def smtp_server() -> Iterator[ScriptedSMTPServer]:
    server = ScriptedSMTPServer()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(smtp_server: ScriptedSMTPServer) -> Iterator[None]:
    with override_settings(
        EMAIL_BACKEND="reminders.backends.SMTPEmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=smtp_server.port,
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_TIMEOUT=10,
    ):
        yield


def _plan(n: int, *, topic: str = "fault", due=None) -> list[int]:
    due = due or timezone.now() - timedelta(seconds=1)
    rows = Message.objects.bulk_create(
        [
            Message(
                kind="test_plain",
                topic=topic,
                recipient_email=f"p{i}@example.org",
                due_at=due,
                dedupe_key=f"{topic}:{i}",
            )
            for i in range(n)
        ],
        batch_size=1000,
    )
    return [row.pk for row in rows]


def _ticks_until_done(traveller, *, limit: int = 200) -> None:
    for _ in range(limit):
        outbox_dispatch()
        if not Message.objects.filter(status__in=["pending", "sending"]).exists():
            return
        traveller.shift(TICK)


@pytest.mark.parametrize("stage", ["EHLO", "MAIL", "RCPT", "DATA"])
def test_a_relay_answering_451_for_a_minute_at_any_stage_delays_mail_and_loses_none(
    requires_postgres, smtp_server, smtp_settings, stage
) -> None:
    ids = _plan(N)
    start = timezone.now()
    smtp_server.fail(stage=stage, reply="451 4.3.0 Try again later")
    with time_machine.travel(start, tick=False) as traveller:
        while timezone.now() < start + OUTAGE:
            outbox_dispatch()
            traveller.shift(TICK)
        assert smtp_server.count == 0
        # None failed during the outage: each refusal was "try again later".
        assert not Message.objects.filter(status=MessageStatus.FAILED).exists()
        health = ProviderHealth.objects.get()
        assert health.failing_since == start
        assert "451" in health.last_error
        assert "@" not in health.last_error  # shown to every host: no participant's address
        smtp_server.recover()
        recovered = timezone.now()
        _ticks_until_done(traveller)
        finished = timezone.now()

    arrived = Counter(smtp_server.outbox_ids())
    assert set(arrived) == set(ids)  # 0 lost
    assert max(arrived.values()) == 1  # 0 duplicates
    assert Message.objects.filter(status=MessageStatus.SENT).count() == N
    assert finished - recovered <= timedelta(minutes=1)
    assert ProviderHealth.objects.get().failing_since is None


def test_a_550_for_one_recipient_fails_that_message_alone_with_the_servers_words(
    requires_postgres, smtp_server, smtp_settings
) -> None:
    ids = _plan(N)
    smtp_server.fail(
        stage="RCPT", recipients=["p700@example.org"], reply="550 5.1.1 No such mailbox here"
    )
    outbox_dispatch(max_seconds=600)
    failed = Message.objects.get(status=MessageStatus.FAILED)
    assert failed.recipient_email == "p700@example.org"
    assert "550 5.1.1 No such mailbox here" in failed.last_error
    assert sorted(smtp_server.outbox_ids()) == sorted(set(ids) - {failed.pk})
    assert Message.objects.filter(status=MessageStatus.SENT).count() == N - 1


def test_a_connection_dropped_during_data_loses_nothing_and_sends_at_most_one_twice(
    requires_postgres, smtp_server, smtp_settings
) -> None:
    ids = _plan(N)
    smtp_server.drop_during_data(times=1)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _ticks_until_done(traveller)
    arrived = Counter(smtp_server.outbox_ids())
    assert set(arrived) == set(ids)
    assert sum(count - 1 for count in arrived.values()) <= 1
    assert Message.objects.filter(status=MessageStatus.SENT).count() == N


def test_a_stored_name_with_a_line_break_does_not_hold_back_the_batch(
    requires_postgres, smtp_server, smtp_settings
) -> None:
    """A row planted before names were checked: its confirmation is first in line."""
    now = timezone.now()
    session = SessionFactory(starts_at=now + timedelta(days=2))
    registration_create(
        session=session,
        email="planted@example.org",
        name="A\r\nBcc: victim@example.net",
        now=now - timedelta(seconds=5),
    )
    ids = _plan(165, due=now - timedelta(seconds=1))
    result = outbox_dispatch()
    # Every other due message went out in the same tick.
    assert set(smtp_server.outbox_ids()) >= set(ids)
    confirmation = Message.objects.get(
        recipient_email="planted@example.org", kind="session_confirmation"
    )
    assert confirmation.status in (MessageStatus.SENT, MessageStatus.FAILED)
    assert result.sent + result.failed == 166, result
    # Whatever happened to it, nobody else received it.
    for received in smtp_server.received:
        assert "victim@example.net" not in received.recipients
        assert received.message.get("Bcc") is None


def _smtp_worker_env(server: ScriptedSMTPServer) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "reminders.backends.SMTPEmailBackend",
        "EMAIL_URL": f"smtp://127.0.0.1:{server.port}",
        "OUTBOX_BATCH_SIZE": "50",
    }


def _wait_for_all_sent(topic: str, *, timeout: float) -> bool:
    return wait_until(
        lambda: Message.objects.filter(topic=topic, status=MessageStatus.SENT).count() == N,
        timeout=timeout,
        interval=0.5,
    )


def test_a_workers_database_connection_terminated_mid_dispatch_loses_nothing(
    celery_processes, smtp_server
) -> None:
    ids = _plan(N, topic="terminated")
    celery_processes.env.update(_smtp_worker_env(smtp_server))
    celery_processes.env["OUTBOX_LEASE_SECONDS"] = "10"
    celery_processes.start_worker(concurrency=1)
    celery_processes.start_beat()
    assert smtp_server.wait_for(300, timeout=60), celery_processes.logs()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (terminated,) = cursor.fetchone()
    assert terminated >= 1
    assert smtp_server.count < N, "the worker finished first: nothing was interrupted"
    assert _wait_for_all_sent("terminated", timeout=120), celery_processes.logs()
    arrived = Counter(smtp_server.outbox_ids())
    assert set(arrived) == set(ids)
    assert sum(count - 1 for count in arrived.values()) <= 1


def test_a_killed_worker_loses_nothing_and_its_rows_are_sent_within_90_seconds(
    celery_processes, smtp_server
) -> None:
    """The default lease: what a crash costs in production."""
    ids = _plan(N, topic="killed")
    celery_processes.env.update(_smtp_worker_env(smtp_server))
    celery_processes.start_beat()
    celery_processes.start_worker("first", concurrency=1)
    assert smtp_server.wait_for(400, timeout=60), celery_processes.logs()
    celery_processes.kill("first")
    killed_at = timezone.now()
    sent_before_kill = smtp_server.count
    assert sent_before_kill < N, "the worker finished before it could be killed"
    celery_processes.start_worker("second", concurrency=1)
    assert _wait_for_all_sent("killed", timeout=150), celery_processes.logs()
    last_sent = Message.objects.filter(topic="killed").latest("sent_at").sent_at
    arrived = Counter(smtp_server.outbox_ids())
    print(
        f"killed after {sent_before_kill} sends; last sent {last_sent - killed_at} after the "
        f"kill; duplicates: {sum(count - 1 for count in arrived.values())}"
    )
    assert set(arrived) == set(ids)
    assert sum(count - 1 for count in arrived.values()) <= 1
    assert last_sent - killed_at <= timedelta(seconds=90)


@override_settings(OUTBOX_LEASE_SECONDS=3)
def test_a_slow_relay_keeps_the_lease_of_every_row_it_has_on_the_wire(
    requires_postgres, smtp_server, smtp_settings
) -> None:
    """Renewals come every second here while each send takes a quarter of one: a row being
    sent while the lease is renewed must still be the dispatcher's to record."""
    ids = _plan(16)
    smtp_server.slow_down(seconds=0.25)
    result = outbox_dispatch(max_seconds=60)
    assert result.sent == 16
    assert set(Message.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        MessageStatus.SENT
    }
    # Nothing left leased to come back later and go out again.
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert outbox_dispatch().sent == 0
    assert sorted(smtp_server.outbox_ids()) == sorted(ids)
