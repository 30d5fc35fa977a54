"""Periodic work of the sessions app, run by Celery beat."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from sessions_app.recordings import recording_process, recordings_sweep


@shared_task
def sweep_recordings() -> int:
    """Remove recording files whose rows are gone (sessions or programs deleted in the admin)."""
    return recordings_sweep(now=timezone.now())


@shared_task(autoretry_for=(OSError,), max_retries=3, default_retry_delay=30)
def process_recording(recording_id: int) -> str:
    """Make the .mp4 of a session the media server recorded.

    A failure of the tools is kept on the row for the host (who may retry); a passing
    trouble of the machine (a full disk, a lost connection) is retried by Celery.
    """
    recording = recording_process(recording_id=recording_id, now=timezone.now())
    return recording.status
