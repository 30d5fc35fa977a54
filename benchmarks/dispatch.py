"""Dispatch throughput against bare send_mail, and the cost of rescheduling a large session.

    DATABASE_URL=postgres://… python benchmarks/dispatch.py [--n 10000]

1. Plans N due "an hour before" reminders for a session with N registrations and dispatches
   them through the outbox (claim with SKIP LOCKED, render from current state, send through the
   local-memory backend, mark sent). Baseline, in the same run: the same N e-mails rendered from
   the same templates and sent with Django's send_mail directly, without the outbox. The two
   alternate in five rounds of N/5, so a slow spell of the machine weighs on both alike.
2. Reschedules a session with N registrations (3 reminders each planned): the host's request
   (which records a background job) and then the job's batches, run here in-process
   (`sessions_app.replans.replan_job_run`). Reports the total time (median of three
   sessions), the request's own time and query count, also at N/10 to show the request's
   count does not grow with N. `benchmarks/reschedule.py` runs the job in a separate worker
   process at 100,000 and reports its memory and queries per batch.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import django_setup, django_teardown, report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    n = parser.parse_args().n
    django_setup()
    try:
        figures = run(n)
    finally:
        django_teardown()
    report(figures)


def _session_with_registrations(*, n: int, host, program, starts_at, reminders: bool):
    from django.utils import timezone

    from sessions_app.models import Registration
    from sessions_app.reminders import session_reminders_plan
    from sessions_app.services import session_create

    session = session_create(
        program=program,
        created_by=host,
        title="Benchmark session",
        starts_at=starts_at,
        time_zone="Europe/Berlin",
        remind_day_before=reminders,
        remind_half_hour_before=reminders,
        now=timezone.now(),
    )
    Registration.objects.bulk_create(
        [
            Registration(session=session, email=f"person{i}@example.org", name=f"Person {i}")
            for i in range(n)
        ],
        batch_size=5000,
    )
    session_reminders_plan(session=session, now=timezone.now())
    return session


WARM_UP = 200
ROUNDS = 5
RESCHEDULE_REPEATS = 3


def _send_directly(*, session, kind: str) -> float:
    """The baseline: the same e-mails rendered from the same templates, sent with send_mail."""
    from django.core.mail import send_mail

    from reminders.emails import build_email
    from sessions_app.formatting import session_when
    from sessions_app.ics import organizer_name, session_public_url
    from sessions_app.tokens import join_url

    registrations = list(session.registrations.select_related("session__program").order_by("id"))
    context = {
        "session": session,
        "program": session.program,
        "when": session_when(session),
        "lead": "in an hour",
        "host_name": organizer_name(session),
        "session_url": session_public_url(session),
    }
    started = time.perf_counter()
    for registration in registrations:
        email = build_email(
            template=kind,
            context={**context, "registration": registration, "join_url": join_url(registration)},
            to_email=registration.email,
            to_name=registration.name,
        )
        send_mail(
            email.subject,
            email.body,
            email.from_email,
            email.to,
            html_message=email.alternatives[0][0],
        )
    return time.perf_counter() - started


def run(n: int) -> dict[str, object]:
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from programs.services import program_create
    from reminders.dispatcher import outbox_dispatch
    from reminders.models import Message, MessageStatus
    from sessions_app.models import ReplanJob
    from sessions_app.reminders import REGISTRANT_KINDS
    from sessions_app.replans import replan_job_run
    from tests.factories import UserFactory
    from tests.support.sessions import session_change

    mail.outbox = []
    host = UserFactory(email="host@example.org")
    program = program_create(owner=host, name="Benchmark", time_zone="Europe/Berlin")
    starts_at = timezone.now() + timedelta(days=30)

    # 1. Dispatch N due reminders, against sending the same e-mails directly. Both paths are
    # warmed up first on a small session of their own (templates compiled, URL resolver
    # filled, connections open), so the timed runs compare steady states. The N are split into
    # rounds, each timing the outbox and then the baseline on the same registrations, so a
    # slow spell of a shared machine falls on both sides of the ratio alike.
    kind = REGISTRANT_KINDS["hour"]
    warm = _session_with_registrations(
        n=WARM_UP,
        host=host,
        program=program,
        starts_at=starts_at - timedelta(days=2),
        reminders=False,
    )
    outbox_dispatch(now=warm.starts_at - timedelta(hours=1), max_seconds=3600)
    _send_directly(session=warm, kind=kind)

    dispatch_seconds = baseline_seconds = 0.0
    sizes = [n // ROUNDS + (1 if index < n % ROUNDS else 0) for index in range(ROUNDS)]
    for index, size in enumerate(size for size in sizes if size):
        session = _session_with_registrations(
            n=size,
            host=host,
            program=program,
            starts_at=starts_at + timedelta(hours=index),
            reminders=False,
        )
        pending = Message.objects.filter(kind=kind, status=MessageStatus.PENDING)
        assert pending.count() == size
        mail.outbox = []
        started = time.perf_counter()
        result = outbox_dispatch(now=session.starts_at - timedelta(hours=1), max_seconds=3600)
        dispatch_seconds += time.perf_counter() - started
        assert result.sent == size + 1, result  # the registrants and the one host
        assert len(mail.outbox) == size + 1

        mail.outbox = []
        baseline_seconds += _send_directly(session=session, kind=kind)
        assert len(mail.outbox) == size

    # 2. Reschedule sessions with N/10 and N registrations, 3 reminders each; each size three
    # times on a session of its own, reporting the median (one slow spell of a shared machine
    # is not the figure) and checking the request's query count is the same every time. The
    # figure is the request and its background job together, the job run here.
    reschedule = {}
    for size in (max(n // 10, 1), n):
        runs = []
        for _ in range(RESCHEDULE_REPEATS):
            big = _session_with_registrations(
                n=size, host=host, program=program, starts_at=starts_at, reminders=True
            )
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                session_change(
                    big, now=timezone.now(), starts_at=starts_at + timedelta(days=2), replan=False
                )
                request_seconds = time.perf_counter() - started
            request_queries = len(queries)
            job = ReplanJob.objects.get(session=big)
            assert replan_job_run(job_id=job.pk, max_seconds=3600)
            runs.append((time.perf_counter() - started, request_queries, request_seconds))
            moved = Message.objects.filter(
                topic=f"session:{big.pk}", status=MessageStatus.PENDING, schedule_sequence=1
            )
            assert moved.filter(kind__startswith="session_reminder").count() == 3 * size
        assert len({count for _, count, _ in runs}) == 1, runs
        reschedule[size] = (
            statistics.median(seconds for seconds, _, _ in runs),
            runs[0][1],
            statistics.median(seconds for _, _, seconds in runs),
        )

    per_second = n / dispatch_seconds
    baseline_per_second = n / baseline_seconds
    small, large = max(n // 10, 1), n
    return {
        "benchmark": "dispatch",
        "database": connection.vendor,
        "n": n,
        "per_second": round(per_second, 1),
        "baseline_per_second": round(baseline_per_second, 1),
        "ratio": round(per_second / baseline_per_second, 3),
        "reschedule_seconds": round(reschedule[large][0], 3),
        "reschedule_queries": reschedule[large][1],
        "reschedule_request_seconds": round(reschedule[large][2], 3),
        "reschedule_n_small": small,
        "reschedule_seconds_small": round(reschedule[small][0], 3),
        "reschedule_queries_small": reschedule[small][1],
    }


if __name__ == "__main__":
    main()
