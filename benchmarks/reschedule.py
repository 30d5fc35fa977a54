"""A reschedule of a big session in the background: the host's request, then the worker's job.

    DATABASE_URL=postgres://… python benchmarks/reschedule.py [--n 100000]

1. A session with N registrations, each with its three reminders planned (3N pending rows).
2. The host posts the edit form with a new time (Django's test client, through the view):
   its seconds and queries, and the same for a session of 20 registrations, to show the
   request does not grow with N.
3. The job runs in a child process (spawned, Django set up on its own, as a worker would be):
   it waits for the job id that the request queues on commit, then runs the batches of
   `sessions_app.replans.replan_job_run` one step at a time, counting each batch's queries.
   Reported: seconds from the start of the host's request to the job being done, the child's
   peak RSS (VmHWM, and its RSS before the job for comparison), queries per batch and whether
   they were the same for every batch.

`measure(n=…)` does it on an already set-up Django and database (benchmarks/delivery.py calls it).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import django_setup, django_teardown, report

SMALL = 20
CHILD_TIMEOUT_SECONDS = 1800


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    n = parser.parse_args().n
    django_setup()
    try:
        figures = measure(n=n)
    finally:
        django_teardown()
    report({"benchmark": "reschedule", **figures})


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


def _child(database_name: str, jobs: multiprocessing.Queue, results: multiprocessing.Queue) -> None:
    """The worker: Django on the benchmark database, the job's batches counted one by one."""
    import os

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from sessions_app.models import Registration, Session
    from sessions_app.replans import replan_job_step

    connection.settings_dict["NAME"] = database_name
    connection.ensure_connection()
    # A worker that has run a task before has these cached; count only what a batch costs.
    ContentType.objects.get_for_models(Registration, Session)
    connection.force_debug_cursor = True  # count every statement, the server cursor's too
    results.put(("ready", _status_kb("VmRSS")))
    job_id = jobs.get()
    started = time.monotonic()
    per_batch: list[int] = []
    batch_seconds: list[float] = []
    while True:
        connection.queries_log.clear()
        batch_started = time.monotonic()
        is_done = replan_job_step(job_id=job_id)
        batch_seconds.append(time.monotonic() - batch_started)
        per_batch.append(len(connection.queries_log))
        if is_done:
            break
    results.put(
        {
            "finished_at": time.monotonic(),
            "job_seconds": time.monotonic() - started,
            "per_batch": per_batch,
            "batch_seconds": batch_seconds,
            "peak_kb": _status_kb("VmHWM"),
        }
    )


def _session(*, host, program, n: int, starts_at):
    from django.utils import timezone

    from sessions_app.models import Registration
    from sessions_app.reminders import session_reminders_plan
    from sessions_app.services import session_create

    session = session_create(
        program=program,
        created_by=host,
        title=f"Reschedule benchmark ({n})",
        starts_at=starts_at,
        time_zone="Europe/Berlin",
        now=timezone.now(),
    )
    for start in range(0, n, 10_000):
        Registration.objects.bulk_create(
            [
                Registration(session=session, email=f"p{i}@example.org", name=f"Person {i}")
                for i in range(start, min(start + 10_000, n))
            ]
        )
    session_reminders_plan(session=session, now=timezone.now())
    return session


def _form(session, *, starts_at) -> dict[str, str]:
    local = starts_at.astimezone(session.zone)
    return {
        "title": session.title,
        "description": "",
        "module": "",
        "time_zone": session.time_zone,
        "starts_on": local.strftime("%Y-%m-%d"),
        "starts_time": local.strftime("%H:%M"),
        "duration_minutes": str(session.duration_minutes),
        "theme": session.theme,
        "is_registration_required": "on",
        "remind_day_before": "on",
        "remind_hour_before": "on",
        "remind_half_hour_before": "on",
        "capacity": "",
        "co_host_emails": "",
    }


def _request(client, session, *, starts_at) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    url = reverse("sessions_app:session_edit", kwargs={"session_id": session.pk})
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post(url, _form(session, starts_at=starts_at))
        seconds = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    return seconds, len(queries)


def measure(*, n: int) -> dict[str, float | int]:
    """Reschedule a session of `n` registrations in the background; see the module docstring."""
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from programs.services import program_create
    from reminders.models import Message, MessageStatus
    from sessions_app import replans
    from sessions_app.models import ReplanJob, ReplanStatus
    from tests.factories import UserFactory

    host = UserFactory(email=f"reschedule-host-{time.monotonic_ns()}@example.org")
    program = program_create(owner=host, name="Reschedule benchmark", time_zone="Europe/Berlin")
    starts_at = timezone.now() + timedelta(days=30)
    small = _session(host=host, program=program, n=SMALL, starts_at=starts_at)
    big = _session(host=host, program=program, n=n, starts_at=starts_at)
    client = Client()
    client.force_login(host)

    context = multiprocessing.get_context("spawn")
    jobs, results = context.Queue(), context.Queue()
    child = context.Process(target=_child, args=(connection.settings_dict["NAME"], jobs, results))
    child.start()
    kind, baseline_kb = results.get(timeout=120)
    assert kind == "ready"

    queued: list[int] = []
    original_queue = replans._queue
    replans._queue = queued.append  # the "broker": the job ids go to the child, not to Celery
    try:
        small_seconds, small_queries = _request(
            client, small, starts_at=starts_at + timedelta(days=1)
        )
        started = time.monotonic()
        request_seconds, request_queries = _request(
            client, big, starts_at=starts_at + timedelta(days=1)
        )
    finally:
        replans._queue = original_queue
    job_id = queued[-1]
    jobs.put(job_id)
    outcome = results.get(timeout=CHILD_TIMEOUT_SECONDS)
    child.join(timeout=60)
    total_seconds = outcome["finished_at"] - started

    job = ReplanJob.objects.get(pk=job_id)
    assert job.status == ReplanStatus.DONE and job.done == n, (job.status, job.done)
    pending = Message.objects.filter(topic=f"session:{big.pk}", status=MessageStatus.PENDING)
    assert pending.filter(kind="session_update", schedule_sequence=1).count() == n
    assert pending.filter(kind__startswith="session_reminder", schedule_sequence=1).count() == 3 * n
    per_batch = outcome["per_batch"]
    tenth = max(len(per_batch) // 10, 1)
    early, late = outcome["batch_seconds"][:tenth], outcome["batch_seconds"][-tenth:]
    return {
        "database": connection.vendor,
        "n": n,
        "reschedule_100k_s": round(total_seconds, 2),
        "reschedule_job_s": round(outcome["job_seconds"], 2),
        "reschedule_peak_mb": round(outcome["peak_kb"] / 1024, 1),
        "reschedule_worker_baseline_mb": round(baseline_kb / 1024, 1),
        "reschedule_batches": len(per_batch),
        "reschedule_batch_size": round(n / len(per_batch)),
        "reschedule_queries_per_batch": max(per_batch),
        "reschedule_queries_per_batch_min": min(per_batch),
        "reschedule_queries_constant": int(len(set(per_batch)) == 1),
        # The first and the last tenth of the batches: a batch costs the same late in the job.
        "reschedule_batch_s_first": round(statistics.mean(early), 3),
        "reschedule_batch_s_last": round(statistics.mean(late), 3),
        "reschedule_request_s": round(request_seconds, 3),
        "reschedule_request_queries": request_queries,
        "reschedule_request_s_small": round(small_seconds, 3),
        "reschedule_request_queries_small": small_queries,
    }


if __name__ == "__main__":
    main()
