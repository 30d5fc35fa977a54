"""A replaced personal link or a removed registration ends the way into the room at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse

from sessions_app.models import Attendance, AttendanceStatus
from tests.factories import RegistrationFactory, hosted_session
from tests.sessions_app.room_support import (
    attendee_client,
    enter,
    poll_url,
    prejoin_url,
    room_url,
)

pytestmark = pytest.mark.django_db

STARTS_AT = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
EARLY = STARTS_AT - timedelta(minutes=5)


@pytest.fixture
def session(host):
    return hosted_session(user=host, title="Evening circle", starts_at=STARTS_AT)


@pytest.fixture
def registration(session):
    return RegistrationFactory(session=session, name="Ada Lovelace", email="ada@example.org")


def _by_session(name: str, session, **kwargs: object) -> str:
    return reverse(f"sessions_app:{name}", kwargs={"session_id": session.pk, **kwargs})


def _start(host_client: Client, session) -> None:
    assert host_client.post(_by_session("host_start", session)).status_code == 302


def _my_page(session) -> str:
    return reverse("sessions_app:my_registration", kwargs={"code": session.code})


def test_a_replaced_personal_link_no_longer_opens_the_room_but_the_new_one_does(
    host_client: Client, session, registration
) -> None:
    with time_machine.travel(EARLY, tick=False):
        old = enter(attendee_client(registration), session)
        waiting = old.get(room_url(session))
        assert "Waiting for host" in waiting.text
        poll = poll_url(waiting.text)
        assert old.post(poll).status_code == 204

        new_link = host_client.post(
            _by_session("registration_resend", session, registration_id=registration.pk),
            {"revoke": "1"},
        )
        assert new_link.status_code == 302
        assert old.get(_my_page(session)).status_code == 403
        # The waiting page's next poll moves the old browser on, and the room refuses it.
        assert old.post(poll)["HX-Redirect"] == room_url(session)
        refused = old.get(room_url(session))
        assert refused.status_code == 403
        assert "The link you came in with no longer works" in refused.text
        assert old.post(prejoin_url(session), {"name": "Ada"}).status_code == 403

        registration.refresh_from_db()
        fresh = enter(attendee_client(registration), session)
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        refused_live = old.get(room_url(session))
        assert refused_live.status_code == 403
        assert "<iframe" not in refused_live.text
        assert "<iframe" in fresh.get(room_url(session)).text


def test_a_removed_registration_no_longer_opens_the_room(
    host_client: Client, session, registration
) -> None:
    with time_machine.travel(EARLY, tick=False):
        client = enter(attendee_client(registration), session)
        poll = poll_url(client.get(room_url(session)).text)
        removed = host_client.post(
            _by_session("registration_remove", session, registration_id=registration.pk)
        )
        assert removed.status_code == 302
        assert client.post(poll)["HX-Redirect"] == room_url(session)
        assert client.get(room_url(session)).status_code == 403
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        page = client.get(room_url(session))
        again = client.post(prejoin_url(session), {"name": "Ada"})
    assert page.status_code == 403
    assert "<iframe" not in page.text
    assert again.status_code == 403
    attendance = Attendance.objects.get(participant_key=f"registration:{registration.pk}")
    assert attendance.status == AttendanceStatus.REMOVED


def test_the_room_refuses_a_browser_whose_join_cookie_is_gone(
    host_client: Client, session, registration
) -> None:
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        client = enter(attendee_client(registration), session)
        assert "<iframe" in client.get(room_url(session)).text
        client.cookies.pop(f"convene_join_{session.pk}")
        page = client.get(room_url(session))
    assert page.status_code == 403
    assert "<iframe" not in page.text


@override_settings(SESSION_LOOKUP_MISSES=3, SESSION_LOOKUP_WINDOW_SECONDS=600)
def test_guessing_session_ids_on_room_urls_counts_and_is_refused_everywhere(
    client: Client, session
) -> None:
    guesses = ["QQQQ1111", "QQQQ1112", "QQQQ1113"]
    assert client.get(prejoin_url_for(guesses[0])).status_code == 404
    assert client.get(reverse("sessions_app:room", kwargs={"code": guesses[1]})).status_code == 404
    leave = reverse("sessions_app:room_leave", kwargs={"code": guesses[2]})
    assert client.post(leave).status_code == 404
    blocked = client.get(prejoin_url_for("QQQQ1114"))
    assert blocked.status_code == 429
    assert "Too many tries" in blocked.text
    # While blocked, real IDs answer 429 on every URL that names a session.
    code = {"code": session.code}
    for method, url in (
        ("get", prejoin_url(session)),
        ("get", room_url(session)),
        ("post", reverse("sessions_app:room_leave", kwargs=code)),
        ("get", reverse("guests:enter", kwargs=code)),
        ("get", reverse("sessions_app:public", kwargs=code)),
    ):
        assert getattr(client, method)(url).status_code == 429, url
    assert Client(REMOTE_ADDR="203.0.113.9").get(prejoin_url(session)).status_code != 429


def prejoin_url_for(code: str) -> str:
    return reverse("sessions_app:room_prejoin", kwargs={"code": code})


@override_settings(SESSION_LOOKUP_MISSES=2, SESSION_LOOKUP_WINDOW_SECONDS=600)
def test_guessing_on_the_guest_entry_counts_too(client: Client, session) -> None:
    for guess in ("QQQQ2221", "QQQQ2222"):
        assert client.get(reverse("guests:enter", kwargs={"code": guess})).status_code == 404
    assert client.get(reverse("guests:enter", kwargs={"code": "QQQQ2223"})).status_code == 429
    assert client.get(
        reverse("sessions_app:public", kwargs={"code": session.code})
    ).status_code == (429)
