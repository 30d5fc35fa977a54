"""Helpers for the live-room tests: clients that are an attendee, a guest, a host."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from sessions_app.models import Registration, Session
from sessions_app.tokens import join_token


def attendee_client(registration: Registration) -> Client:
    """A browser that opened the registrant's personal link (token swapped for a cookie)."""
    client = Client()
    response = client.get(reverse("sessions_app:join", kwargs={"token": join_token(registration)}))
    assert response.status_code == 302
    return client


def prejoin_url(session: Session) -> str:
    return reverse("sessions_app:room_prejoin", kwargs={"code": session.code})


def room_url(session: Session) -> str:
    return reverse("sessions_app:room", kwargs={"code": session.code})


def _htmx_url(page_text: str, *, attribute: str, starts_with: str) -> str:
    marker = f'{attribute}="{starts_with}'
    start = page_text.index(marker) + len(attribute) + 2
    return page_text[start : page_text.index('"', start)]


def poll_url(page_text: str) -> str:
    """The heartbeat (a POST) a waiting or room page sends; it answers the page's state."""
    return _htmx_url(page_text, attribute="hx-post", starts_with="/room/state/")


def enter(client: Client, session: Session, *, name: str = "Ada", **extra: str) -> Client:
    response = client.post(prejoin_url(session), {"name": name, **extra})
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == room_url(session)
    return client


def host_room_url(session: Session) -> str:
    return reverse("sessions_app:host_room", kwargs={"session_id": session.pk})


def heartbeat_url(page_text: str) -> str:
    """The host room's heartbeat, the POST that records the host as present."""
    return _htmx_url(page_text, attribute="hx-post", starts_with="/sessions/")


def open_host_room(client: Client, session: Session) -> str:
    """The host opens the room and its first heartbeat arrives; answers the page's text."""
    page = client.get(host_room_url(session))
    assert page.status_code == 200, page.content[:500]
    assert client.post(heartbeat_url(page.text)).status_code == 204
    return page.text
