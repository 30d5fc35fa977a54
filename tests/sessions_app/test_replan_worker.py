"""The background replan with real Celery workers on Redis and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from reminders.models import Message, MessageStatus
from sessions_app.models import Registration, ReplanJob, ReplanStatus
from sessions_app.reminders import session_reminders_plan
from sessions_app.replans import replan_jobs_resume
from tests.factories import UserFactory, hosted_session
from tests.support.workers import wait_until

REGISTRANTS = 5000


@pytest.fixture
def workers(celery_processes, monkeypatch: pytest.MonkeyPatch):
    """Tasks this process queues (on commit, as the host's request does) go to the workers'
    own broker database, not to REDIS_URL's."""
    monkeypatch.setattr(app.conf, "broker_url", celery_processes.env["REDIS_URL"])
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    # Small batches, so the job takes long enough to kill its worker half-way through.
    celery_processes.env["SESSION_REPLAN_BATCH_SIZE"] = "100"
    return celery_processes


def _form(session) -> dict[str, str]:
    local = (session.starts_at + timedelta(hours=2)).astimezone(session.zone)
    return {
        "title": session.title,
        "description": "",
        "module": "",
        "time_zone": session.time_zone,
        "starts_on": local.strftime("%Y-%m-%d"),
        "starts_time": local.strftime("%H:%M"),
        "duration_minutes": str(session.duration_minutes),
        "theme": "meeting",
        "is_registration_required": "on",
        "remind_day_before": "on",
        "remind_hour_before": "on",
        "remind_half_hour_before": "on",
        "capacity": "",
        "co_host_emails": "",
    }


def test_a_worker_tells_every_registrant_and_a_job_whose_worker_was_killed_is_resumed(
    workers,
) -> None:
    host = UserFactory()
    session = hosted_session(
        user=host, starts_at=timezone.now() + timedelta(days=3), time_zone="Europe/Berlin"
    )
    Registration.objects.bulk_create(
        Registration(session=session, email=f"p{index}@example.org", name=f"Person {index}")
        for index in range(REGISTRANTS)
    )
    session_reminders_plan(session=session, now=timezone.now())
    client = Client()
    client.force_login(host)
    workers.start_worker("first", concurrency=1)

    response = client.post(
        reverse("sessions_app:session_edit", kwargs={"session_id": session.pk}), _form(session)
    )
    assert response.status_code == 302
    job = ReplanJob.objects.get(session=session)

    def done() -> int:
        job.refresh_from_db()
        return job.done

    assert wait_until(lambda: done() >= 500, timeout=60), workers.logs()
    workers.kill("first")
    assert done() < REGISTRANTS, "the job finished before its worker could be killed"
    assert job.status == ReplanStatus.RUNNING

    # Beat's sweep finds the job stuck and queues it again; a new worker finishes it.
    assert replan_jobs_resume(now=timezone.now() + timedelta(minutes=3)) == [job.pk]
    workers.start_worker("second", concurrency=1)
    finished = wait_until(
        lambda: ReplanJob.objects.get(pk=job.pk).status == ReplanStatus.DONE, timeout=120
    )
    assert finished, workers.logs()

    pending = Message.objects.filter(topic=f"session:{session.pk}", status=MessageStatus.PENDING)
    updates = pending.filter(kind="session_update", schedule_sequence=1)
    assert updates.count() == updates.values("object_id").distinct().count() == REGISTRANTS
    reminders = pending.filter(kind__startswith="session_reminder")
    assert reminders.filter(schedule_sequence=1).count() == 3 * REGISTRANTS
    assert not reminders.filter(schedule_sequence=0).exists()
    progress = client.get(
        reverse("sessions_app:replan_progress", kwargs={"session_id": session.pk})
    )
    assert "All registrants have been told." in progress.text
