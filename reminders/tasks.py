from __future__ import annotations

from celery import shared_task

from reminders.dispatcher import outbox_dispatch


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def dispatch_outbox() -> int:
    """Beat runs this every few seconds; overlapping runs are safe (rows are leased)."""
    return outbox_dispatch(max_seconds=80).sent
