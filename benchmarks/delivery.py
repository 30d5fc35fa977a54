"""Delivery through a real SMTP server: throughput, a reminder wave, a background reschedule.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python benchmarks/delivery.py [--n 10000]

1. Throughput. N due "an hour before" reminders are dispatched by the outbox (claim, render
   from current state, send through Django's SMTP backend, record) to an aiosmtpd sink in a
   process of its own on 127.0.0.1. Baseline, in the same run: the very same messages, rendered
   beforehand to bytes, sent by a bare `smtplib` loop over one connection. The two alternate in
   rounds of N/5, so a slow spell of the shared machine weighs on both alike. The sink offers
   PIPELINING (RFC 2920) as real relays do, which the dispatcher uses and `smtplib` does not;
   `--no-pipelining` measures the dispatcher talking in turn, as the baseline does.
2. A reminder wave (needs REDIS_URL): N reminders due at one instant, two real Celery worker
   processes and beat; the lateness of the median and of the last message to reach the server.
3. A background reschedule of 100,000 registrations (`benchmarks/reschedule.py`): time to
   finish, the worker's peak memory and the queries of each batch.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import ROOT, django_setup, django_teardown, report

ROUNDS = 5
WARM_UP = 200


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--wave", type=int, default=None, help="reminders in the wave (default n)")
    parser.add_argument("--reschedule", type=int, default=100_000)
    parser.add_argument(
        "--no-pipelining",
        action="store_true",
        help="the sink does not offer PIPELINING: the dispatcher talks in turn, as the baseline",
    )
    arguments = parser.parse_args()
    django_setup()
    try:
        figures = throughput(arguments.n, pipelining=not arguments.no_pipelining)
        figures.update(wave(arguments.wave or arguments.n))
        figures.update(background_reschedule(arguments.reschedule))
    finally:
        django_teardown()
    report(figures)


class Sink:
    """The aiosmtpd sink in a process of its own, so it does not share the dispatcher's core."""

    def __init__(self, *, pipelining: bool = True) -> None:
        from tests.support.smtp import free_port

        self.port = free_port()
        command = [sys.executable, "-m", "tests.support.smtp", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command if pipelining else [*command, "--no-pipelining"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _plan_due_reminders(*, n: int, host, program, starts_at):
    """A session of `n` registrations with only its "an hour before" reminders planned."""
    from benchmarks.dispatch import _session_with_registrations

    return _session_with_registrations(
        n=n, host=host, program=program, starts_at=starts_at, reminders=False
    )


def _rendered(session) -> list[tuple[str, list[str], bytes]]:
    """The session's due messages exactly as the outbox would build them, as bytes (each
    built on its own, the way a single send builds it)."""
    from dataclasses import replace

    from reminders import registry
    from reminders.dispatcher import _decorate, _outbox_values
    from reminders.grouped import GroupedEmail
    from reminders.models import Message

    messages = list(Message.objects.filter(topic=f"session:{session.pk}", status="pending"))
    registry.about_attach(messages)
    rendered = []
    for message in messages:
        email = registry.renderer_for(message.kind)(message)
        values = _outbox_values(message)
        if isinstance(email, GroupedEmail):
            values = {**email.values, **values}
            email = replace(email, values=values).email()
        _decorate(email, values)
        rendered.append(
            (email.from_email, email.recipients(), email.message().as_bytes(linesep="\r\n"))
        )
    return rendered


def _send_bare(*, port: int, messages: list[tuple[str, list[str], bytes]]) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for from_email, recipients, raw in messages:
            smtp.sendmail(from_email, recipients, raw)
    return time.perf_counter() - started


def throughput(n: int, *, pipelining: bool = True) -> dict[str, object]:
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone

    from programs.services import program_create
    from reminders.dispatcher import outbox_dispatch
    from tests.factories import UserFactory

    host = UserFactory(email="host@example.org")
    program = program_create(owner=host, name="Benchmark", time_zone="Europe/Berlin")
    starts_at = timezone.now() + timedelta(days=30)
    sink = Sink(pipelining=pipelining)
    smtp = {
        "EMAIL_BACKEND": "reminders.backends.SMTPEmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": sink.port,
        "EMAIL_USE_TLS": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
    }
    dispatch_seconds = baseline_seconds = 0.0
    try:
        with override_settings(**smtp):
            sizes = [n // ROUNDS + (1 if index < n % ROUNDS else 0) for index in range(ROUNDS)]
            # A warm-up session first: templates compiled, connections open on both sides.
            for index, size in enumerate([WARM_UP, *sizes]):
                session = _plan_due_reminders(
                    n=size, host=host, program=program, starts_at=starts_at + timedelta(hours=index)
                )
                due = session.starts_at - timedelta(hours=1)
                messages = _rendered(session)
                started = time.perf_counter()
                result = outbox_dispatch(now=due, max_seconds=3600)
                seconds = time.perf_counter() - started
                assert result.sent == size + 1, result  # the registrants and the one host
                baseline = _send_bare(port=sink.port, messages=messages)
                if index:
                    dispatch_seconds += seconds
                    baseline_seconds += baseline
    finally:
        sink.stop()
    per_second = n / dispatch_seconds
    baseline_per_second = n / baseline_seconds
    return {
        "benchmark": "delivery",
        "database": connection.vendor,
        "n": n,
        "per_second": round(per_second, 1),
        "baseline_per_second": round(baseline_per_second, 1),
        "ratio": round(per_second / baseline_per_second, 3),
        "pipelining": pipelining,
    }


def wave(n: int) -> dict[str, object]:
    """N reminders due at one instant, two worker processes and beat at their defaults."""
    import statistics

    from django.utils import timezone

    from programs.services import program_create
    from tests.factories import UserFactory
    from tests.support.smtp import ScriptedSMTPServer
    from tests.support.workers import CeleryProcesses, wait_until

    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        print("warning: no REDIS_URL, so no reminder wave", file=sys.stderr)
        return {}
    server = ScriptedSMTPServer()
    processes = CeleryProcesses(
        redis_url=redis_url,
        var_dir=ROOT / "var" / "benchmark-wave",
        extra_env={
            "EMAIL_BACKEND": "reminders.backends.SMTPEmailBackend",
            "EMAIL_URL": server.url,
            "OUTBOX_DISPATCH_INTERVAL_SECONDS": "5",
        },
    )
    processes.var_dir.mkdir(parents=True, exist_ok=True)
    try:
        processes.flush_broker()
        for name in ("one", "two"):
            processes.start_worker(name, concurrency=1)
        processes.start_beat()
        host = UserFactory(email="wave-host@example.org")
        program = program_create(owner=host, name="Wave", time_zone="Europe/Berlin")
        # Due 30 s from now: time to plan them and for the workers to be up.
        starts_at = timezone.now() + timedelta(hours=1, seconds=30)
        session = _plan_due_reminders(n=n, host=host, program=program, starts_at=starts_at)
        due = (session.starts_at - timedelta(hours=1)).timestamp()
        arrived = wait_until(lambda: server.count >= n + 1, timeout=300, interval=0.5)
        assert arrived, processes.logs()
        lateness = sorted(max(item.arrived_at - due, 0.0) for item in server.received)
    finally:
        processes.stop_all()
        server.stop()
    return {
        "wave_n": n,
        "wave_workers": 2,
        "wave_p50_late_s": round(statistics.median(lateness), 2),
        "wave_last_late_s": round(lateness[-1], 2),
    }


def background_reschedule(n: int) -> dict[str, object]:
    """The host's reschedule of a session of `n` registrations, told in the background."""
    if not n:
        return {}
    from benchmarks.reschedule import measure

    figures = measure(n=n)
    # Its own "benchmark" and "n" would overwrite the throughput's.
    return {"reschedule_n": n, **{k: v for k, v in figures.items() if k not in ("benchmark", "n")}}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    main()
