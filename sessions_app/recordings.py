"""Recording files: checked on upload (.mp4 by name, type and content), served to hosts only."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename

from sessions_app.models import Recording, Session

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


def recording_add(
    *, session: Session, upload: UploadedFile, uploaded_by: AbstractBaseUser
) -> Recording:
    recording_check(upload)
    original = get_valid_filename(os.path.basename(upload.name))[:200] or "recording.mp4"
    recording = Recording(
        session=session, original_name=original, size_bytes=upload.size, uploaded_by=uploaded_by
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
