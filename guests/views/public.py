"""Guest entry by the session's guest link."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from guests import selectors, services
from sessions_app import room_access, rooms
from sessions_app.guard import session_guarded
from sessions_app.link_cookies import token_cookie_redirect, token_page_headers
from sessions_app.models import AttendanceRole, Session

COOKIE_DAYS = 30


def _cookie_name(session: Session) -> str:
    return f"convene_guest_{session.pk}"


def _invalid(request: HttpRequest) -> HttpResponse:
    return token_page_headers(render(request, "guests/link_invalid.html", status=410))


def exchange(request: HttpRequest, token: str) -> HttpResponse:
    """The guest link: swap the token for a cookie, then go to a URL without it."""
    guest_link = selectors.guest_link_for_token(token)
    if guest_link is None:
        return _invalid(request)
    session = guest_link.session
    response = token_cookie_redirect(
        request,
        response=redirect("guests:enter", code=session.code),
        session=session,
        cookie_name=_cookie_name(session),
        token=token,
        days=COOKIE_DAYS,
    )
    # The cookie is read by the guest entry, under the guests app's g/, not the session's s/.
    entry = reverse("guests:enter", kwargs={"code": session.code})
    response.cookies[_cookie_name(session)]["path"] = entry
    return response


def guest_enter(request: HttpRequest, code: str) -> HttpResponse:
    """A guest's pre-join: their name, then they wait for the host like attendees.

    A guest who came in already (their pass holds) goes on even if the link in their cookie
    was replaced since; anyone else needs the current link. The guest entry is written only
    once the form is valid, with the attendance, in one transaction
    (`room_access.prejoin_response`).
    """
    session = session_guarded(request, code)
    if isinstance(session, HttpResponse):
        return session
    known = _known_guest(request, session)
    guest_link = selectors.guest_link_for_token(request.COOKIES.get(_cookie_name(session), ""))
    if known is None and (guest_link is None or guest_link.session_id != session.pk):
        return _invalid(request)

    def newcomer(name: str, now: datetime) -> rooms.Participant:
        if guest_link is None:  # a known guest whose link was replaced: never a newcomer
            raise PermissionDenied
        entry = services.guest_entry_create(guest_link=guest_link, name=name, now=now)
        return services.guest_participant(entry=entry)

    return room_access.prejoin_response(
        request,
        session=session,
        participant=known,
        action=reverse("guests:enter", kwargs={"code": session.code}),
        newcomer=newcomer,
    )


def _known_guest(request: HttpRequest, session: Session) -> rooms.Participant | None:
    """The guest this browser came in as, while their pass holds: a removed guest stays
    removed; a guest of a regenerated link comes in afresh."""
    participant = room_access.remembered_participant(request, session)
    if participant is None or participant.role != AttendanceRole.GUEST:
        return None
    return participant
