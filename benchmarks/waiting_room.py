"""Waiting room: requests per second of the state endpoint against a bare Django view.

Every waiting attendee's page POSTs its heartbeat to the state endpoint every second, so it must cost little more than
Django itself. This starts gunicorn (a few sync workers, test settings) on 127.0.0.1 against a
throwaway copy of DATABASE_URL's database, then drives both URLs with a bounded pool of
threads (http.client) for a bounded time each, alternating rounds so that drift on a shared
machine hits both alike. The ratio is endpoint / bare view; the target is at least 0.5.

    DATABASE_URL=postgres://… python benchmarks/waiting_room.py [--seconds 4] [--clients 8]
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import ROOT, django_setup, django_teardown, report

HOST = "127.0.0.1"
MAX_CLIENTS = 32
MAX_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _database_url_for(name: str) -> str:
    """DATABASE_URL with the benchmark's throwaway database in place of the original one."""
    parts = urlsplit(os.environ.get("DATABASE_URL", ""))
    if not parts.scheme or parts.scheme.startswith("sqlite"):
        return f"sqlite:///{name}"
    return urlunsplit(parts._replace(path=f"/{name}"))


# The heartbeat is a POST that passes Django's CSRF check as a browser's does: the cookie and
# the header htmx sends (an unmasked secret is a valid token).
CSRF_SECRET = "waitingroombenchmarkcsrfsecret42"  # 32 letters and digits
CSRF_HEADERS = {"Cookie": f"csrftoken={CSRF_SECRET}", "X-CSRFToken": CSRF_SECRET}


def _request(port: int, path: str) -> int:
    """GET /healthz, POST the heartbeat; answers the status."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        if path.startswith("/room/state/"):
            connection.request("POST", path, headers=CSRF_HEADERS)
        else:
            connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _wait_until_up(port: int, process: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited before answering")
        try:
            if _request(port, "/healthz") == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in time")


def _hammer(*, port: int, path: str, expected: int, clients: int, seconds: float) -> float:
    """Requests per second from `clients` threads for `seconds`; any other status aborts."""
    counts = [0] * clients
    failures: list[str] = []
    stop_at = time.monotonic() + seconds

    def run(slot: int) -> None:
        while time.monotonic() < stop_at and not failures:
            try:
                status = _request(port, path)
            except OSError as error:
                failures.append(f"{path}: {error}")
                return
            if status != expected:
                failures.append(f"{path}: status {status}, expected {expected}")
                return
            counts[slot] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(slot,), daemon=True) for slot in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 15)
    elapsed = time.monotonic() - started
    if failures:
        raise SystemExit(failures[0])
    return sum(counts) / elapsed


def _fixture() -> str:
    """A session about to start and one waiting attendee; returns their heartbeat URL."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from django.utils import timezone

    from programs.models import HostRole, Program, ProgramHost
    from sessions_app import rooms
    from sessions_app.models import Registration, Session

    now = timezone.now()
    user = get_user_model().objects.create_user(username="bench@example.org", password="x" * 20)
    program = Program.objects.create(name="Benchmark", time_zone="UTC")
    ProgramHost.objects.create(program=program, user=user, role=HostRole.OWNER)
    session = Session.objects.create(
        program=program, title="Waiting", starts_at=now + timedelta(minutes=5), time_zone="UTC"
    )
    registration = Registration.objects.create(session=session, email="a@example.org", name="A")
    attendance = rooms.attendance_arrive(
        session=session,
        participant=rooms.participant_for_registration(registration),
        name="A",
        now=now,
    )
    return reverse(
        "sessions_app:room_state",
        kwargs={
            "session_id": session.pk,
            "attendance_id": attendance.pk,
            "signature": rooms.attendance_signature(session.pk, attendance.pk),
            "phase": "waiting",
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per round and URL")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    arguments = parser.parse_args()
    seconds = min(max(arguments.seconds, 0.5), MAX_SECONDS)
    clients = min(max(arguments.clients, 1), MAX_CLIENTS)
    rounds = min(max(arguments.rounds, 1), 10)

    django_setup()
    process = None
    try:
        from django.db import connection

        state_path = _fixture()
        port = _free_port()
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url_for(connection.settings_dict["NAME"]),
        }
        connection.close()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(arguments.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=environment,
        )
        _wait_until_up(port, process, time.monotonic() + 30)
        # Warm both URLs (database connections, imports) before measuring.
        _hammer(port=port, path="/healthz", expected=200, clients=clients, seconds=1)
        _hammer(port=port, path=state_path, expected=204, clients=clients, seconds=1)
        baseline: list[float] = []
        endpoint: list[float] = []
        for _ in range(rounds):
            baseline.append(
                _hammer(port=port, path="/healthz", expected=200, clients=clients, seconds=seconds)
            )
            endpoint.append(
                _hammer(port=port, path=state_path, expected=204, clients=clients, seconds=seconds)
            )
        per_second = sum(endpoint) / len(endpoint)
        baseline_per_second = sum(baseline) / len(baseline)
        report(
            {
                "benchmark": "waiting_room",
                "database": connection.vendor,
                "workers": arguments.workers,
                "clients": clients,
                "seconds_per_round": seconds,
                "rounds": rounds,
                "per_second": round(per_second, 1),
                "baseline_per_second": round(baseline_per_second, 1),
                "ratio": round(per_second / baseline_per_second, 3),
            }
        )
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        django_teardown()


if __name__ == "__main__":
    main()
