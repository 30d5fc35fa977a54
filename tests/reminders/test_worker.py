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
