"""A recorded meeting on a real Janus becomes one .mp4 that hosts, and only hosts, download."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sessions_app.models import Recording, RecordingSource, RecordingStatus, SessionState
from sessions_app.tasks import process_recording
from tests.browser.test_room_media import attendee_enters, host_context, remote_video_plays
from tests.factories import TEST_PASSWORD, RegistrationFactory, UserFactory, hosted_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE_SECONDS = 10


def _streams(path: str) -> tuple[list[str], float]:
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", path],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(probed.stdout)
    kinds = [stream["codec_type"] for stream in report["streams"]]
    return kinds, float(report["format"]["duration"])


def test_a_recorded_meeting_becomes_one_mp4_for_hosts_only(
    live_server, media_browser, janus
) -> None:
    host = UserFactory(first_name="Hanna", last_name="Host")
    session = hosted_session(
        user=host, title="Interview", starts_at=timezone.now() + timedelta(minutes=5)
    )
    assert session.is_recorded  # on by default
    # After "End for all" the media client's long-poll is refused at the server.
    media_browser.report.expect("/janus/", "htmx:afterRequest", "htmx:sendError", "/room/state/")
    registration = RegistrationFactory(session=session, name="Ada Attendee")
    attendee = media_browser.new_context()
    page = attendee_enters(attendee, live_server, registration)
    hosting = host_context(media_browser, live_server, host)
    host_page = hosting.new_page()
    host_page.goto(f"{live_server.url}/sessions/{session.pk}/room/")
    host_page.get_by_role("button", name="Start the session").click()
    remote_video_plays(page, within=5)
    remote_video_plays(host_page, within=5)
    media_flowing = time.monotonic()  # on a busy machine, seconds after the Start
    assert page.get_by_test_id("recording-notice").is_visible()  # everyone sees it
    time.sleep(LIVE_SECONDS)
    host_page.get_by_role("link", name="End meeting for all").click()
    host_page.get_by_role("button", name="End meeting for all").click()
    host_page.wait_for_url("**/sessions/*/**")
    media_seconds = time.monotonic() - media_flowing
    session.refresh_from_db()
    assert session.state == SessionState.ENDED
    live_seconds = (session.ended_at - session.started_at).total_seconds()

    recording = Recording.objects.get(session=session, source=RecordingSource.SERVER)
    host_page.goto(f"{live_server.url}/sessions/{session.pk}/room-and-recordings/")
    assert "Processing…" in host_page.get_by_role("region", name="Recordings").inner_text()
    # What the worker runs (queued on commit); called here directly.
    assert process_recording(recording.pk) == RecordingStatus.READY
    recording.refresh_from_db()
    kinds, duration = _streams(recording.file.path)
    assert sorted(kinds) == ["audio", "video"]
    # The recording spans the time media flowed, which the session's live time bounds.
    assert abs(duration - media_seconds) <= 2, (duration, media_seconds, live_seconds)
    assert duration <= live_seconds + 1

    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    completed = client.get(reverse("sessions_app:my_sessions") + "?tab=completed")
    download = reverse(
        "sessions_app:recording_download",
        kwargs={"session_id": session.pk, "recording_id": recording.pk},
    )
    assert download in completed.content.decode()
    answer = client.get(download)
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content)[4:8] == b"ftyp"
    other_host = Client()
    assert other_host.login(username=UserFactory().email, password=TEST_PASSWORD)
    assert other_host.get(download).status_code == 404
    assert Client().get(download).status_code == 404
    hosting.close()
    attendee.close()
