from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from programs.rounds import rounds_advance


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=280)
def advance_rounds() -> int:
    """Beat runs this every few seconds; overlapping runs are safe (rounds move under a lock)."""
    result = rounds_advance(now=timezone.now())
    return len(result.opened) + len(result.matched)
