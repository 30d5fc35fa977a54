"""Guest entry by the session's guest link, and the host's "Regenerate link"."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from guests import selectors, services
from guests.models import GuestEntry
from sessions_app import rooms
from sessions_app.models import AttendanceRole, Session
from sessions_app.room_views import room_participant_remember, room_prejoin_response
from sessions_app.selectors import get_hosted_session_or_404, session_by_code

COOKIE_DAYS = 30


def _cookie_name(session: Session) -> str:
    return f"convene_guest_{session.pk}"


def _invalid(request: HttpRequest) -> HttpResponse:
    response = render(request, "guests/link_invalid.html", status=410)
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


def exchange(request: HttpRequest, token: str) -> HttpResponse:
    """The guest link: swap the token for a cookie, then go to a URL without it."""
    guest_link = selectors.guest_link_for_token(token)
    if guest_link is None:
        return _invalid(request)
    session = guest_link.session
    response = redirect("guests:enter", code=session.code)
    response.set_cookie(
        _cookie_name(session),
        token,
        max_age=COOKIE_DAYS * 24 * 3600,
        path=reverse("sessions_app:public", kwargs={"code": session.code}),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


def guest_enter(request: HttpRequest, code: str) -> HttpResponse:
    """A guest's pre-join: their name, then they wait for the host like attendees."""
    session = session_by_code(typed=code)
    if session is None:
        raise Http404("No such session.")
    guest_link = selectors.guest_link_for_token(request.COOKIES.get(_cookie_name(session), ""))
    if guest_link is None or guest_link.session_id != session.pk:
        return _invalid(request)
    participant = _known_guest(request, session)
    is_open = rooms.room_entry(session=session, now=timezone.now()) == rooms.Entry.OPEN
    if request.method == "POST" and participant is None and is_open:
        name = " ".join(request.POST.get("name", "").split())
        if name:
            entry = services.guest_entry_create(
                guest_link=guest_link, name=name, now=timezone.now()
            )
            participant = _guest_participant(entry)
            room_participant_remember(request, session=session, participant=participant)
    return room_prejoin_response(
        request,
        session=session,
        participant=participant,
        action=reverse("guests:enter", kwargs={"code": session.code}),
    )


def _guest_participant(entry: GuestEntry) -> rooms.Participant:
    return rooms.Participant(key=f"guest:{entry.pk}", role=AttendanceRole.GUEST, name=entry.name)


def _known_guest(request: HttpRequest, session: Session) -> rooms.Participant | None:
    """The guest entry this browser came in as before: a removed guest stays removed."""
    remembered = request.session.get(f"room-who:{session.pk}")
    if not remembered or remembered.get("role") != AttendanceRole.GUEST:
        return None
    return rooms.Participant(
        key=remembered["key"], role=AttendanceRole.GUEST, name=remembered["name"]
    )


def guest_link_regenerate(request: HttpRequest, session_id: int) -> HttpResponse:
    """Confirm, then revoke the guest link and issue a new one."""
    session = get_hosted_session_or_404(user=request.user, session_id=session_id)
    guest_link = services.guest_link_for(session=session)
    if request.method == "POST":
        services.guest_link_regenerate(guest_link=guest_link, now=timezone.now())
        messages.success(request, "New guest link issued; the old one no longer works.")
        dashboard = reverse("sessions_app:dashboard", kwargs={"session_id": session.pk})
        return redirect(f"{dashboard}#guest-link")
    return render(request, "guests/regenerate_confirm.html", {"session": session})
