"""Recording files: checked on upload (.mp4 by name, type and content), served to hosts only."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename

from sessions_app.media import media_backend
from sessions_app.media.download import recording_download
from sessions_app.media.recording import RecordingFailed, compose_mp4
from sessions_app.models import Recording, RecordingSource, RecordingStatus, Session

MP4_CONTENT_TYPES = {"video/mp4", "application/mp4"}
RECORDINGS_DIR = "recordings"  # sessions_app.models.recording_upload_to stores under it


class RecordingRefused(Exception):
    """The upload is not an acceptable recording; the message says why."""


def recording_check(upload: UploadedFile) -> None:
    """Refuse anything but an .mp4 within the size limit whose bytes say ISO media (`ftyp`)."""
    name = upload.name or ""
    if not name.lower().endswith(".mp4"):
        raise RecordingRefused("Only .mp4 files can be attached as recordings.")
    if (upload.content_type or "").lower() not in MP4_CONTENT_TYPES:
        raise RecordingRefused("The file is not sent as an MP4 video (video/mp4).")
    limit = settings.RECORDING_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise RecordingRefused(f"The file is larger than the limit of {filesizeformat(limit)}.")
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    if len(head) < 12 or head[4:8] != b"ftyp":
        raise RecordingRefused("The file's content is not an MP4 video.")


def recording_add(*, session: Session, upload: UploadedFile, uploaded_by: User) -> Recording:
    recording_check(upload)
    original = get_valid_filename(os.path.basename(upload.name or ""))[:200] or "recording.mp4"
    recording = Recording(
        session=session,
        original_name=original,
        size_bytes=upload.size or 0,
        uploaded_by=uploaded_by,
    )
    recording.file.save(original, upload, save=False)
    try:
        with transaction.atomic():
            recording.save()
    except Exception:
        # No row without its file, and no file without its row.
        recording.file.delete(save=False)
        raise
    return recording


def recording_delete(*, recording: Recording) -> None:
    """Delete the row, then its file once the deletion is committed (a rollback keeps both)."""
    with transaction.atomic():
        recording.delete()
        transaction.on_commit(lambda: recording.file.delete(save=False))


def recordings_sweep(*, now: datetime, grace: timedelta = timedelta(hours=1)) -> int:
    """Delete stored recording files that no row names any more; return how many.

    Deleting a recording through `recording_delete` removes its file at once, but a session
    or program deleted in the admin takes its recording rows with it (a cascade) and leaves
    the files: recordings are personal data, so a periodic sweep removes them. Files younger
    than `grace` are left alone (an upload whose row is not committed yet).
    """
    storage = Recording._meta.get_field("file").storage
    try:
        folders, _ = storage.listdir(RECORDINGS_DIR)
    except FileNotFoundError:
        return 0
    removed = 0
    for folder in folders:
        _, files = storage.listdir(f"{RECORDINGS_DIR}/{folder}")
        names = {f"{RECORDINGS_DIR}/{folder}/{name}" for name in files}
        known = set(Recording.objects.filter(file__in=names).values_list("file", flat=True))
        for name in sorted(names - known):
            if storage.get_modified_time(name) <= now - grace:
                storage.delete(name)
                removed += 1
    return removed


# --- recordings made by the media server ------------------------------------------------------


def _queue_processing(recording_id: int) -> None:
    from sessions_app.tasks import process_recording

    transaction.on_commit(lambda: process_recording.delay(recording_id))


def recording_from_server_begin(*, session: Session) -> Recording | None:
    """The session ended: one server recording, "processing" until the task has made it.

    Only for a media server that records (Janus); idempotent per session.
    """
    if not getattr(media_backend(), "makes_recordings", False):
        return None
    with transaction.atomic():
        recording, created = Recording.objects.get_or_create(
            session=session,
            source=RecordingSource.SERVER,
            defaults={
                "original_name": f"{session.code}-{session.starts_at:%Y-%m-%d}.mp4",
                "status": RecordingStatus.PROCESSING,
            },
        )
        if created:
            _queue_processing(recording.pk)
    return recording


def recording_from_provider_begin(
    *, session: Session, url: str, external_id: str
) -> tuple[Recording, bool]:
    """A video provider made a recording (JaaS's webhook): one row per provider event,
    "processing" until the task has downloaded it. Answers the row and whether it is new (a
    repeated delivery of the same event adds nothing)."""
    with transaction.atomic():
        count = Recording.objects.filter(session=session).count()
        suffix = f"-{count + 1}" if count else ""
        recording, created = Recording.objects.get_or_create(
            session=session,
            external_id=external_id,
            defaults={
                "source": RecordingSource.PROVIDER,
                "source_url": url,
                "original_name": f"{session.code}-{session.starts_at:%Y-%m-%d}{suffix}.mp4",
                "status": RecordingStatus.PROCESSING,
            },
        )
        if created:
            _queue_processing(recording.pk)
    return recording, created


def recording_retry(*, recording: Recording) -> bool:
    """A failed processing is tried again (the host's "Try again")."""
    with transaction.atomic():
        changed = Recording.objects.filter(pk=recording.pk, status=RecordingStatus.FAILED).update(
            status=RecordingStatus.PROCESSING, failure_reason=""
        )
        if changed:
            _queue_processing(recording.pk)
    return bool(changed)


def _make_file(recording: Recording, work: Path) -> float | None:
    """The recording's .mp4 in `work`: composed from the media server's raw files, or
    downloaded from the provider. Answers its duration when known."""
    output = work / "recording.mp4"
    if recording.source == RecordingSource.PROVIDER:
        recording_download(
            url=recording.source_url,
            output=output,
            allowed_hosts=settings.JAAS_RECORDING_HOSTS,
            max_bytes=settings.RECORDING_MAX_BYTES,
        )
        duration = None
    else:
        sources = media_backend().recordings_collect(session=recording.session)
        duration = compose_mp4(sources=sources, output=output, work_dir=work / "parts")
    with output.open("rb") as made:
        recording.file.save(recording.original_name, File(made), save=False)
    return duration


def recording_fail(*, recording_id: int, reason: str, now: datetime) -> None:
    """Processing gave up: the host sees why and may try again."""
    Recording.objects.filter(pk=recording_id, status=RecordingStatus.PROCESSING).update(
        status=RecordingStatus.FAILED, failure_reason=reason[:2000], processed_at=now
    )


def recording_process(*, recording_id: int, now: datetime) -> Recording:
    """Make the recording's .mp4 (turn the server's raw files into one, or download the
    provider's), or record why it failed.

    The slow part (janus-pp-rec and ffmpeg, or the download) runs outside any transaction;
    the row is updated at the end only while it is still `processing` (a deletion meanwhile
    wins).
    """
    recording = Recording.objects.select_related("session").get(pk=recording_id)
    if recording.status != RecordingStatus.PROCESSING:
        return recording
    Recording.objects.filter(pk=recording.pk).update(attempts=recording.attempts + 1)
    try:
        with tempfile.TemporaryDirectory(prefix="convene-recording-") as work:
            duration = _make_file(recording, Path(work))
    except RecordingFailed as failure:
        recording_fail(recording_id=recording.pk, reason=str(failure), now=now)
        recording.refresh_from_db()
        return recording
    with transaction.atomic():
        updated = Recording.objects.filter(
            pk=recording.pk, status=RecordingStatus.PROCESSING
        ).update(
            file=recording.file.name,
            size_bytes=recording.file.size,
            duration_seconds=duration,
            status=RecordingStatus.READY,
            failure_reason="",
            processed_at=now,
            source_url="",
        )
        if not updated:
            transaction.on_commit(lambda: recording.file.delete(save=False))
    recording.refresh_from_db()
    return recording
