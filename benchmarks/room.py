"""Live room on Janus: Start → the attendee's first decoded frame, and recording processing speed.

Starts gunicorn (test settings) on a throwaway copy of DATABASE_URL's database, a Janus of its
own on loopback ports, and headless Chromium with a fake camera and microphone. Each run: an
attendee waits in one browser context, the host presses Start in another; the time from the
click to the attendee's remote <video> having a decoded frame (non-zero `videoWidth`) is one
sample (median and worst of `--runs`). The last run goes on for `--record-seconds`, ends, and
the recording is processed in this process (what the Celery task runs): processing time
divided by the recording's length is `processing_ratio` (below 1 means faster than live).

    DATABASE_URL=postgres://… CHROMIUM_PATH=/usr/bin/chromium python benchmarks/room.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import ROOT, django_setup, django_teardown, report
from benchmarks.waiting_room import HOST, _database_url_for, _free_port, _wait_until_up
from sessions_app.media.janus_server import JanusProcess, JanusServerConfig, spare_port

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]
FIRST_FRAME = """() => Array.from(document.querySelectorAll('video[data-testid=remote-video]'))
  .some(video => video.videoWidth > 0)"""


def _first_frame_after(page: object, started: float, timeout: float = 20.0) -> float:
    while time.monotonic() - started < timeout:
        try:
            if page.evaluate(FIRST_FRAME):
                return time.monotonic() - started
        except Exception:  # the waiting page moved into the room meanwhile
            pass
        time.sleep(0.01)
    raise SystemExit("no frame reached the attendee")


def _one_run(browser: object, base_url: str, *, record_seconds: float) -> tuple[float, int]:
    from django.test import Client
    from django.utils import timezone

    from sessions_app.tokens import join_token
    from tests.factories import TEST_PASSWORD, RegistrationFactory, UserFactory, hosted_session

    host = UserFactory()
    session = hosted_session(
        user=host,
        starts_at=timezone.now() + timedelta(minutes=5),
        is_recorded=record_seconds > 0,
    )
    registration = RegistrationFactory(session=session)
    attendee = browser.new_context()
    page = attendee.new_page()
    page.goto(f"{base_url}/join/{join_token(registration)}/")
    page.get_by_role("link", name="Join the session").click()
    page.get_by_role("button", name="Join the session").click()
    page.get_by_role("heading", name="Waiting for host").wait_for()
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    hosting = browser.new_context()
    hosting.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )
    host_page = hosting.new_page()
    host_page.goto(f"{base_url}/sessions/{session.pk}/room/")
    started = time.monotonic()
    host_page.get_by_role("button", name="Start the session").click()
    elapsed = _first_frame_after(page, started)
    if record_seconds > 0:
        time.sleep(record_seconds)
        host_page.get_by_role("link", name="End meeting for all").click()
        host_page.get_by_role("button", name="End meeting for all").click()
        host_page.wait_for_url("**/sessions/*/**")
    hosting.close()
    attendee.close()
    return elapsed, session.pk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--record-seconds", type=float, default=10.0)
    arguments = parser.parse_args()
    runs = min(max(arguments.runs, 1), 20)
    record_seconds = min(max(arguments.record_seconds, 2.0), 120.0)

    work = Path(tempfile.mkdtemp(prefix="convene-room-benchmark-"))
    janus = JanusProcess(
        JanusServerConfig(
            folder=work / "janus",
            http_port=spare_port(),
            admin_port=spare_port(),
            admin_secret=os.urandom(16).hex(),
            recordings_dir=work / "recordings",
            rtp_port_range="41000-41199",
        )
    )
    janus.wait_ready()
    media_env = {
        "VIDEO_PROVIDER": "janus",
        "JANUS_URL": janus.config.api_url,
        "JANUS_ADMIN_URL": janus.config.admin_url,
        "JANUS_ADMIN_SECRET": janus.config.admin_secret,
        "JANUS_RECORDINGS_DIR": str(janus.config.recordings_dir),
        "MEDIA_ROOT": str(work / "media"),
        "STATIC_ROOT": str(work / "static"),
    }
    os.environ.update(media_env)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM calls between Playwright steps
    django_setup()
    process = None
    try:
        from django.db import connection, connections
        from django.utils import timezone
        from playwright.sync_api import sync_playwright

        from sessions_app.models import Recording
        from sessions_app.recordings import recording_process

        port = _free_port()
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url_for(connection.settings_dict["NAME"]),
        }
        # gunicorn serves the room's scripts through WhiteNoise, from STATIC_ROOT.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=environment,
            check=True,
        )
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=environment,
        )
        _wait_until_up(port, process, time.monotonic() + 30)
        base_url = f"http://{HOST}:{port}"
        samples = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                headless=True,
                args=CHROMIUM_ARGS,
            )
            try:
                for run in range(runs):
                    last = run == runs - 1
                    elapsed, session_id = _one_run(
                        browser, base_url, record_seconds=record_seconds if last else 0
                    )
                    samples.append(elapsed)
            finally:
                browser.close()
                # ORM calls made inside Playwright's greenlet had a connection of their own.
                connections.close_all()
        recording = Recording.objects.get(session_id=session_id)
        started = time.perf_counter()
        recording = recording_process(recording_id=recording.pk, now=timezone.now())
        processing_seconds = time.perf_counter() - started
        if recording.duration_seconds is None:
            raise SystemExit(f"recording failed: {recording.failure_reason}")
        report(
            {
                "benchmark": "room",
                "runs": runs,
                "start_to_media_p50_s": round(statistics.median(samples), 3),
                "start_to_media_max_s": round(max(samples), 3),
                "recording_seconds": round(recording.duration_seconds, 2),
                "processing_seconds": round(processing_seconds, 2),
                "processing_ratio": round(processing_seconds / recording.duration_seconds, 3),
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
        janus.stop()
        from django.db import connections

        connections.close_all()
        django_teardown()


if __name__ == "__main__":
    main()
