"""The outbox with real Celery processes: worker and beat on Redis and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from reminders.models import CapturedEmail, Message, MessageStatus
from tests.support.workers import wait_until


def test_beat_and_a_worker_deliver_each_message_within_seconds_of_its_due_time(
    celery_processes,
) -> None:
    now = timezone.now()
    offsets = [4, 8, 12]
    for offset in offsets:
        Message.objects.create(
            kind="test_plain",
            topic="worker",
            recipient_email=f"at{offset}@example.org",
            due_at=now + timedelta(seconds=offset),
            dedupe_key=f"worker:{offset}",
        )
    celery_processes.start_worker()
    celery_processes.start_beat()

    delivered = wait_until(lambda: CapturedEmail.objects.count() >= len(offsets), timeout=45)
    assert delivered, celery_processes.logs()
    for message in Message.objects.filter(topic="worker"):
        capture = CapturedEmail.objects.get(message=message)
        lateness = (capture.created_at - message.due_at).total_seconds()
        assert 0 <= lateness <= 15, (message.recipient_email, lateness)
        assert message.status == MessageStatus.SENT


def test_a_worker_killed_mid_dispatch_loses_nothing_and_duplicates_at_most_its_in_flight_sends(
    celery_processes,
) -> None:
    celery_processes.env.update(
        {"TEST_SEND_DELAY_MS": "3", "OUTBOX_LEASE_SECONDS": "4", "OUTBOX_BATCH_SIZE": "50"}
    )
    due = timezone.now() - timedelta(seconds=1)
    Message.objects.bulk_create(
        [
            Message(
                kind="test_plain",
                topic="crash",
                recipient_email=f"p{i}@example.org",
                due_at=due,
                dedupe_key=f"crash:{i}",
            )
            for i in range(2000)
        ],
        batch_size=1000,
    )
    celery_processes.start_beat()
    celery_processes.start_worker("first", concurrency=2)
    assert wait_until(lambda: CapturedEmail.objects.count() >= 400, timeout=60), (
        celery_processes.logs()
    )
    celery_processes.kill("first")
    sent_before_kill = CapturedEmail.objects.count()
    assert sent_before_kill < 2000, "the worker finished before it could be killed: slow it down"

    celery_processes.start_worker("second", concurrency=2)
    finished = wait_until(
        lambda: Message.objects.filter(topic="crash", status=MessageStatus.SENT).count() == 2000,
        timeout=120,
    )
    assert finished, celery_processes.logs()

    per_message = Counter(
        CapturedEmail.objects.filter(message__topic="crash").values_list("message_id", flat=True)
    )
    assert len(per_message) == 2000  # every message sent
    duplicates = sum(count - 1 for count in per_message.values())
    print(f"killed after {sent_before_kill} sends; duplicates: {duplicates}")
    assert max(per_message.values()) <= 2  # none more than twice
    assert duplicates <= 2  # at most the one send in flight in each of the 2 pool processes


def test_a_sessions_reminders_arrive_within_seconds_of_their_moments_through_real_workers(
    celery_processes, settings
) -> None:
    from sessions_app.services import registration_create, session_create
    from tests.factories import UserFactory, hosted_program

    # Offsets of seconds instead of a day, an hour and 30 minutes, so the test can watch them.
    settings.SESSION_REMINDER_OFFSETS = {"day": 14, "hour": 9, "30min": 4}
    host = UserFactory(email="host@example.org")
    now = timezone.now()
    session = session_create(
        program=hosted_program(user=host),
        created_by=host,
        title="Standup",
        starts_at=now + timedelta(seconds=20),
        time_zone="Europe/Berlin",
        now=now,
    )
    registration_create(session=session, email="ada@example.org", name="Ada", now=now)
    celery_processes.start_worker()
    celery_processes.start_beat()

    kinds = {
        "session_reminder_day",
        "session_reminder_hour",
        "session_reminder_30min",
        "host_reminder_day",
        "host_reminder_hour",
    }
    arrived = wait_until(
        lambda: CapturedEmail.objects.filter(message__kind__in=kinds).count() == len(kinds),
        timeout=60,
    )
    assert arrived, celery_processes.logs()
    for capture in CapturedEmail.objects.filter(message__kind__in=kinds).select_related("message"):
        lateness = (capture.created_at - capture.message.due_at).total_seconds()
        assert 0 <= lateness <= 15, (capture.message.kind, lateness)
    assert CapturedEmail.objects.filter(message__kind="session_confirmation").count() == 1
