"""Room sections of list pages cost the same number of queries for few rows and for many."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guests.models import GuestLink
from sessions_app.models import Recording, SessionState
from tests.factories import AttendanceFactory, GuestEntryFactory, GuestLinkFactory, hosted_session

pytestmark = pytest.mark.django_db

STARTS_AT = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def _count(client: Client, url: str, **params: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def _ended_with_recordings(host, count: int) -> None:
    for _ in range(count):
        session = hosted_session(user=host, starts_at=STARTS_AT, state=SessionState.ENDED)
        for number in range(2):
            Recording.objects.create(
                session=session,
                original_name=f"part-{number}.mp4",
                size_bytes=10,
                file=f"recordings/session-{session.pk}/x{number}.mp4",
            )


@time_machine.travel(STARTS_AT + timedelta(days=1), tick=False)
def test_the_completed_tab_lists_recordings_without_a_query_per_session(
    host, host_client: Client
) -> None:
    url = reverse("sessions_app:my_sessions")
    _ended_with_recordings(host, 1)
    host_client.get(url, {"tab": "completed"})  # warms what is loaded once per process
    few = _count(host_client, url, tab="completed")
    _ended_with_recordings(host, 6)
    page = host_client.get(url, {"tab": "completed"})
    assert page.text.count("part-1.mp4") == 7
    assert _count(host_client, url, tab="completed") == few


def _fill(session, count: int) -> None:
    link = GuestLink.objects.filter(session=session).first() or GuestLinkFactory(session=session)
    for _ in range(count):
        GuestEntryFactory(guest_link=link)
        AttendanceFactory(session=session)
        Recording.objects.create(
            session=session, original_name="r.mp4", size_bytes=1, file="recordings/r.mp4"
        )


@time_machine.travel(STARTS_AT, tick=False)
def test_the_session_pages_room_guest_and_recording_sections_do_not_grow_with_rows(
    host, host_client: Client
) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT, state=SessionState.LIVE)
    urls = [
        reverse(f"sessions_app:{name}", kwargs={"session_id": session.pk})
        for name in ("dashboard", "session_room", "session_people", "session_share")
    ]
    _fill(session, 1)
    few = [_count(host_client, url) for url in urls]
    session.refresh_from_db()
    _fill(session, 12)
    assert [_count(host_client, url) for url in urls] == few
    host_room = reverse("sessions_app:host_room", kwargs={"session_id": session.pk})
    people = reverse("sessions_app:host_people", kwargs={"session_id": session.pk})
    room_few = _count(host_client, people)
    _fill(session, 12)
    assert _count(host_client, people) == room_few
    assert host_client.get(host_room).status_code == 200
