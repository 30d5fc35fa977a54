"""Who a browser is in a session's room, and the pre-join step: shared by the room pages and
the guest entry page (not views themselves, so no app calls another app's views).

A host is known by login; an attendee by their registration (the personal link's cookie, checked
against the registration's current token version on every page); a guest or a named visitor of
an open session by the identity kept in Django's session. The guests app vouches for a guest
identity (their pass) on every page (`signals.participant_vouch`): once the host regenerates
the link, the passes issued through the old one are refused.
After pre-join, Django's session also holds the Attendance id per session; the room page
re-resolves who the browser is and refuses it unless that is still the attendance's participant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from csp.constants import NONE
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from programs.headers import room_permissions_policy
from sessions_app import rooms, selectors, signals
from sessions_app.media import media_backend
from sessions_app.models import Attendance, AttendanceRole, Session
from sessions_app.room_forms import PrejoinForm
from sessions_app.tokens import registration_held

# Remembered identities that need nobody to vouch for them (`open:` visitors); every other
# prefix is asked through `signals.participant_vouch`.
TRUSTED_PREFIXES = ("open",)


def room_key(session: Session) -> str:
    return f"room:{session.pk}"


def who_key(session: Session) -> str:
    return f"room-who:{session.pk}"


def room_page(response: HttpResponse) -> HttpResponse:
    """The headers of the pages that may use the camera or hold the room (pre-join, waiting,
    the room, the host's room): the only pages whose Permissions-Policy allows the camera and
    microphone, to us and to the media provider's frame, and whose Content-Security-Policy
    lets that frame in."""
    # Pages with forms: no referrer leaves the site, yet same-page posts keep their Origin
    # (under no-referrer Chromium sends `Origin: null` and the CSRF check refuses the post).
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    backend = media_backend()
    frames, connects = backend.frame_origins(), backend.connect_origins()
    response["Permissions-Policy"] = room_permissions_policy(provider_origins=frames)
    # What django-csp's `csp_replace` / `csp_update` decorators set; read per request. The
    # Janus client talks to its server's HTTP API (connect-src); Jitsi runs in a frame.
    response._csp_replace = {"frame-src": frames or [NONE]}  # type: ignore[attr-defined]
    if connects:
        response._csp_update = {"connect-src": connects}  # type: ignore[attr-defined]
    return response


# --- remembered identities ----------------------------------------------------------------------


def participant_remember(
    request: HttpRequest, *, session: Session, participant: rooms.Participant
) -> None:
    """Remember who this browser is in `session` (guests and named visitors)."""
    request.session[who_key(session)] = {
        "key": participant.key,
        "role": participant.role,
        "name": participant.name,
    }


def remembered_participant(request: HttpRequest, session: Session) -> rooms.Participant | None:
    """The guest or visitor this browser came in as, if whoever issued it still vouches."""
    remembered = request.session.get(who_key(session))
    if not remembered or not remembered.get("key"):
        return None
    prefix = str(remembered["key"]).split(":", 1)[0]
    if prefix == "open" and session.is_registration_required:
        # A visitor who came in while registration was open is out once it is required.
        return None
    if prefix not in TRUSTED_PREFIXES:
        answers = [
            vouched
            for _receiver, vouched in signals.participant_vouch.send(
                sender=Session, prefix=prefix, session=session, identity=remembered
            )
            if vouched is not None
        ]
        if not answers or not all(answers):
            return None
    return rooms.Participant(
        key=remembered["key"],
        role=remembered["role"],
        name=remembered["name"],
    )


def room_participant(request: HttpRequest, session: Session) -> rooms.Participant | None:
    """Who this browser is in `session` now, checked afresh (links may have been revoked)."""
    user = request.user
    if (
        isinstance(user, User)
        and selectors.sessions_hosted_by(user=user).filter(pk=session.pk).exists()
    ):
        return rooms.participant_for_host(user)
    participant = remembered_participant(request, session)
    if participant is not None:
        return participant
    registration = registration_held(request, session)
    if registration is not None:
        return rooms.participant_for_registration(registration)
    return None


def attendance_remember(
    request: HttpRequest, *, session: Session, attendance: Attendance, form: PrejoinForm
) -> None:
    request.session[room_key(session)] = {
        "attendance": attendance.pk,
        "camera": form.cleaned_data.get("camera_on", False),
        "microphone": form.cleaned_data.get("microphone_on", False),
    }


def remembered_attendance(request: HttpRequest, session: Session) -> Attendance | None:
    remembered = request.session.get(room_key(session)) or {}
    attendance_id = remembered.get("attendance")
    if not attendance_id:
        return None
    return Attendance.objects.filter(pk=attendance_id, session=session).first()


# --- pages shared by the room and the guest entry -----------------------------------------------

# `link-gone`: the browser's link was revoked or its registration removed since it came in.
ENTRY_CLOSED_STATUS = {
    "early": 200,
    "over": 410,
    "cancelled": 410,
    "need-link": 403,
    "link-gone": 403,
}


def entry_closed_response(
    request: HttpRequest, *, session: Session, entry: rooms.Entry | str
) -> HttpResponse:
    reason = entry.value if isinstance(entry, rooms.Entry) else entry
    context = {
        "session": session,
        "reason": reason,
        "opens_at": rooms.room_opens_at(session),
    }
    return render(
        request,
        "sessions_app/room/entry_closed.html",
        context,
        status=ENTRY_CLOSED_STATUS[reason],
    )


def out_response(request: HttpRequest, *, session: Session, reason: str) -> HttpResponse:
    """The post-session page (ended, cancelled), or removed / left."""
    status = 403 if reason == "removed" else 200
    response = render(
        request,
        "sessions_app/room/out.html",
        {"session": session, "reason": reason},
        status=status,
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _open_visitor(name: str, now: datetime) -> rooms.Participant:
    return rooms.Participant(
        key=rooms.participant_open_key(), role=AttendanceRole.ATTENDEE, name=name
    )


def prejoin_response(
    request: HttpRequest,
    *,
    session: Session,
    participant: rooms.Participant | None,
    action: str,
    newcomer: Callable[[str, datetime], rooms.Participant] = _open_visitor,
) -> HttpResponse:
    """The pre-join screen and its post: check the name (and devices), then wait or go in.

    `participant` None is someone new: once the form is valid, `newcomer(name, now)` makes
    their identity (a visitor of an open session by default; a guest entry for guests) in the
    same transaction as their attendance, so a refused form writes nothing.
    """
    now = timezone.now()
    entry = rooms.room_entry(session=session, now=now)
    if entry != rooms.Entry.OPEN:
        return entry_closed_response(request, session=session, entry=entry)
    initial = {"name": participant.name} if participant else {}
    form = PrejoinForm(request.POST or None, session=session, initial=initial)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"]
        is_new = participant is None
        try:
            with transaction.atomic():
                if participant is None:
                    participant = newcomer(name, now)
                attendance = rooms.attendance_arrive(
                    session=session, participant=participant, name=name, now=now
                )
        except rooms.ParticipantRemoved:
            return out_response(request, session=session, reason="removed")
        except rooms.LinkGone:
            return entry_closed_response(request, session=session, entry="link-gone")
        if is_new:
            participant_remember(request, session=session, participant=participant)
        attendance_remember(request, session=session, attendance=attendance, form=form)
        return redirect("sessions_app:room", code=session.code)
    context = {"session": session, "form": form, "action": action}
    response = render(
        request, "sessions_app/room/prejoin.html", context, status=400 if form.errors else 200
    )
    return room_page(response)
