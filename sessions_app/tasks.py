"""Celery tasks of the sessions app: thin, they take ids and call a service."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from sessions_app.recordings import recording_fail, recording_process, recordings_sweep
from sessions_app.replans import TASK_SECONDS, replan_job_fail, replan_job_run, replan_jobs_resume

REPLAN_RETRIES = 5


@shared_task
def sweep_recordings() -> int:
    """Remove recording files whose rows are gone (sessions or programs deleted in the admin)."""
    return recordings_sweep(now=timezone.now())


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=REPLAN_RETRIES,
    soft_time_limit=TASK_SECONDS + 30,
    time_limit=TASK_SECONDS + 60,
)
def replan_session(self, job_id: int) -> None:
    """Replan a session's registrants in batches; a big job continues in a fresh task."""
    try:
        is_done = replan_job_run(job_id=job_id)
    except DatabaseError as error:
        if self.request.retries >= self.max_retries:
            replan_job_fail(job_id=job_id, error=repr(error), now=timezone.now())
            raise
        raise self.retry(exc=error, countdown=2**self.request.retries * 5) from error
    if not is_done:
        replan_session.delay(job_id)


@shared_task(ignore_result=True)
def resume_replans() -> int:
    """Beat: queue again the jobs whose task was lost (a killed worker, a broker down)."""
    return len(replan_jobs_resume(now=timezone.now()))


RECORDING_RETRIES = 3


@shared_task(bind=True, max_retries=RECORDING_RETRIES, default_retry_delay=30)
def process_recording(self, recording_id: int) -> str:
    """Make the .mp4 of a session the media server recorded, or download the provider's.

    A failure of the tools (or a refused download) is kept on the row for the host (who may
    retry); a passing trouble of the machine or the network (a full disk, a lost connection,
    a provider's 5xx) is retried by Celery, and kept on the row once the retries are spent.
    """
    try:
        recording = recording_process(recording_id=recording_id, now=timezone.now())
    except OSError as trouble:
        if self.request.retries >= self.max_retries:
            recording_fail(
                recording_id=recording_id,
                reason=f"Gave up after {self.max_retries + 1} tries: {trouble}",
                now=timezone.now(),
            )
            return "failed"
        raise self.retry(exc=trouble) from trouble
    return recording.status
