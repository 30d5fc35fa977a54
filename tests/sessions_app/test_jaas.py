"""Jitsi as a Service: RS256 tokens in JaaS's shape for admitted people only, and recordings
collected from JaaS's webhook (downloaded from an allow-listed host, here a real HTTP server on
127.0.0.1 serving an .mp4 made with ffmpeg)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import reverse

from sessions_app.checks import jaas_settings_check
from sessions_app.media.jitsi import jaas_jwt, room_name
from sessions_app.models import (
    Attendance,
    AttendanceRole,
    Recording,
    RecordingSource,
    RecordingStatus,
    SessionState,
)
from sessions_app.tasks import process_recording
from tests.factories import TEST_PASSWORD, RegistrationFactory, UserFactory, hosted_session
from tests.sessions_app.room_support import attendee_client, enter, room_url

pytestmark = pytest.mark.django_db

STARTS_AT = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
APP_ID = "vpaas-magic-cookie-0123456789abcdef0123456789abcdef"
KEY_ID = "4f4910"
SECRET = "jaas-webhook-secret-0123456789"


@pytest.fixture(scope="module")
def key_pair() -> tuple[str, object]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return pem, private.public_key()


@pytest.fixture
def jaas(settings, key_pair, tmp_path):
    pem, public_key = key_pair
    key_file = tmp_path / "jaas.pem"
    key_file.write_text(pem)
    settings.VIDEO_PROVIDER = "jaas"
    settings.JAAS_APP_ID, settings.JAAS_API_KEY_ID = APP_ID, KEY_ID
    settings.JAAS_PRIVATE_KEY, settings.JAAS_PRIVATE_KEY_PATH = "", str(key_file)
    settings.JAAS_WEBHOOK_SECRET = SECRET
    settings.JAAS_RECORDING_HOSTS = ["127.0.0.1"]
    settings.MEDIA_ROOT = tmp_path / "media"
    return public_key


def _decode(token: str, public_key: object) -> dict:
    return jwt.decode(
        token, public_key, algorithms=["RS256"], audience="jitsi", options={"verify_exp": False}
    )


@pytest.fixture
def session(host):
    return hosted_session(user=host, title="Interview", starts_at=STARTS_AT)


def test_jaas_tokens_have_jaas_shape_and_moderator_for_hosts_only(jaas, session) -> None:
    now = STARTS_AT.timestamp()
    attendee = Attendance(session=session, pk=7, role=AttendanceRole.ATTENDEE, name="Ada")
    guest = Attendance(session=session, pk=8, role=AttendanceRole.GUEST, name="Grace")
    hosting = Attendance(session=session, pk=9, role=AttendanceRole.HOST, name="Hanna")
    for attendance, moderator in ((attendee, "false"), (guest, "false"), (hosting, "true")):
        token = jaas_jwt(session=session, attendance=attendance, now=now)
        assert jwt.get_unverified_header(token) == {
            "alg": "RS256",
            "kid": f"{APP_ID}/{KEY_ID}",
            "typ": "JWT",
        }
        claims = _decode(token, jaas)
        assert (claims["iss"], claims["sub"], claims["aud"]) == ("chat", APP_ID, "jitsi")
        assert claims["room"] == room_name(session)
        assert claims["exp"] - now <= 2 * 60 * 60 and claims["nbf"] <= now
        user = claims["context"]["user"]
        assert (user["id"], user["name"], user["moderator"]) == (
            f"attendance-{attendance.pk}",
            attendance.name,
            moderator,
        )
        assert claims["context"]["features"]["recording"] == moderator
        assert claims["context"]["features"]["livestreaming"] == "false"
    # Signed with our key only: another key's public half refuses it.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        _decode(jaas_jwt(session=session, attendance=attendee, now=now), other)


def _token_in(page_text: str) -> str:
    return page_text.split("?jwt=")[1].split("#")[0]


def test_jaas_pages_carry_a_token_only_for_admitted_people(jaas, session, host_client) -> None:
    registration = RegistrationFactory(session=session, name="Ada")
    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        client = enter(attendee_client(registration), session, name="Ada")
        waiting = client.get(room_url(session))
        assert "Waiting for host" in waiting.text and "jwt=" not in waiting.text
        host_client.post(reverse("sessions_app:host_start", kwargs={"session_id": session.pk}))
        live = client.get(room_url(session))
        assert f'src="https://8x8.vc/{APP_ID}/{room_name(session)}?jwt=' in live.text
        assert _decode(_token_in(live.text), jaas)["context"]["user"]["moderator"] == "false"
        host_page = host_client.get(
            reverse("sessions_app:host_room", kwargs={"session_id": session.pk})
        )
        host_claims = _decode(_token_in(host_page.text), jaas)
        assert host_claims["context"]["user"]["moderator"] == "true"
        assert "frame-src https://8x8.vc" in host_page["Content-Security-Policy"]
        attendance = Attendance.objects.get(registration=registration)
        host_client.post(
            reverse(
                "sessions_app:host_remove",
                kwargs={"session_id": session.pk, "attendance_id": attendance.pk},
            )
        )
        removed = client.get(room_url(session))
        # A fresh browser with the same personal link gets no token either.
        again = attendee_client(registration)
        refused = again.post(
            reverse("sessions_app:room_prejoin", kwargs={"code": session.code}), {"name": "Ada"}
        )
    assert removed.status_code == 403 and "jwt=" not in removed.text
    assert refused.status_code == 403 and "jwt=" not in refused.text


def test_the_self_hosted_jitsi_keeps_its_hs256_tokens(settings, session, host_client) -> None:
    settings.VIDEO_PROVIDER = "jitsi"
    settings.VIDEO_PROVIDER_BASE_URL = "https://meet.example.org"
    settings.JITSI_APP_ID, settings.JITSI_APP_SECRET = "convene", "s" * 32
    with time_machine.travel(STARTS_AT, tick=False):
        host_client.post(reverse("sessions_app:host_start", kwargs={"session_id": session.pk}))
        page = host_client.get(reverse("sessions_app:host_room", kwargs={"session_id": session.pk}))
    token = _token_in(page.text)
    assert f'src="https://meet.example.org/{room_name(session)}?jwt=' in page.text
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(
        token, "s" * 32, algorithms=["HS256"], audience="jitsi", options={"verify_exp": False}
    )
    assert claims["moderator"] is True


def test_check_deploy_warns_about_an_incomplete_jaas(settings) -> None:
    settings.VIDEO_PROVIDER = "jaas"
    settings.JAAS_APP_ID = settings.JAAS_PRIVATE_KEY = settings.JAAS_WEBHOOK_SECRET = ""
    with pytest.raises(SystemCheckError, match=r"sessions_app\.W003"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")
    assert {w.id for w in jaas_settings_check()} == {"sessions_app.W003", "sessions_app.W004"}
    settings.JAAS_APP_ID, settings.JAAS_API_KEY_ID = APP_ID, KEY_ID
    settings.JAAS_PRIVATE_KEY, settings.JAAS_WEBHOOK_SECRET = "pem", SECRET
    settings.JAAS_RECORDING_HOSTS = [".jitsi.example"]
    assert jaas_settings_check() == []


# --- the recording webhook ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def mp4(tmp_path_factory) -> bytes:
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is not installed")
    out = tmp_path_factory.mktemp("jaas") / "recording.mp4"
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=160x120:rate=10",
            "-f", "lavfi", "-i", "sine=duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(out),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    return out.read_bytes()


class RecordingServer:
    """A real HTTP server on 127.0.0.1: JaaS's storage, serving one file; counts requests."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests: list[str] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                self.send_response(outer.status)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/recordings/abc.mp4?signature=xyz") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"


@pytest.fixture
def storage(mp4) -> Iterator[RecordingServer]:
    server = RecordingServer(mp4)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _event(session, link: str, *, key: str = "event-1", app_id: str = APP_ID) -> str:
    return json.dumps(
        {
            "idempotencyKey": key,
            "customerId": "c0ffee",
            "appId": app_id,
            "eventType": "RECORDING_UPLOADED",
            "sessionId": "jaas-session-1",
            "timestamp": 1764090000000,
            "fqn": f"{app_id}/{room_name(session)}",
            "data": {"preAuthenticatedLink": link, "participants": []},
        }
    )


def _post(body: str, authorization: str | None = SECRET, client: Client | None = None):
    headers = {} if authorization is None else {"Authorization": authorization}
    return (client or Client()).post(
        reverse("sessions_app:jaas_webhook"), body, content_type="application/json", headers=headers
    )


@pytest.fixture
def ended(session):
    session.state, session.started_at = SessionState.ENDED, STARTS_AT
    session.ended_at = STARTS_AT + timedelta(minutes=30)
    session.save()
    return session


def _completed_tab(client: Client):
    return client.get(reverse("sessions_app:my_sessions"), {"tab": "completed"})


@time_machine.travel(STARTS_AT + timedelta(hours=2), tick=False)
def test_a_jaas_recording_is_downloaded_and_shown_to_hosts_only(
    jaas, ended, storage, mp4, host_client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = _post(_event(ended, storage.url()))
    assert answer.status_code == 200
    assert len(queued) == 1  # the download, queued on commit
    recording = Recording.objects.get(session=ended)
    assert (recording.source, recording.status) == (
        RecordingSource.PROVIDER,
        RecordingStatus.PROCESSING,
    )
    assert "Processing…" in _completed_tab(host_client).text
    # JaaS delivers again: nothing more.
    assert _post(_event(ended, storage.url())).status_code == 200
    assert Recording.objects.count() == 1

    assert process_recording(recording.pk) == RecordingStatus.READY  # the task, run here
    assert storage.requests == ["/recordings/abc.mp4?signature=xyz"]
    recording.refresh_from_db()
    assert recording.size_bytes == len(mp4) and recording.source_url == ""
    download = reverse(
        "sessions_app:recording_download",
        kwargs={"session_id": ended.pk, "recording_id": recording.pk},
    )
    completed = _completed_tab(host_client)
    assert download in completed.text
    got = host_client.get(download)
    assert got.status_code == 200 and b"".join(got.streaming_content) == mp4
    # Anyone else: 404 (another host), or the sign-in page.
    stranger = Client()
    other = UserFactory()
    assert stranger.login(username=other.email, password=TEST_PASSWORD)
    assert stranger.get(download).status_code == 404
    assert download not in _completed_tab(stranger).text
    assert Client().get(download).status_code in (302, 404)


@time_machine.travel(STARTS_AT + timedelta(hours=2), tick=False)
@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 401), ("", 401), ("jaas-webhook-secret-0123456780", 401), (f"Bearer {SECRET}", 401)],
)
def test_a_forged_webhook_changes_nothing(jaas, ended, storage, authorization, status) -> None:
    assert _post(_event(ended, storage.url()), authorization).status_code == status
    assert not Recording.objects.exists()
    assert storage.requests == []


@time_machine.travel(STARTS_AT + timedelta(hours=2), tick=False)
def test_without_a_secret_every_call_is_refused_and_refusals_are_limited(
    jaas, ended, storage, settings
) -> None:
    settings.JAAS_WEBHOOK_SECRET = ""
    assert _post(_event(ended, storage.url()), "").status_code == 403
    settings.JAAS_WEBHOOK_SECRET = SECRET
    answers = [_post(_event(ended, storage.url()), "guess").status_code for _ in range(12)]
    assert answers[:9] == [401] * 9 and answers[-1] == 429
    # A refused client is refused even with the right secret, for a while.
    assert _post(_event(ended, storage.url())).status_code == 429
    assert not Recording.objects.exists()


@time_machine.travel(STARTS_AT + timedelta(hours=2), tick=False)
def test_a_link_outside_the_allow_list_is_never_fetched(
    jaas, ended, storage, settings, host_client
) -> None:
    settings.JAAS_RECORDING_HOSTS = ["recordings.jitsi.example"]
    assert _post(_event(ended, storage.url())).status_code == 200
    recording = Recording.objects.get()
    assert process_recording(recording.pk) == RecordingStatus.FAILED
    assert storage.requests == []
    recording.refresh_from_db()
    assert "127.0.0.1, which is not in JAAS_RECORDING_HOSTS" in recording.failure_reason
    page = host_client.get(reverse("sessions_app:session_room", kwargs={"session_id": ended.pk}))
    assert "Processing failed" in page.text and "JAAS_RECORDING_HOSTS" in page.text
    # Fixed settings, and the host's "Try again" downloads it.
    settings.JAAS_RECORDING_HOSTS = ["127.0.0.1"]
    retry = reverse(
        "sessions_app:recording_retry",
        kwargs={"session_id": ended.pk, "recording_id": recording.pk},
    )
    host_client.post(retry)
    assert process_recording(recording.pk) == RecordingStatus.READY


@time_machine.travel(STARTS_AT + timedelta(hours=2), tick=False)
@pytest.mark.parametrize(
    "link",
    [
        "file:///etc/passwd",
        "http://10.0.0.1/recording.mp4",
        "https://user:pw@127.0.0.1/recording.mp4",
        "gopher://127.0.0.1/",
    ],
)
def test_links_that_are_not_https_to_an_allowed_host_fail_without_a_request(
    jaas, ended, link, settings
) -> None:
    settings.JAAS_RECORDING_HOSTS = ["127.0.0.1", "10.0.0.1"]
    assert _post(_event(ended, link)).status_code == 200
    recording = Recording.objects.get()
    assert process_recording(recording.pk) == RecordingStatus.FAILED


@time_machine.travel(STARTS_AT + timedelta(hours=2), tick=False)
def test_an_expired_link_or_a_file_that_is_no_mp4_fails_with_its_reason(
    jaas, ended, storage
) -> None:
    storage.status = 403
    _post(_event(ended, storage.url(), key="a"))
    expired = Recording.objects.get(external_id="a")
    assert process_recording(expired.pk) == RecordingStatus.FAILED
    expired.refresh_from_db()
    assert "refused the download (403)" in expired.failure_reason
    storage.status, storage.body = 200, b"<html>not a video</html>"
    _post(_event(ended, storage.url(), key="b"))
    other = Recording.objects.get(external_id="b")
    assert process_recording(other.pk) == RecordingStatus.FAILED
    other.refresh_from_db()
    assert other.failure_reason == "The provider's file is not an MP4 video."


@time_machine.travel(STARTS_AT + timedelta(hours=2), tick=False)
@pytest.mark.parametrize(
    "body",
    ["not json", "[]", json.dumps({"eventType": "RECORDING_UPLOADED", "fqn": "x"})],
)
def test_a_body_that_is_no_jaas_event_is_refused(jaas, ended, body) -> None:
    assert _post(body).status_code == 400
    assert not Recording.objects.exists()


@time_machine.travel(STARTS_AT + timedelta(hours=2), tick=False)
def test_other_events_rooms_and_apps_are_acknowledged_and_ignored(jaas, ended, storage) -> None:
    other_event = json.dumps({"eventType": "PARTICIPANT_JOINED", "fqn": f"{APP_ID}/x"})
    assert _post(other_event).status_code == 200
    unknown_room = _event(ended, storage.url()).replace(room_name(ended), "convene-unknown")
    assert _post(unknown_room).status_code == 200
    assert _post(_event(ended, storage.url(), app_id="vpaas-magic-cookie-other")).status_code == 400
    assert not Recording.objects.exists()
