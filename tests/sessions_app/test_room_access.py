"""Every host URL of the live room answers 404 to attendees, guests and other hosts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from guests.services import guest_link_for
from sessions_app.models import Attendance, Recording, SessionState
from tests.factories import TEST_PASSWORD, RegistrationFactory, UserFactory, hosted_session
from tests.sessions_app.room_support import attendee_client, enter

pytestmark = pytest.mark.django_db


STARTS_AT = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def _host_urls(session, attendance: Attendance, recording: Recording) -> list[tuple[str, str]]:
    by_id = {"session_id": session.pk}
    return [
        ("get", reverse("sessions_app:host_room", kwargs=by_id)),
        ("post", reverse("sessions_app:host_heartbeat", kwargs={**by_id, "phase": "waiting"})),
        ("post", reverse("sessions_app:host_start", kwargs=by_id)),
        ("get", reverse("sessions_app:host_people", kwargs=by_id)),
        (
            "post",
            reverse("sessions_app:host_remove", kwargs={**by_id, "attendance_id": attendance.pk}),
        ),
        ("post", reverse("sessions_app:host_leave", kwargs=by_id)),
        ("get", reverse("sessions_app:host_end", kwargs=by_id)),
        ("post", reverse("sessions_app:host_end", kwargs=by_id)),
        ("post", reverse("sessions_app:host_complete", kwargs=by_id)),
        ("post", reverse("sessions_app:recording_upload", kwargs=by_id)),
        (
            "get",
            reverse(
                "sessions_app:recording_download",
                kwargs={**by_id, "recording_id": recording.pk},
            ),
        ),
        ("get", reverse("guests:regenerate", kwargs=by_id)),
        ("post", reverse("guests:regenerate", kwargs=by_id)),
    ]


@time_machine.travel(STARTS_AT, tick=False)
def test_no_host_control_answers_an_attendee_a_guest_or_another_host(
    host, host_client: Client, tmp_path, settings
) -> None:
    settings.MEDIA_ROOT = tmp_path
    session = hosted_session(user=host, starts_at=STARTS_AT)
    registration = RegistrationFactory(session=session)
    attendee = enter(attendee_client(registration), session)
    guest_link = guest_link_for(session=session)
    from guests.selectors import guest_token

    guest = Client()
    guest.get(reverse("guests:exchange", kwargs={"token": guest_token(guest_link)}))
    guest.post(reverse("guests:enter", kwargs={"code": session.code}), {"name": "Guest"})
    other_host = Client()
    other_host.login(username=UserFactory().email, password=TEST_PASSWORD)
    attendance = Attendance.objects.get(registration=registration)
    recording = Recording.objects.create(
        session=session,
        original_name="talk.mp4",
        size_bytes=3,
        file=SimpleUploadedFile("talk.mp4", b"abc"),
    )
    token_before = guest_link.token_version

    for client_name, client in (("attendee", attendee), ("guest", guest), ("other", other_host)):
        for method, url in _host_urls(session, attendance, recording):
            response = getattr(client, method)(url)
            assert response.status_code in (403, 404), (client_name, method, url)

    session.refresh_from_db()
    attendance.refresh_from_db()
    guest_link.refresh_from_db()
    assert session.state == SessionState.SCHEDULED
    assert attendance.status == "waiting"
    assert guest_link.token_version == token_before
    assert Recording.objects.count() == 1
