"""Periodic work of the sessions app, run by Celery beat."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from sessions_app.recordings import recordings_sweep


@shared_task
def sweep_recordings() -> int:
    """Remove recording files whose rows are gone (sessions or programs deleted in the admin)."""
    return recordings_sweep(now=timezone.now())
