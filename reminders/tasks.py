from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from reminders.dispatcher import outbox_dispatch
from reminders.services import outbox_prune


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def dispatch_outbox() -> int:
    """Beat runs this every few seconds; overlapping runs are safe (rows are leased)."""
    return outbox_dispatch(max_seconds=80).sent


@shared_task(ignore_result=True, time_limit=3600, soft_time_limit=3500)
def prune_outbox() -> int:
    """Daily: forget sent, cancelled and skipped messages older than OUTBOX_RETENTION_DAYS."""
    return outbox_prune(
        now=timezone.now(), older_than=timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    )
