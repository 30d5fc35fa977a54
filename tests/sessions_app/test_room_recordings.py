"""Recordings: hosts attach .mp4 files and download them; nobody else can; bad uploads refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from sessions_app.models import Recording, SessionState
from tests.factories import TEST_PASSWORD, RegistrationFactory, UserFactory, hosted_session
from tests.sessions_app.room_support import attendee_client

pytestmark = pytest.mark.django_db

STARTS_AT = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def session(host):
    return hosted_session(
        user=host, title="Recorded talk", starts_at=STARTS_AT, state=SessionState.ENDED
    )


def _upload(client: Client, session, upload: SimpleUploadedFile):
    return client.post(
        reverse("sessions_app:recording_upload", kwargs={"session_id": session.pk}),
        {"file": upload},
    )


def test_a_host_attaches_a_recording_and_downloads_it_from_the_completed_tab(
    host_client: Client, session, _media
) -> None:
    response = _upload(
        host_client, session, SimpleUploadedFile("Talk 1.mp4", MP4, content_type="video/mp4")
    )
    assert response.status_code == 302
    recording = Recording.objects.get()
    assert (recording.original_name, recording.size_bytes) == ("Talk_1.mp4", len(MP4))
    assert recording.file.name.startswith(f"recordings/session-{session.pk}/")
    assert (_media / recording.file.name).read_bytes() == MP4

    download_url = reverse(
        "sessions_app:recording_download",
        kwargs={"session_id": session.pk, "recording_id": recording.pk},
    )
    with time_machine.travel(STARTS_AT.replace(day=26), tick=False):
        completed = host_client.get(reverse("sessions_app:my_sessions"), {"tab": "completed"})
    assert download_url in completed.text
    assert "Talk_1.mp4" in completed.text
    dashboard = host_client.get(
        reverse("sessions_app:session_room", kwargs={"session_id": session.pk})
    )
    assert download_url in dashboard.text

    download = host_client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="Talk_1.mp4"'
    assert download["Content-Type"] == "video/mp4"
    assert b"".join(download.streaming_content) == MP4


def test_nobody_but_the_sessions_hosts_can_download(host_client: Client, session) -> None:
    _upload(host_client, session, SimpleUploadedFile("talk.mp4", MP4, content_type="video/mp4"))
    recording = Recording.objects.get()
    url = reverse(
        "sessions_app:recording_download",
        kwargs={"session_id": session.pk, "recording_id": recording.pk},
    )
    other_host = Client()
    other_user = UserFactory()
    hosted_session(user=other_user)  # hosts another program
    other_host.login(username=other_user.email, password=TEST_PASSWORD)
    attendee = attendee_client(RegistrationFactory(session=session))
    for client in (Client(), other_host, attendee):
        assert client.get(url).status_code == 404
    # A recording of another session through this session's URL: 404 as well.
    elsewhere = hosted_session(user=session.program.hosts.first())
    wrong = reverse(
        "sessions_app:recording_download",
        kwargs={"session_id": elsewhere.pk, "recording_id": recording.pk},
    )
    assert host_client.get(wrong).status_code == 404


@pytest.mark.parametrize(
    ("name", "content_type", "content", "reason"),
    [
        ("talk.mov", "video/mp4", MP4, "Only .mp4 files can be attached as recordings."),
        ("talk.mp4", "text/html", MP4, "The file is not sent as an MP4 video (video/mp4)."),
        ("talk.mp4", "video/mp4", b"<html>not a video</html>", "content is not an MP4 video"),
        ("talk.mp4", "video/mp4", b"tiny", "content is not an MP4 video"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(
    host_client: Client, session, _media, name, content_type, content, reason
) -> None:
    response = _upload(
        host_client, session, SimpleUploadedFile(name, content, content_type=content_type)
    )
    assert response.status_code == 400
    assert reason in response.text.replace("&#x27;", "'")
    assert not Recording.objects.exists()
    assert not any(path.is_file() for path in _media.rglob("*"))


@override_settings(RECORDING_MAX_BYTES=50)
def test_an_upload_over_the_size_limit_is_refused(host_client: Client, session, _media) -> None:
    response = _upload(
        host_client, session, SimpleUploadedFile("talk.mp4", MP4, content_type="video/mp4")
    )
    assert response.status_code == 400
    assert "larger than the limit of 50\xa0bytes" in response.text
    assert not Recording.objects.exists()


def test_an_upload_without_a_file_says_so(host_client: Client, session) -> None:
    response = host_client.post(
        reverse("sessions_app:recording_upload", kwargs={"session_id": session.pk}), follow=True
    )
    assert "Choose an .mp4 file to attach." in response.text


def _attached(host_client: Client, session, name: str = "talk.mp4") -> Recording:
    _upload(host_client, session, SimpleUploadedFile(name, MP4, content_type="video/mp4"))
    return Recording.objects.get(original_name=name)


def _delete_url(recording: Recording) -> str:
    return reverse(
        "sessions_app:recording_delete",
        kwargs={"session_id": recording.session_id, "recording_id": recording.pk},
    )


def test_a_host_deletes_a_recording_after_confirming(
    host_client: Client, session, _media, django_capture_on_commit_callbacks
) -> None:
    recording = _attached(host_client, session)
    kept = _attached(host_client, session, "other.mp4")
    stored = _media / recording.file.name
    dashboard_url = reverse("sessions_app:session_room", kwargs={"session_id": session.pk})
    assert _delete_url(recording) in host_client.get(dashboard_url).text

    confirm = host_client.get(_delete_url(recording))
    assert confirm.status_code == 200
    assert "Delete the recording “talk.mp4”?" in confirm.text
    assert 'method="post"' in confirm.text and "csrfmiddlewaretoken" in confirm.text
    # Opening the confirmation deletes nothing.
    assert Recording.objects.filter(pk=recording.pk).exists()
    assert stored.is_file()

    with django_capture_on_commit_callbacks(execute=True):
        done = host_client.post(_delete_url(recording), follow=True)

    assert done.redirect_chain[-1][0] == f"{dashboard_url}#recordings"
    assert "Recording “talk.mp4” deleted." in done.text
    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert not stored.exists()
    assert "talk.mp4" not in host_client.get(dashboard_url).text
    assert (_media / kept.file.name).is_file()
    assert list(Recording.objects.all()) == [kept]


def test_only_the_sessions_hosts_can_delete_a_recording(
    host_client: Client, session, _media, django_capture_on_commit_callbacks
) -> None:
    recording = _attached(host_client, session)
    other_user = UserFactory()
    elsewhere = hosted_session(user=other_user)  # hosts another program
    other_host = Client()
    other_host.force_login(other_user)
    attendee = attendee_client(RegistrationFactory(session=session))
    # The other host's own session in the URL does not reach this recording either.
    through_own_session = reverse(
        "sessions_app:recording_delete",
        kwargs={"session_id": elsewhere.pk, "recording_id": recording.pk},
    )

    with django_capture_on_commit_callbacks(execute=True):
        for client in (Client(), other_host, attendee):
            assert client.get(_delete_url(recording)).status_code == 404
            assert client.post(_delete_url(recording)).status_code == 404
        assert other_host.post(through_own_session).status_code == 404

    assert Recording.objects.filter(pk=recording.pk).exists()
    assert (_media / recording.file.name).is_file()


def test_deleting_a_recording_needs_the_csrf_token(host, session, _media) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(host)
    uploader = Client()
    uploader.force_login(host)
    recording = _attached(uploader, session)

    assert browser.post(_delete_url(recording)).status_code == 403
    assert Recording.objects.filter(pk=recording.pk).exists()


@pytest.mark.parametrize("way", ["delete page", "delete selected action"])
def test_deleting_recordings_in_the_admin_removes_their_files(
    admin_client: Client,
    host_client: Client,
    session,
    _media,
    django_capture_on_commit_callbacks,
    way: str,
) -> None:
    recording = _attached(host_client, session)
    stored = _media / recording.file.name

    with django_capture_on_commit_callbacks(execute=True):
        if way == "delete page":
            url = reverse("admin:sessions_app_recording_delete", args=[recording.pk])
            response = admin_client.post(url, {"post": "yes"})
        else:
            response = admin_client.post(
                reverse("admin:sessions_app_recording_changelist"),
                {"action": "delete_selected", "_selected_action": [recording.pk], "post": "yes"},
            )

    assert response.status_code == 302
    assert not Recording.objects.exists()
    assert not stored.exists()


def test_files_of_recordings_deleted_with_their_session_are_swept(
    admin_client: Client, host, host_client: Client, session, _media
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from sessions_app.tasks import sweep_recordings

    gone = _attached(host_client, session, "gone.mp4")
    other = hosted_session(user=host, title="Kept talk", starts_at=STARTS_AT)
    kept = _attached(host_client, other, "kept.mp4")
    gone_file, kept_file = _media / gone.file.name, _media / kept.file.name

    response = admin_client.post(
        reverse("admin:sessions_app_session_delete", args=[session.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Recording.objects.filter(pk=gone.pk).exists()
    assert gone_file.exists()  # the cascade took the row, not the file

    # Within the grace period (an upload whose row is not committed yet) nothing goes.
    assert sweep_recordings() == 0
    assert gone_file.exists()

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert sweep_recordings() == 1
    assert not gone_file.exists()
    assert kept_file.read_bytes() == MP4
    assert Recording.objects.filter(pk=kept.pk).exists()


def test_the_sweep_is_on_the_beat_schedule(settings) -> None:
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "sessions_app.tasks.sweep_recordings" in tasks


def test_a_recording_whose_file_is_gone_answers_a_clear_404(
    host_client: Client, session, _media
) -> None:
    _upload(host_client, session, SimpleUploadedFile("Talk.mp4", MP4, content_type="video/mp4"))
    recording = Recording.objects.get()
    (_media / recording.file.name).unlink()  # lost from storage (a restore, a manual clean-up)
    download = host_client.get(
        reverse(
            "sessions_app:recording_download",
            kwargs={"session_id": session.pk, "recording_id": recording.pk},
        )
    )
    assert download.status_code == 404
    assert "The file of “Talk.mp4” is no longer stored" in download.text
