"""Attendee presence is recorded by the page's POST heartbeat, never by a GET.

E-mail link scanners and prefetchers follow personal and guest links with GETs; none of those
may make someone show up to the host as waiting or in the room.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guests.selectors import guest_token
from guests.services import guest_link_for
from sessions_app.models import Attendance, AttendanceStatus, SessionState
from sessions_app.tokens import join_token
from tests.factories import RegistrationFactory, hosted_session
from tests.sessions_app.room_support import attendee_client, enter, poll_url, prejoin_url, room_url

pytestmark = pytest.mark.django_db

STARTS_AT = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.fixture
def session(host):
    session = hosted_session(user=host, title="Evening circle", starts_at=STARTS_AT)
    guest_link_for(session=session)  # as session_create does
    return session


def _guest_client(session) -> Client:
    guest = Client()
    exchange = reverse(
        "guests:exchange", kwargs={"token": guest_token(guest_link_for(session=session))}
    )
    assert guest.get(exchange).status_code == 302
    return guest


def _entered(who: str, session) -> Client:
    """A browser past pre-join: a registrant with their join cookie, or a guest."""
    if who == "guest":
        guest = _guest_client(session)
        entered = guest.post(
            reverse("guests:enter", kwargs={"code": session.code}), {"name": "Ada"}
        )
        assert entered.status_code == 302
        return guest
    return enter(attendee_client(RegistrationFactory(session=session, name="Ada")), session)


def _go_live(session) -> None:
    session.state = SessionState.LIVE
    session.started_at = STARTS_AT
    session.save()


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def _people(host_client: Client, session) -> str:
    url = reverse("sessions_app:host_people", kwargs={"session_id": session.pk})
    return " ".join(host_client.get(url).text.split())


@pytest.mark.parametrize("who", ["registrant", "guest"])
@pytest.mark.parametrize(("live", "shows"), [(False, "Waiting for host"), (True, "<iframe")])
def test_opening_the_waiting_room_or_the_room_writes_nothing(
    who: str, live: bool, shows: str, session
) -> None:
    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        client = _entered(who, session)
    if live:
        _go_live(session)
    # Minutes later (the last "seen" is old) the page is opened again, or prefetched.
    with time_machine.travel(STARTS_AT + timedelta(minutes=5), tick=False):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(room_url(session))
        assert page.status_code == 200
        assert shows in page.text
        assert _writes(queries) == []
        # The poll URL on the page is the heartbeat: a GET of it is refused and writes nothing.
        with CaptureQueriesContext(connection) as polled:
            assert client.get(poll_url(page.text)).status_code == 405
        assert _writes(polled) == []
    attendance = Attendance.objects.get(role__in=["attendee", "guest"])
    assert attendance.status == AttendanceStatus.WAITING
    assert attendance.last_seen_at == STARTS_AT - timedelta(minutes=5)


@pytest.mark.parametrize("link", ["personal", "guest"])
def test_a_link_scanner_never_shows_up_to_the_host(link: str, session, host_client) -> None:
    _go_live(session)
    registration = RegistrationFactory(session=session, name="Sam Scanned")
    if link == "personal":
        token_url = reverse("sessions_app:join", kwargs={"token": join_token(registration)})
    else:
        token_url = reverse(
            "guests:exchange", kwargs={"token": guest_token(guest_link_for(session=session))}
        )
    scanner = Client()
    with time_machine.travel(STARTS_AT + timedelta(minutes=1), tick=False):
        landed = scanner.get(token_url, follow=True)
        assert landed.status_code == 200
        # …and every room link it can find, GET only, as a crawler would.
        for url in (prejoin_url(session), reverse("guests:enter", kwargs={"code": session.code})):
            scanner.get(url, follow=True)
        scanner.get(room_url(session), follow=True)
        people = _people(host_client, session)
    assert "Sam Scanned" not in people
    assert "Waiting (0)" in people and "In the room (0)" in people
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("who", ["registrant", "guest"])
def test_an_attendees_first_heartbeat_makes_them_appear_to_the_host(
    who: str, session, host_client
) -> None:
    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        client = _entered(who, session)
    _go_live(session)
    # They closed the page long ago; opening it again shows them only once it beats.
    with time_machine.travel(STARTS_AT + timedelta(minutes=5), tick=False):
        page = client.get(room_url(session))
        assert "Ada" not in _people(host_client, session)
        beat = client.post(poll_url(page.text))
        assert beat.status_code == 204
        people = _people(host_client, session)
    assert "In the room (1)" in people
    assert "Ada" in people
    attendance = Attendance.objects.get(role__in=["attendee", "guest"])
    assert attendance.status == AttendanceStatus.IN_ROOM
    assert attendance.joined_at == STARTS_AT + timedelta(minutes=5)
    assert attendance.last_seen_at == STARTS_AT + timedelta(minutes=5)


def test_the_heartbeat_needs_the_pages_csrf_token(session) -> None:
    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        client = _entered("registrant", session)
        url = poll_url(client.get(room_url(session)).text)
        forged = Client(enforce_csrf_checks=True)
        assert forged.post(url).status_code == 403
