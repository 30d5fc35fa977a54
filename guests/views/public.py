"""Guest entry by the session's guest link."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from guests import selectors, services
from reminders import personal_links
from sessions_app import room_access, rooms
from sessions_app.guard import session_guarded
from sessions_app.models import AttendanceRole, Session


def _invalid(request: HttpRequest) -> HttpResponse:
    return personal_links.without_referrer(render(request, "guests/link_invalid.html", status=410))


def exchange(request: HttpRequest, token: str) -> HttpResponse:
    """The guest link: swap the token for a cookie, then go to a URL without it."""
    guest_link = selectors.guest_link_for_token(token)
    if guest_link is None:
        return _invalid(request)
    session = guest_link.session
    entry = reverse("guests:enter", kwargs={"code": session.code})
    return personal_links.exchange(
        request,
        kind=selectors.GUEST_LINK,
        scope=session.pk,
        obj=guest_link,
        to=entry,
        # Only the guest entry reads it (in the room, a guest's pass is their GuestEntry).
        path=entry,
    )


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
    guest_link = selectors.guest_link_held(request, session)
    if known is None and guest_link is None:
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
