"""Live room pages: pre-join, waiting, the room, the heartbeats, and the host's controls.

Who a browser is in a room is worked out in `sessions_app.room_access` (shared with the guest
entry page), afresh on every room page. Sessions named by code are looked up through the
Session-ID guard. Host URLs fetch through `get_hosted_session_or_404` and answer 404 to
everyone else.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from programs.requests import AuthenticatedHttpRequest
from sessions_app import recordings, room_access, rooms, selectors
from sessions_app.guard import session_guarded
from sessions_app.media import Grant, MediaUnavailable, media_backend
from sessions_app.models import (
    Attendance,
    AttendanceRole,
    AttendanceStatus,
    Recording,
    RecordingStatus,
    Session,
    SessionState,
)
from sessions_app.room_forms import RecordingUploadForm

PHASES = ("waiting", "room")


def _session_or_page(request: HttpRequest, code: str) -> Session | HttpResponse:
    """The session, or the guard's page (404 for an unknown ID, 429 while guessing)."""
    return session_guarded(request, code)


def room_prejoin(request: HttpRequest, code: str) -> HttpResponse:
    session = _session_or_page(request, code)
    if isinstance(session, HttpResponse):
        return session
    participant = room_access.room_participant(request, session)
    if participant is not None and participant.role == AttendanceRole.HOST:
        return redirect("sessions_app:host_room", session_id=session.pk)
    if participant is None and session.is_registration_required:
        entry = rooms.room_entry(session=session, now=timezone.now())
        return room_access.entry_closed_response(
            request, session=session, entry=entry if entry != rooms.Entry.OPEN else "need-link"
        )
    return room_access.prejoin_response(
        request,
        session=session,
        participant=participant,
        action=reverse("sessions_app:room_prejoin", kwargs={"code": session.code}),
    )


def _poll_url(attendance: Attendance, phase: str) -> str:
    return reverse(
        "sessions_app:room_state",
        kwargs={
            "session_id": attendance.session_id,
            "attendance_id": attendance.pk,
            "signature": rooms.attendance_signature(attendance.session_id, attendance.pk),
            "phase": phase,
        },
    )


def _devices(request: HttpRequest, session: Session) -> dict[str, bool]:
    remembered = request.session.get(room_access.room_key(session)) or {}
    return {
        "camera_on": remembered.get("camera", True),
        "microphone_on": remembered.get("microphone", True),
    }


def _room_context(
    request: HttpRequest,
    *,
    session: Session,
    attendance: Attendance,
    is_host: bool,
    media_url: str,
) -> dict[str, object]:
    """What the room pages show of the media: the provider's iframe, our client, or a notice.

    A Janus credential is not in the page: the page's script asks `media_url` for it with a
    POST once it runs, so a prefetch or a crawler never makes one.
    """
    backend = media_backend()
    context: dict[str, object] = {
        "session": session,
        "is_host": is_host,
        "media_provider": backend.name,
        "media_url": media_url,
        "media_can_record": getattr(backend, "makes_recordings", False),
        "media_records": session.is_recorded and getattr(backend, "makes_recordings", False),
    }
    if getattr(backend, "embeds_frame", False) and session.state == SessionState.LIVE:
        try:
            grant = backend.grant(
                session=session, attendance=attendance, **_devices(request, session)
            )
        except MediaUnavailable:
            context["media_provider"] = "unavailable"
        else:
            context["media_provider"] = "frame"
            context["iframe_src"], context["iframe_allow"] = grant.iframe_src, grant.iframe_allow
    return context


def _grant_response(grant: Grant) -> JsonResponse:
    response = JsonResponse(
        {
            "provider": grant.provider,
            "server": grant.server_url,
            "room": grant.room,
            "credential": grant.credential,
            "canPublish": grant.can_publish,
            "display": grant.display_name,
            "iceServers": grant.ice_servers,
            "camera": grant.camera_on,
            "microphone": grant.microphone_on,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


def _media_refused(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _media_grant_response(
    request: HttpRequest, *, session: Session, attendance: Attendance
) -> JsonResponse:
    try:
        grant = rooms.media_grant(
            session=session, attendance=attendance, **_devices(request, session)
        )
    except rooms.RoomError as refused:
        return _media_refused(str(refused), 403)
    except MediaUnavailable:
        return _media_refused("Video is not available right now: the video server is down.", 503)
    return _grant_response(grant)


@never_cache
def room(request: HttpRequest, code: str) -> HttpResponse:
    """Waiting for host, the room, or the page after it, whichever the state says."""
    session = _session_or_page(request, code)
    if isinstance(session, HttpResponse):
        return session
    attendance = room_access.remembered_attendance(request, session)
    if attendance is None:
        return redirect("sessions_app:room_prejoin", code=session.code)
    if attendance.role == AttendanceRole.HOST:
        return redirect("sessions_app:host_room", session_id=session.pk)
    if attendance.status == AttendanceStatus.REMOVED:
        return room_access.out_response(request, session=session, reason="removed")
    # Who the browser is now, not who it was at pre-join: a replaced link or a removed
    # registration no longer opens the room.
    participant = room_access.room_participant(request, session)
    if participant is None or participant.key != attendance.participant_key:
        return room_access.entry_closed_response(request, session=session, entry="link-gone")
    if session.state == SessionState.CANCELLED:
        return room_access.out_response(request, session=session, reason="cancelled")
    if session.state in (SessionState.ENDED, SessionState.COMPLETED):
        return room_access.out_response(request, session=session, reason="ended")
    if attendance.status == AttendanceStatus.LEFT:
        return room_access.out_response(request, session=session, reason="left")
    # Rendering only: the page's heartbeat (a POST to `room_state`) records the attendee as
    # waiting or in the room, so a prefetched or scanned link shows nobody to the host.
    if session.state == SessionState.LIVE:
        context = _room_context(
            request,
            session=session,
            attendance=attendance,
            is_host=False,
            media_url=reverse("sessions_app:room_media", kwargs={"code": session.code}),
        )
        context["poll_url"] = _poll_url(attendance, "room")
        return room_access.room_page(render(request, "sessions_app/room/room.html", context))
    if rooms.room_entry(session=session, now=timezone.now()) == rooms.Entry.OVER:
        return room_access.out_response(request, session=session, reason="ended")
    context = {
        "session": session,
        "attendance": attendance,
        "poll_url": _poll_url(attendance, "waiting"),
    }
    return room_access.room_page(render(request, "sessions_app/room/waiting.html", context))


@never_cache
@require_POST
def room_media(request: HttpRequest, code: str) -> HttpResponse:
    """The room page's script asks for its media credential (a POST: it is issued now).

    The same checks as the room page: the remembered attendance, still held by who the
    browser is now; then only while live and admitted (`rooms.media_grant`).
    """
    session = _session_or_page(request, code)
    if isinstance(session, HttpResponse):
        return session
    attendance = room_access.remembered_attendance(request, session)
    participant = room_access.room_participant(request, session)
    if (
        attendance is None
        or attendance.role == AttendanceRole.HOST
        or participant is None
        or participant.key != attendance.participant_key
    ):
        return _media_refused("You are not in this room.", 403)
    return _media_grant_response(request, session=session, attendance=attendance)


@require_POST
def room_leave(request: HttpRequest, code: str) -> HttpResponse:
    session = _session_or_page(request, code)
    if isinstance(session, HttpResponse):
        return session
    attendance = room_access.remembered_attendance(request, session)
    if attendance is not None:
        rooms.attendance_leave(attendance=attendance, now=timezone.now())
    return redirect("sessions_app:room", code=session.code)


def _moved(target: str) -> HttpResponse:
    """Tells an htmx poll to load `target` instead of the page it is on."""
    response = HttpResponse("moved", content_type="text/plain")
    response["HX-Redirect"] = target
    return response


@never_cache
@require_POST
def room_state(
    request: HttpRequest, session_id: int, attendance_id: int, signature: str, phase: str
) -> HttpResponse:
    """The heartbeat of waiting and in-room pages: 204 while nothing changed, else HX-Redirect.

    A POST (CSRF header from `base.html`) because it records presence: last seen, and in the
    room once the room page beats (`rooms.attendee_heartbeat`).
    """
    if phase not in PHASES or not rooms.attendance_signature_matches(
        session_id, attendance_id, signature
    ):
        raise Http404("No such participant.")
    now = timezone.now()
    state = rooms.attendee_heartbeat(
        session_id=session_id, attendance_id=attendance_id, phase=phase, now=now
    )
    if state is None:
        raise Http404("No such participant.")
    if rooms.room_phase(poll=state, now=now) != phase:
        if state.role == AttendanceRole.HOST:
            return _moved(reverse("sessions_app:host_room", kwargs={"session_id": session_id}))
        return _moved(reverse("sessions_app:room", kwargs={"code": state.code}))
    return HttpResponse(status=204)


# --- host controls ------------------------------------------------------------------------------


def _hosted(request: HttpRequest, session_id: int) -> Session:
    return selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)


def _dashboard(session: Session, anchor: str = "live-room") -> str:
    """The Overview's live-room card, or the Recordings card of "Room & recordings"."""
    page = "session_room" if anchor == "recordings" else "dashboard"
    return f"{reverse(f'sessions_app:{page}', kwargs={'session_id': session.pk})}#{anchor}"


def _host_phase(session: Session) -> str:
    return "room" if session.state == SessionState.LIVE else "waiting"


@never_cache
def host_room(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    """The host's room: the provider while live, and who is in and who is waiting.

    Opening it records nothing (a prefetched link must not mark the host present): the
    page's first heartbeat, a POST, does (`host_heartbeat`).
    """
    session = _hosted(request, session_id)
    now = timezone.now()
    entry = rooms.room_entry(session=session, now=now, is_host=True)
    if entry != rooms.Entry.OPEN:
        messages.info(request, "The room is closed: this session is over or cancelled.")
        return redirect(_dashboard(session))
    host = rooms.participant_for_host(request.user)
    attendance = room_access.remembered_attendance(request, session) or Attendance(
        session=session, participant_key=host.key, role=host.role, name=host.name
    )
    context = _room_context(
        request,
        session=session,
        attendance=attendance,
        is_host=True,
        media_url=reverse("sessions_app:host_media", kwargs={"session_id": session.pk}),
    )
    context["heartbeat_url"] = reverse(
        "sessions_app:host_heartbeat",
        kwargs={"session_id": session.pk, "phase": _host_phase(session)},
    )
    context["people"] = selectors.room_people(session=session, now=now)
    return room_access.room_page(render(request, "sessions_app/room/host_room.html", context))


@never_cache
@require_POST
def host_heartbeat(request: AuthenticatedHttpRequest, session_id: int, phase: str) -> HttpResponse:
    """The host room's poll: records the host as present, then 204 or HX-Redirect.

    The first beat arrives the host and asks the people list to refresh, so the host shows
    as present within one poll interval of opening the page.
    """
    session = _hosted(request, session_id)
    if phase not in PHASES:
        raise Http404("No such phase.")
    now = timezone.now()
    host_room_url = reverse("sessions_app:host_room", kwargs={"session_id": session.pk})
    if rooms.room_entry(session=session, now=now, is_host=True) != rooms.Entry.OPEN:
        return _moved(host_room_url)
    key = room_access.room_key(session)
    remembered = request.session.get(key) or {}
    attendance_id = rooms.host_heartbeat(
        session=session, user=request.user, attendance_id=remembered.get("attendance"), now=now
    )
    if attendance_id != remembered.get("attendance"):
        request.session[key] = {**remembered, "attendance": attendance_id}
    if _host_phase(session) != phase:
        return _moved(host_room_url)
    response = HttpResponse(status=204)
    if attendance_id != remembered.get("attendance"):
        response["HX-Trigger"] = "room-people"
    return response


@never_cache
@require_POST
def host_media(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    """The host room's script asks for the host's media credential (arriving them if need be)."""
    session = _hosted(request, session_id)
    if session.state != SessionState.LIVE:
        # Refused before anything is recorded: presence is the heartbeat's to note.
        return _media_refused("The session is not live.", 403)
    key = room_access.room_key(session)
    remembered = request.session.get(key) or {}
    attendance_id = rooms.host_heartbeat(
        session=session,
        user=request.user,
        attendance_id=remembered.get("attendance"),
        now=timezone.now(),
    )
    if attendance_id != remembered.get("attendance"):
        request.session[key] = {**remembered, "attendance": attendance_id}
    attendance = session.attendances.get(pk=attendance_id)
    return _media_grant_response(request, session=session, attendance=attendance)


@require_POST
def host_recording_switch(request: HttpRequest, session_id: int) -> HttpResponse:
    """ "Record this session" on or off, until the session starts."""
    session = _hosted(request, session_id)
    try:
        rooms.session_recording_switch(session=session, is_recorded="is_recorded" in request.POST)
    except rooms.RoomError as refused:
        messages.error(request, str(refused))
    return redirect("sessions_app:host_room", session_id=session.pk)


@require_POST
def host_start(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _hosted(request, session_id)
    try:
        rooms.session_start(session=session, now=timezone.now())
    except rooms.RoomError as refused:
        messages.error(request, str(refused))
        return redirect(_dashboard(session))
    return redirect("sessions_app:host_room", session_id=session.pk)


@require_GET
def host_people(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _hosted(request, session_id)
    people = selectors.room_people(session=session, now=timezone.now())
    return render(request, "sessions_app/room/people.html", {"session": session, "people": people})


@require_POST
def host_remove(request: HttpRequest, session_id: int, attendance_id: int) -> HttpResponse:
    session = _hosted(request, session_id)
    attendance = session.attendances.filter(pk=attendance_id).first()
    if attendance is None:
        raise Http404("No such participant.")
    try:
        notes = rooms.attendance_remove(attendance=attendance, now=timezone.now())
    except rooms.RoomError as refused:
        messages.error(request, str(refused))
    else:
        said = " ".join(
            [f"{attendance.name} was removed: they cannot come back unless you let them.", *notes]
        )
        messages.success(request, said)
    return redirect("sessions_app:host_room", session_id=session.pk)


@require_POST
def host_readmit(request: HttpRequest, session_id: int, attendance_id: int) -> HttpResponse:
    """ "Let back in": a removed participant may come in again (with a new credential)."""
    session = _hosted(request, session_id)
    attendance = session.attendances.filter(pk=attendance_id).first()
    if attendance is None:
        raise Http404("No such participant.")
    if rooms.attendance_readmit(attendance=attendance):
        said = f"{attendance.name} may come back in."
        if attendance.role == AttendanceRole.GUEST:
            said += (
                " As a guest they come back from the browser they used; on another device "
                "they need the current guest link."
            )
        messages.success(request, said)
    return redirect("sessions_app:host_room", session_id=session.pk)


@require_POST
def host_leave(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _hosted(request, session_id)
    attendance = room_access.remembered_attendance(request, session)
    if attendance is not None:
        rooms.attendance_leave(attendance=attendance, now=timezone.now())
    messages.info(request, "You left the room; the session goes on.")
    return redirect(_dashboard(session))


@require_http_methods(["GET", "POST"])
def host_end(request: HttpRequest, session_id: int) -> HttpResponse:
    """End meeting for all: a confirmation page, then the end."""
    session = _hosted(request, session_id)
    error = ""
    if request.method == "POST":
        try:
            rooms.session_end(session=session, now=timezone.now())
        except rooms.RoomError as refused:
            error = str(refused)
        else:
            messages.success(request, "The meeting ended for everyone.")
            return redirect(_dashboard(session))
    context = {"session": session, "error": error}
    return render(
        request, "sessions_app/room/end_confirm.html", context, status=400 if error else 200
    )


@require_POST
def host_complete(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _hosted(request, session_id)
    try:
        rooms.session_complete(session=session, now=timezone.now())
    except rooms.RoomError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"“{session.title}” marked complete.")
    if request.POST.get("back") == "ongoing":
        return redirect(f"{reverse('sessions_app:my_sessions')}?tab=ongoing")
    return redirect(_dashboard(session))


@require_POST
def recording_upload(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    session = _hosted(request, session_id)
    form = RecordingUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose an .mp4 file to attach.")
        return redirect(_dashboard(session, "recordings"))
    try:
        recording = recordings.recording_add(
            session=session, upload=form.cleaned_data["file"], uploaded_by=request.user
        )
    except recordings.RecordingRefused as refused:
        context = {"session": session, "error": str(refused)}
        return render(request, "sessions_app/room/recording_refused.html", context, status=400)
    messages.success(request, f"Recording “{recording.original_name}” attached.")
    return redirect(_dashboard(session, "recordings"))


def _hosted_recording(request: HttpRequest, session_id: int, recording_id: int) -> Recording:
    """A recording of a session the user hosts; 404 for any other (or another session's)."""
    session = _hosted(request, session_id)
    recording = (
        Recording.objects.select_related("uploaded_by")
        .filter(session=session, pk=recording_id)
        .first()
    )
    if recording is None:
        raise Http404("No such recording.")
    recording.session = session
    return recording


@require_GET
def recording_download(
    request: HttpRequest, session_id: int, recording_id: int
) -> HttpResponseBase:
    recording = _hosted_recording(request, session_id, recording_id)
    if recording.status != RecordingStatus.READY:
        raise Http404("This recording is not ready.")
    try:
        stored = recording.file.open("rb")
    except FileNotFoundError:
        context = {"session": recording.session, "recording": recording}
        return render(request, "sessions_app/room/recording_missing.html", context, status=404)
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=recording.original_name,
        content_type="video/mp4",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def recording_delete(request: HttpRequest, session_id: int, recording_id: int) -> HttpResponse:
    """Delete a recording: a confirmation page on GET, the deletion (file included) on POST."""
    recording = _hosted_recording(request, session_id, recording_id)
    if request.method == "POST":
        recordings.recording_delete(recording=recording)
        messages.success(request, f"Recording “{recording.original_name}” deleted.")
        return redirect(_dashboard(recording.session, "recordings"))
    context = {"session": recording.session, "recording": recording}
    return render(request, "sessions_app/room/recording_delete_confirm.html", context)


@require_POST
def recording_retry(request: HttpRequest, session_id: int, recording_id: int) -> HttpResponse:
    recording = _hosted_recording(request, session_id, recording_id)
    if recordings.recording_retry(recording=recording):
        messages.success(request, "Processing the recording again.")
    return redirect(_dashboard(recording.session, "recordings"))
