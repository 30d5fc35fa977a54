"""Live room pages: pre-join, waiting, the room, the state poll, and the host's controls.

Who a browser is in a room: a host by login; an attendee by their registration (the personal
link's cookie); a guest by their guest entry, or a named visitor of an open session, both kept
in Django's session. After pre-join, Django's session holds the Attendance id per session.
Host URLs fetch through `get_hosted_session_or_404` and answer 404 to everyone else.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from sessions_app import recordings, rooms, selectors
from sessions_app.formatting import session_when
from sessions_app.models import (
    Attendance,
    AttendanceRole,
    AttendanceStatus,
    Recording,
    Session,
    SessionState,
)
from sessions_app.room_forms import PrejoinForm, RecordingUploadForm
from sessions_app.tokens import registration_for_token

PHASES = ("waiting", "room")


def _room_key(session: Session) -> str:
    return f"room:{session.pk}"


def _who_key(session: Session) -> str:
    return f"room-who:{session.pk}"


def join_cookie_name(session: Session) -> str:
    return f"convene_join_{session.pk}"


def _same_origin(response: HttpResponse) -> HttpResponse:
    # Pages with forms: no referrer leaves the site, yet same-page posts keep their Origin
    # (under no-referrer Chromium sends `Origin: null` and the CSRF check refuses the post).
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


def _session_or_404(code: str) -> Session:
    session = selectors.session_by_code(typed=code)
    if session is None:
        raise Http404("No such session.")
    return session


def room_participant_remember(
    request: HttpRequest, *, session: Session, participant: rooms.Participant
) -> None:
    """Remember who this browser is in `session` (guests and named visitors)."""
    request.session[_who_key(session)] = {
        "key": participant.key,
        "role": participant.role,
        "name": participant.name,
    }


def room_attendance_remember(
    request: HttpRequest, *, session: Session, attendance: Attendance, form: PrejoinForm
) -> None:
    request.session[_room_key(session)] = {
        "attendance": attendance.pk,
        "camera": form.cleaned_data.get("camera_on", False),
        "microphone": form.cleaned_data.get("microphone_on", False),
    }


def room_participant(request: HttpRequest, session: Session) -> rooms.Participant | None:
    if selectors.sessions_hosted_by(user=request.user).filter(pk=session.pk).exists():
        return rooms.participant_for_host(request.user)
    remembered = request.session.get(_who_key(session))
    if remembered:
        return rooms.Participant(
            key=remembered["key"], role=remembered["role"], name=remembered["name"]
        )
    token = request.COOKIES.get(join_cookie_name(session), "")
    registration = registration_for_token(token) if token else None
    if registration is not None and registration.session_id == session.pk:
        return rooms.participant_for_registration(registration)
    return None


def _attendance(request: HttpRequest, session: Session) -> Attendance | None:
    remembered = request.session.get(_room_key(session)) or {}
    attendance_id = remembered.get("attendance")
    if not attendance_id:
        return None
    return Attendance.objects.filter(pk=attendance_id, session=session).first()


def _entry_closed(
    request: HttpRequest, *, session: Session, entry: rooms.Entry | str
) -> HttpResponse:
    status = {"early": 200, "over": 410, "cancelled": 410, "need-link": 403}
    reason = entry.value if isinstance(entry, rooms.Entry) else entry
    context = {
        "session": session,
        "when": session_when(session),
        "reason": reason,
        "opens_at": rooms.room_opens_at(session),
    }
    return render(request, "sessions_app/room/entry_closed.html", context, status=status[reason])


def room_prejoin_response(
    request: HttpRequest,
    *,
    session: Session,
    participant: rooms.Participant | None,
    action: str,
) -> HttpResponse:
    """The pre-join screen and its post: check the name (and devices), then wait or go in.

    Shared with the guest entry page; `participant` None is a visitor of an open session.
    """
    now = timezone.now()
    entry = rooms.room_entry(session=session, now=now)
    if entry != rooms.Entry.OPEN:
        return _entry_closed(request, session=session, entry=entry)
    initial = {"name": participant.name} if participant else {}
    form = PrejoinForm(request.POST or None, session=session, initial=initial)
    if request.method == "POST" and form.is_valid():
        if participant is None:
            participant = rooms.Participant(
                key=rooms.participant_open_key(),
                role=AttendanceRole.ATTENDEE,
                name=form.cleaned_data["name"],
            )
            room_participant_remember(request, session=session, participant=participant)
        try:
            attendance = rooms.attendance_arrive(
                session=session, participant=participant, name=form.cleaned_data["name"], now=now
            )
        except rooms.ParticipantRemoved:
            return _out(request, session=session, reason="removed")
        room_attendance_remember(request, session=session, attendance=attendance, form=form)
        return redirect("sessions_app:room", code=session.code)
    context = {"session": session, "when": session_when(session), "form": form, "action": action}
    response = render(
        request, "sessions_app/room/prejoin.html", context, status=400 if form.errors else 200
    )
    return _same_origin(response)


def room_prejoin(request: HttpRequest, code: str) -> HttpResponse:
    session = _session_or_404(code)
    participant = room_participant(request, session)
    if participant is not None and participant.role == AttendanceRole.HOST:
        return redirect("sessions_app:host_room", session_id=session.pk)
    if participant is None and session.is_registration_required:
        entry = rooms.room_entry(session=session, now=timezone.now())
        return _entry_closed(
            request, session=session, entry=entry if entry != rooms.Entry.OPEN else "need-link"
        )
    return room_prejoin_response(
        request,
        session=session,
        participant=participant,
        action=reverse("sessions_app:room_prejoin", kwargs={"code": session.code}),
    )


def _out(request: HttpRequest, *, session: Session, reason: str) -> HttpResponse:
    """The post-session page (ended, cancelled), or removed / left."""
    status = 403 if reason == "removed" else 200
    response = render(
        request,
        "sessions_app/room/out.html",
        {"session": session, "reason": reason, "when": session_when(session)},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


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


def _room_context(
    request: HttpRequest, *, session: Session, attendance: Attendance, is_host: bool
) -> dict[str, object]:
    devices = request.session.get(_room_key(session)) or {}
    return {
        "session": session,
        "when": session_when(session),
        "attendance": attendance,
        "is_host": is_host,
        "poll_url": _poll_url(attendance, "room"),
        "iframe_src": rooms.room_iframe_src(
            session=session,
            display_name=attendance.name,
            is_host=is_host,
            camera_on=devices.get("camera", True),
            microphone_on=devices.get("microphone", True),
        ),
        "iframe_allow": rooms.room_iframe_allow(session=session, is_host=is_host),
    }


@never_cache
def room(request: HttpRequest, code: str) -> HttpResponse:
    """Waiting for host, the room, or the page after it, whichever the state says."""
    session = _session_or_404(code)
    attendance = _attendance(request, session)
    if attendance is None:
        return redirect("sessions_app:room_prejoin", code=session.code)
    if attendance.role == AttendanceRole.HOST:
        return redirect("sessions_app:host_room", session_id=session.pk)
    if attendance.status == AttendanceStatus.REMOVED:
        return _out(request, session=session, reason="removed")
    if session.state == SessionState.CANCELLED:
        return _out(request, session=session, reason="cancelled")
    if session.state in (SessionState.ENDED, SessionState.COMPLETED):
        return _out(request, session=session, reason="ended")
    if attendance.status == AttendanceStatus.LEFT:
        return _out(request, session=session, reason="left")
    if session.state == SessionState.LIVE:
        attendance = rooms.attendance_enter(attendance=attendance, now=timezone.now())
        context = _room_context(request, session=session, attendance=attendance, is_host=False)
        return _same_origin(render(request, "sessions_app/room/room.html", context))
    if rooms.room_entry(session=session, now=timezone.now()) == rooms.Entry.OVER:
        return _out(request, session=session, reason="ended")
    context = {
        "session": session,
        "when": session_when(session),
        "attendance": attendance,
        "poll_url": _poll_url(attendance, "waiting"),
    }
    return _same_origin(render(request, "sessions_app/room/waiting.html", context))


@require_POST
def room_leave(request: HttpRequest, code: str) -> HttpResponse:
    session = _session_or_404(code)
    attendance = _attendance(request, session)
    if attendance is not None:
        rooms.attendance_leave(attendance=attendance, now=timezone.now())
    return redirect("sessions_app:room", code=session.code)


@require_GET
def room_state(
    request: HttpRequest, session_id: int, attendance_id: int, signature: str, phase: str
) -> HttpResponse:
    """The poll of waiting and in-room pages: 204 while nothing changed, else HX-Redirect."""
    if phase not in PHASES or not rooms.attendance_signature_matches(
        session_id, attendance_id, signature
    ):
        raise Http404("No such participant.")
    now = timezone.now()
    state = rooms.room_poll(session_id=session_id, attendance_id=attendance_id, now=now)
    if state is None:
        raise Http404("No such participant.")
    if rooms.room_phase(poll=state, now=now) == phase:
        response = HttpResponse(status=204)
    else:
        response = HttpResponse("moved", content_type="text/plain")
        if state.role == AttendanceRole.HOST:
            target = reverse("sessions_app:host_room", kwargs={"session_id": session_id})
        else:
            target = reverse("sessions_app:room", kwargs={"code": state.code})
        response["HX-Redirect"] = target
    response["Cache-Control"] = "no-store"
    return response


# --- host controls ------------------------------------------------------------------------------


def _hosted(request: HttpRequest, session_id: int) -> Session:
    return selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)


def _dashboard(session: Session, anchor: str = "live-room") -> str:
    return f"{reverse('sessions_app:dashboard', kwargs={'session_id': session.pk})}#{anchor}"


@never_cache
def host_room(request: HttpRequest, session_id: int) -> HttpResponse:
    """The host's room: the provider while live, and who is in and who is waiting."""
    session = _hosted(request, session_id)
    now = timezone.now()
    entry = rooms.room_entry(session=session, now=now, is_host=True)
    if entry != rooms.Entry.OPEN:
        messages.info(request, "The room is closed: this session is over or cancelled.")
        return redirect(_dashboard(session))
    attendance = rooms.attendance_arrive(
        session=session, participant=rooms.participant_for_host(request.user), name="", now=now
    )
    request.session[_room_key(session)] = {"attendance": attendance.pk}
    context = _room_context(request, session=session, attendance=attendance, is_host=True)
    context["poll_url"] = _poll_url(
        attendance, "room" if session.state == SessionState.LIVE else "waiting"
    )
    context["people"] = selectors.room_people(session=session, now=now)
    return _same_origin(render(request, "sessions_app/room/host_room.html", context))


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
        rooms.attendance_remove(attendance=attendance, now=timezone.now())
    except rooms.RoomError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"{attendance.name} was removed and cannot rejoin.")
    return redirect("sessions_app:host_room", session_id=session.pk)


@require_POST
def host_leave(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _hosted(request, session_id)
    attendance = _attendance(request, session)
    if attendance is not None:
        rooms.attendance_leave(attendance=attendance, now=timezone.now())
    messages.info(request, "You left the room; the session goes on.")
    return redirect(_dashboard(session))


def host_end(request: HttpRequest, session_id: int) -> HttpResponse:
    """End meeting for all: a confirmation page, then the end."""
    session = _hosted(request, session_id)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    error = ""
    if request.method == "POST":
        try:
            rooms.session_end(session=session, now=timezone.now())
        except rooms.RoomError as refused:
            error = str(refused)
        else:
            messages.success(request, "The meeting ended for everyone.")
            return redirect(_dashboard(session))
    context = {"session": session, "when": session_when(session), "error": error}
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
        messages.success(request, "Session marked complete.")
    return redirect(_dashboard(session))


@require_POST
def recording_upload(request: HttpRequest, session_id: int) -> HttpResponse:
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


@require_GET
def recording_download(request: HttpRequest, session_id: int, recording_id: int) -> FileResponse:
    session = _hosted(request, session_id)
    recording = Recording.objects.filter(session=session, pk=recording_id).first()
    if recording is None:
        raise Http404("No such recording.")
    response = FileResponse(
        recording.file.open("rb"),
        as_attachment=True,
        filename=recording.original_name,
        content_type="video/mp4",
    )
    response["Cache-Control"] = "private, no-store"
    return response
