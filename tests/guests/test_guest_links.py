"""Guest links: copy, regenerate (the old link dies at once), guest entry, no host controls."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guests.models import GuestEntry, GuestLink
from guests.selectors import guest_token
from sessions_app.models import Attendance, AttendanceRole, SessionState
from sessions_app.services import session_create
from tests.factories import hosted_program, hosted_session
from tests.sessions_app.room_support import poll_url, room_url

pytestmark = pytest.mark.django_db


STARTS_AT = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.fixture
def session(host):
    """Scheduled as a host does, which issues the guest link."""
    return session_create(
        program=hosted_program(user=host),
        created_by=host,
        title="Guest lecture",
        starts_at=STARTS_AT,
        time_zone="America/New_York",
    )


def _dashboard(host_client: Client, session, page: str = "session_share") -> str:
    """A page of the session's host pages: Share (the guest link) unless named."""
    response = host_client.get(reverse(f"sessions_app:{page}", kwargs={"session_id": session.pk}))
    assert response.status_code == 200
    return response.text


def _guest_path(text: str) -> str:
    match = re.search(r"https://convene\.example(/g/[^/\s<]+/)", text)
    assert match, text
    return match.group(1)


def test_the_share_page_offers_a_ready_message_with_the_link_in_the_sessions_zone(
    host_client: Client, session
) -> None:
    text = _dashboard(host_client, session)
    assert GuestLink.objects.filter(session=session).count() == 1
    assert "For guests: the guest link" in text
    assert 'Copy<span class="visually-hidden"> guest link</span>' in text
    assert 'Copy<span class="visually-hidden"> the ready message for guests</span>' in text
    assert "js/copy.js" in text
    assert "You are invited to join “Guest lecture” as a guest." in text
    assert "Wednesday 25 November 2026, 12:00 to 13:00 New York time" in text
    assert _guest_path(text) == reverse(
        "guests:exchange", kwargs={"token": guest_token(GuestLink.objects.get())}
    )
    # Rendering again keeps the same link.
    assert _guest_path(_dashboard(host_client, session)) == _guest_path(text)


def test_the_guest_link_swaps_its_token_for_a_cookie_and_a_clean_url(
    host_client: Client, session
) -> None:
    path = _guest_path(_dashboard(host_client, session))
    guest = Client()
    response = guest.get(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("guests:enter", kwargs={"code": session.code})
    assert response["Referrer-Policy"] == "no-referrer"
    token = path.split("/")[2]
    assert token not in response["Location"]


def test_regenerating_kills_the_old_link_at_once_and_the_new_one_works(
    host_client: Client, session
) -> None:
    old_path = _guest_path(_dashboard(host_client, session))
    early_guest = Client()
    early_guest.get(old_path)  # the cookie holds the old token
    regenerate = reverse("guests:regenerate", kwargs={"session_id": session.pk})
    confirm = host_client.get(regenerate)
    assert "Regenerate the guest link?" in confirm.text
    assert host_client.post(regenerate).status_code == 302
    new_path = _guest_path(_dashboard(host_client, session))
    assert new_path != old_path

    dead = Client().get(old_path)
    assert dead.status_code == 410
    assert "This link is no longer valid" in dead.text
    stale_cookie = early_guest.get(reverse("guests:enter", kwargs={"code": session.code}))
    assert stale_cookie.status_code == 410
    assert "This link is no longer valid" in stale_cookie.text

    fresh = Client()
    assert fresh.get(new_path).status_code == 302
    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        page = fresh.get(reverse("guests:enter", kwargs={"code": session.code}))
    assert page.status_code == 200
    assert "Your name as others see it" in page.text


def test_a_guest_enters_with_a_name_waits_and_is_placed_in(host_client: Client, session) -> None:
    path = _guest_path(_dashboard(host_client, session))
    guest = Client()
    guest.get(path)
    enter_url = reverse("guests:enter", kwargs={"code": session.code})
    with time_machine.travel(STARTS_AT - timedelta(minutes=30), tick=False):
        early = guest.post(enter_url, {"name": "Grace Guest"})
        assert "The room opens at" in early.text
        assert not GuestEntry.objects.exists()
    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        response = guest.post(enter_url, {"name": "Grace Guest"})
        assert response.status_code == 302
        waiting = guest.get(room_url(session))
        assert "Waiting for host" in waiting.text
        url = poll_url(waiting.text)
        host_client.post(reverse("sessions_app:host_start", kwargs={"session_id": session.pk}))
        assert guest.post(url)["HX-Redirect"] == room_url(session)
        room = guest.get(room_url(session))
        assert "<iframe" in room.text
        assert "End meeting for all" not in room.text
        assert "Remove" not in room.text
    attendance = Attendance.objects.get(role=AttendanceRole.GUEST)
    assert attendance.name == "Grace Guest"
    assert attendance.participant_key == f"guest:{GuestEntry.objects.get().pk}"
    # Hosts see who came as a guest, with the other people of the session.
    assert "Grace Guest" in _dashboard(host_client, session, "session_people")


def test_the_regenerate_page_warns_that_guests_inside_are_moved_out(
    host_client: Client, session
) -> None:
    guest = Client()
    guest.get(_guest_path(_dashboard(host_client, session)))
    regenerate = reverse("guests:regenerate", kwargs={"session_id": session.pk})
    with time_machine.travel(STARTS_AT, tick=False):
        host_client.post(reverse("sessions_app:host_start", kwargs={"session_id": session.pk}))
        guest.post(reverse("guests:enter", kwargs={"code": session.code}), {"name": "Grace"})
        confirm = host_client.get(regenerate)
        host_client.post(regenerate)
        room = guest.get(room_url(session))

    # What the page promises is what happens to the guest in the room.
    assert "moved out of the waiting room and the room at once" in confirm.text
    assert "stay in" not in confirm.text
    assert room.status_code == 403
    assert "The link you came in with no longer works" in room.text


def test_a_removed_guest_cannot_come_back_with_the_same_entry(host_client: Client, session) -> None:
    path = _guest_path(_dashboard(host_client, session))
    guest = Client()
    guest.get(path)
    enter_url = reverse("guests:enter", kwargs={"code": session.code})
    with time_machine.travel(STARTS_AT, tick=False):
        host_client.post(reverse("sessions_app:host_start", kwargs={"session_id": session.pk}))
        guest.post(enter_url, {"name": "Grace Guest"})
        attendance = Attendance.objects.get(role=AttendanceRole.GUEST)
        host_client.post(
            reverse(
                "sessions_app:host_remove",
                kwargs={"session_id": session.pk, "attendance_id": attendance.pk},
            )
        )
        again = guest.post(enter_url, {"name": "Grace Again"})
    assert again.status_code == 403
    assert "A host removed you" in again.text
    assert GuestEntry.objects.count() == 1


def test_a_cancelled_session_has_no_guest_link_panel(host_client: Client, session) -> None:
    session.state = SessionState.CANCELLED
    session.save()
    assert "Cancelled sessions have no guest link." in _dashboard(host_client, session)


def _inserts(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if "INSERT" in query["sql"].upper()]


def test_the_share_page_shows_the_link_issued_with_the_session_and_writes_nothing(
    host_client: Client, session
) -> None:
    assert GuestLink.objects.filter(session=session).count() == 1
    url = reverse("sessions_app:session_share", kwargs={"session_id": session.pk})
    with CaptureQueriesContext(connection) as queries:
        page = host_client.get(url)
    assert page.status_code == 200
    assert _inserts(queries) == []
    assert _guest_path(page.text) == reverse(
        "guests:exchange", kwargs={"token": guest_token(GuestLink.objects.get())}
    )


def test_a_session_made_without_a_link_gets_one_when_the_host_asks_by_post(
    host, host_client: Client
) -> None:
    made_in_admin = hosted_session(user=host, starts_at=STARTS_AT)
    url = reverse("sessions_app:session_share", kwargs={"session_id": made_in_admin.pk})
    regenerate = reverse("guests:regenerate", kwargs={"session_id": made_in_admin.pk})
    with CaptureQueriesContext(connection) as queries:
        page = host_client.get(url)
        confirm = host_client.get(regenerate)
    assert _inserts(queries) == []
    assert "Create the guest link" in page.text
    assert "/g/" not in page.text
    assert confirm.status_code == 200
    assert not GuestLink.objects.exists()

    created = host_client.post(regenerate, follow=True)
    assert "Guest link created." in created.text
    link = GuestLink.objects.get(session=made_in_admin)
    assert link.token_version == 1
    assert _guest_path(created.text) == reverse(
        "guests:exchange", kwargs={"token": guest_token(link)}
    )


def test_the_migration_issues_a_link_to_every_session_that_had_none(host) -> None:
    with_link = hosted_session(user=host, starts_at=STARTS_AT)
    GuestLink.objects.create(session=with_link, token_version=3)
    without = [hosted_session(user=host, starts_at=STARTS_AT) for _ in range(3)]
    migration = importlib.import_module("guests.migrations.0002_issue_guest_links")
    migration.issue_missing_guest_links(django_apps, None)
    assert GuestLink.objects.get(session=with_link).token_version == 3
    assert GuestLink.objects.filter(session__in=without).count() == 3
