"""The media seam: who gets a credential, Jitsi's JWTs, the deploy check, recording failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import reverse

from sessions_app import recordings, rooms
from sessions_app.checks import public_jitsi_check
from sessions_app.media.jitsi import jitsi_jwt
from sessions_app.media.jitsi import room_name as jitsi_room_name
from sessions_app.models import (
    Attendance,
    AttendanceRole,
    AttendanceStatus,
    Recording,
    RecordingSource,
    RecordingStatus,
    SessionTheme,
)
from tests.factories import RegistrationFactory, hosted_session
from tests.sessions_app.room_support import attendee_client, enter, room_url

pytestmark = pytest.mark.django_db

STARTS_AT = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
JITSI_SECRET = "a-jitsi-app-secret-of-at-least-32-bytes"


@pytest.fixture
def session(host):
    return hosted_session(user=host, title="Evening circle", starts_at=STARTS_AT)


def _media_url(session) -> str:
    return reverse("sessions_app:room_media", kwargs={"code": session.code})


def _start(host_client: Client, session) -> None:
    host_client.post(reverse("sessions_app:host_start", kwargs={"session_id": session.pk}))
    session.refresh_from_db()


def test_no_credential_before_the_start_or_after_removal(session, host_client, settings) -> None:
    settings.VIDEO_PROVIDER = "jitsi"
    registration = RegistrationFactory(session=session, name="Ada")
    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        client = enter(attendee_client(registration), session, name="Ada")
        waiting = client.post(_media_url(session), HTTP_X_CSRFTOKEN="x")
        assert waiting.status_code == 403
        assert waiting.json() == {"error": "The session is not live."}
        _start(host_client, session)
        assert client.post(_media_url(session)).status_code == 200
        attendance = Attendance.objects.get(registration=registration)
        host_client.post(
            reverse(
                "sessions_app:host_remove",
                kwargs={"session_id": session.pk, "attendance_id": attendance.pk},
            )
        )
        removed = client.post(_media_url(session))
    assert removed.status_code == 403
    assert removed.json() == {"error": "You are not in this room."}
    attendance.refresh_from_db()
    assert attendance.status == AttendanceStatus.REMOVED
    assert attendance.media_version == 2  # the credential it held names version 1


def test_a_stranger_and_a_get_get_no_credential(session, host_client) -> None:
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        assert Client().post(_media_url(session)).status_code == 403
        registration = RegistrationFactory(session=session)
        client = enter(attendee_client(registration), session)
        assert client.get(_media_url(session)).status_code == 405


def test_let_back_in_lets_a_removed_attendee_enter_again(session, host_client) -> None:
    registration = RegistrationFactory(session=session, name="Ada")
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        client = enter(attendee_client(registration), session, name="Ada")
        attendance = Attendance.objects.get(registration=registration)
        kwargs = {"session_id": session.pk, "attendance_id": attendance.pk}
        host_client.post(reverse("sessions_app:host_remove", kwargs=kwargs))
        room = host_client.get(reverse("sessions_app:host_room", kwargs={"session_id": session.pk}))
        assert "Let back in" in room.text
        refused = client.post(
            reverse("sessions_app:room_prejoin", kwargs={"code": session.code}), {"name": "Ada"}
        )
        assert "A host removed you" in refused.text
        host_client.post(reverse("sessions_app:host_readmit", kwargs=kwargs))
        enter(client, session, name="Ada")
        assert client.get(room_url(session)).status_code == 200
        assert client.post(_media_url(session)).status_code == 200


def test_without_a_media_server_the_room_says_video_is_not_set_up(
    session, host_client, settings
) -> None:
    settings.VIDEO_PROVIDER = "none"
    registration = RegistrationFactory(session=session)
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        client = enter(attendee_client(registration), session)
        page = client.get(room_url(session))
    assert "Video is not set up on this server" in page.text
    assert "Leave the room" in page.text


def test_jitsi_tokens_are_bound_to_the_room_short_lived_and_moderator_for_hosts_only(
    session, host, settings
) -> None:
    jwt = pytest.importorskip("jwt")  # PyJWT: not installed yet in this project's lock
    settings.JITSI_APP_ID, settings.JITSI_APP_SECRET = "convene", JITSI_SECRET
    settings.VIDEO_PROVIDER_BASE_URL = "https://meet.example.org"
    now = STARTS_AT.timestamp()
    attendee = Attendance(session=session, pk=7, role=AttendanceRole.ATTENDEE, name="Ada")
    hosting = Attendance(session=session, pk=8, role=AttendanceRole.HOST, name="Hanna")
    for attendance, moderator in ((attendee, False), (hosting, True)):
        token = jitsi_jwt(session=session, attendance=attendance, now=now)
        claims = jwt.decode(
            token,
            JITSI_SECRET,
            algorithms=["HS256"],
            audience="jitsi",
            options={"verify_exp": False},
        )
        assert claims["room"] == jitsi_room_name(session)
        assert claims["exp"] - now <= 2 * 60 * 60
        assert claims["context"]["user"]["moderator"] is moderator


def test_check_deploy_warns_about_the_public_jitsi(settings) -> None:
    settings.VIDEO_PROVIDER = "jitsi"
    settings.VIDEO_PROVIDER_BASE_URL = "https://meet.jit.si"
    with pytest.raises(SystemCheckError, match=r"sessions_app\.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")
    settings.VIDEO_PROVIDER_BASE_URL = "https://meet.example.org"
    assert public_jitsi_check() == []
    settings.VIDEO_PROVIDER = "janus"
    settings.VIDEO_PROVIDER_BASE_URL = "https://meet.jit.si"
    assert public_jitsi_check() == []


def test_a_failed_processing_shows_its_reason_and_can_be_retried(
    session, host_client, settings, tmp_path
) -> None:
    settings.VIDEO_PROVIDER = "janus"
    settings.JANUS_RECORDINGS_DIR = str(tmp_path)  # nothing recorded there
    session.theme = SessionTheme.MEETING
    recording = Recording.objects.create(
        session=session,
        source=RecordingSource.SERVER,
        status=RecordingStatus.PROCESSING,
        original_name="interview.mp4",
    )
    processed = recordings.recording_process(recording_id=recording.pk, now=STARTS_AT)
    assert processed.status == RecordingStatus.FAILED
    dashboard = reverse("sessions_app:session_room", kwargs={"session_id": session.pk})
    page = host_client.get(dashboard)
    assert "Processing failed" in page.text
    assert "The media server recorded nothing for this session." in page.text
    download = reverse(
        "sessions_app:recording_download",
        kwargs={"session_id": session.pk, "recording_id": recording.pk},
    )
    assert host_client.get(download).status_code == 404
    retry = reverse(
        "sessions_app:recording_retry",
        kwargs={"session_id": session.pk, "recording_id": recording.pk},
    )
    assert host_client.post(retry).status_code == 302
    recording.refresh_from_db()
    assert recording.status == RecordingStatus.PROCESSING
    assert "Processing…" in host_client.get(dashboard).text


def test_switching_recording_off_before_the_start(session, host_client) -> None:
    assert session.is_recorded
    switch = reverse("sessions_app:host_recording_switch", kwargs={"session_id": session.pk})
    with time_machine.travel(STARTS_AT - timedelta(hours=1), tick=False):
        assert host_client.post(switch, {}).status_code == 302
    session.refresh_from_db()
    assert not session.is_recorded
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        host_client.post(switch, {"is_recorded": "on"})
    session.refresh_from_db()
    assert not session.is_recorded  # decided before the start
    rooms.session_end(session=session, now=STARTS_AT + timedelta(minutes=5))
    assert not Recording.objects.filter(session=session).exists()


def test_jitsi_pages_carry_a_token_only_for_admitted_people(session, host_client, settings) -> None:
    jwt = pytest.importorskip("jwt")
    settings.VIDEO_PROVIDER = "jitsi"
    settings.JITSI_APP_ID, settings.JITSI_APP_SECRET = "convene", JITSI_SECRET
    registration = RegistrationFactory(session=session, name="Ada")
    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        client = enter(attendee_client(registration), session, name="Ada")
        waiting = client.get(room_url(session))
        assert "Waiting for host" in waiting.text
        assert "jwt=" not in waiting.text
        _start(host_client, session)
        live = client.get(room_url(session))
        token = live.text.split("?jwt=")[1].split("#")[0]
        claims = jwt.decode(token, JITSI_SECRET, algorithms=["HS256"], audience="jitsi")
        assert claims["room"] == jitsi_room_name(session)
        assert claims["moderator"] is False
        host_page = host_client.get(
            reverse("sessions_app:host_room", kwargs={"session_id": session.pk})
        )
        host_token = host_page.text.split("?jwt=")[1].split("#")[0]
        host_claims = jwt.decode(host_token, JITSI_SECRET, algorithms=["HS256"], audience="jitsi")
        assert host_claims["moderator"] is True
        attendance = Attendance.objects.get(registration=registration)
        host_client.post(
            reverse(
                "sessions_app:host_remove",
                kwargs={"session_id": session.pk, "attendance_id": attendance.pk},
            )
        )
        removed = client.get(room_url(session))
    assert "jwt=" not in removed.text
