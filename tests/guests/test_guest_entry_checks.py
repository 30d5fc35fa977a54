"""Guest entry: a replaced guest link ends the guest's way in; refused names write nothing."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

import guests
from guests.models import GuestEntry
from guests.selectors import guest_token
from guests.services import guest_link_for
from sessions_app.models import Attendance, AttendanceStatus
from tests.factories import hosted_session
from tests.sessions_app.room_support import poll_url, prejoin_url, room_url

pytestmark = pytest.mark.django_db

STARTS_AT = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
EARLY = STARTS_AT - timedelta(minutes=5)


@pytest.fixture
def session(host):
    return hosted_session(user=host, title="Guest lecture", starts_at=STARTS_AT)


def _guest(session) -> Client:
    guest = Client()
    link = guest_link_for(session=session)
    exchange = reverse("guests:exchange", kwargs={"token": guest_token(link)})
    assert guest.get(exchange).status_code == 302
    return guest


def _enter_url(session) -> str:
    return reverse("guests:enter", kwargs={"code": session.code})


def test_a_guest_of_a_replaced_link_cannot_come_back_into_the_room(
    host_client: Client, session
) -> None:
    with time_machine.travel(EARLY, tick=False):
        guest = _guest(session)
        assert guest.post(_enter_url(session), {"name": "Grace"}).status_code == 302
        poll = poll_url(guest.get(room_url(session)).text)
        regenerate = reverse("guests:regenerate", kwargs={"session_id": session.pk})
        assert host_client.post(regenerate).status_code == 302
        assert guest.get(_enter_url(session)).status_code == 410
        # The guest's page is moved on at its next poll and the room refuses it.
        assert guest.post(poll)["HX-Redirect"] == room_url(session)
        refused = guest.get(room_url(session))
        assert refused.status_code == 403
        assert "The link you came in with no longer works" in refused.text
        guest.post(reverse("sessions_app:room_leave", kwargs={"code": session.code}))
        assert guest.get(prejoin_url(session)).status_code == 403
        assert guest.post(prejoin_url(session), {"name": "Grace"}).status_code == 403
    with time_machine.travel(STARTS_AT, tick=False):
        host_client.post(reverse("sessions_app:host_start", kwargs={"session_id": session.pk}))
        page = guest.get(room_url(session))
        assert page.status_code == 403
        assert "<iframe" not in page.text
        # With the new link the same person comes in again, as a new guest.
        fresh = _guest(session)
        assert fresh.post(_enter_url(session), {"name": "Grace"}).status_code == 302
        assert "<iframe" in fresh.get(room_url(session)).text
    assert GuestEntry.objects.count() == 2
    statuses = sorted(Attendance.objects.filter(role="guest").values_list("status", flat=True))
    assert statuses == [AttendanceStatus.IN_ROOM, AttendanceStatus.LEFT]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Eve\x00", "Null characters are not allowed."),
        ("E" * 201, "Ensure this value has at most 200 characters"),
        ("   ", "Type the name others should see."),
    ],
)
@time_machine.travel(EARLY, tick=False)
def test_a_refused_guest_name_says_why_and_writes_nothing(session, name, message) -> None:
    guest = _guest(session)
    response = guest.post(_enter_url(session), {"name": name})
    assert response.status_code == 400
    assert message in response.text
    assert not GuestEntry.objects.exists()
    assert not Attendance.objects.exists()
    # The same browser may then come in with a good name.
    assert guest.post(_enter_url(session), {"name": "Eve"}).status_code == 302
    assert GuestEntry.objects.get().name == "Eve"


def test_the_guests_app_calls_no_view_of_another_app() -> None:
    for path in Path(guests.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sessions_app"):
                imported = [node.module or "", *(alias.name for alias in node.names)]
                assert not any("views" in name for name in imported), f"{path}: {imported}"
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
                assert not any(n.startswith("sessions_app") and "views" in n for n in names)
