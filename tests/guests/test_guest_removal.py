"""Removing a guest: the shared link they hold stops working, from any browser, while the
guests already admitted keep their place; "Let back in" lets them in again."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps as django_apps
from django.test import Client
from django.urls import reverse

from guests.models import GuestEntry, GuestLink
from guests.selectors import guest_token
from guests.services import guest_link_for, guest_link_regenerate
from sessions_app.models import Attendance, AttendanceStatus
from tests.factories import hosted_session
from tests.sessions_app.room_support import host_room_url, prejoin_url, room_url

pytestmark = pytest.mark.django_db

STARTS_AT = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.fixture
def session(host):
    return hosted_session(user=host, title="Guest lecture", starts_at=STARTS_AT)


def _exchange_path(session) -> str:
    return reverse(
        "guests:exchange", kwargs={"token": guest_token(guest_link_for(session=session))}
    )


def _enter_url(session) -> str:
    return reverse("guests:enter", kwargs={"code": session.code})


def _guest_enters(session, name: str, path: str | None = None) -> Client:
    guest = Client()
    assert guest.get(path or _exchange_path(session)).status_code == 302
    assert guest.post(_enter_url(session), {"name": name}).status_code == 302
    return guest


def _start(host_client: Client, session) -> None:
    host_client.post(reverse("sessions_app:host_start", kwargs={"session_id": session.pk}))


def _remove(host_client: Client, session, name: str):
    attendance = Attendance.objects.get(session=session, name=name)
    url = reverse(
        "sessions_app:host_remove",
        kwargs={"session_id": session.pk, "attendance_id": attendance.pk},
    )
    return host_client.post(url, follow=True), attendance


@time_machine.travel(STARTS_AT, tick=False)
def test_a_removed_guest_cannot_come_back_with_the_link_from_any_browser(
    host_client: Client, session
) -> None:
    _start(host_client, session)
    old_path = _exchange_path(session)
    grace = _guest_enters(session, "Grace", old_path)
    gus = _guest_enters(session, "Gus", old_path)
    ready = Client()  # opened the link, not in yet
    ready.get(old_path)

    page, _ = _remove(host_client, session, "Grace")

    # The host is told what happened, and the host room shows the new link.
    assert "Grace was removed" in page.text
    assert "The guest link they came in with no longer works" in page.text
    assert "Guests already here keep their place" in page.text
    new_path = _exchange_path(session)
    assert new_path != old_path
    assert new_path in page.text and old_path not in page.text
    # Grace's own browser is out, and so is any fresh browser with the link she holds.
    assert grace.get(room_url(session)).status_code == 403
    fresh = Client()
    assert fresh.get(old_path).status_code == 410
    assert fresh.get(_enter_url(session)).status_code == 410
    assert fresh.post(_enter_url(session), {"name": "Grace"}).status_code == 410
    # Someone who had opened the old link but not come in needs the new one.
    assert ready.post(_enter_url(session), {"name": "Rea"}).status_code == 410
    # Gus, admitted through the same link, stays in and can leave and come back.
    assert "<iframe" in gus.get(room_url(session)).text
    gus.post(reverse("sessions_app:room_leave", kwargs={"code": session.code}))
    assert gus.post(prejoin_url(session), {"name": "Gus"}).status_code == 302
    assert gus.post(_enter_url(session), {"name": "Gus"}).status_code == 302
    assert "<iframe" in gus.get(room_url(session)).text
    # The new link admits new guests.
    newcomer = _guest_enters(session, "Nina", new_path)
    assert "<iframe" in newcomer.get(room_url(session)).text
    assert GuestEntry.objects.count() == 3


@time_machine.travel(STARTS_AT, tick=False)
def test_let_back_in_lets_the_removed_guest_in_from_their_browser(
    host_client: Client, session
) -> None:
    _start(host_client, session)
    grace = _guest_enters(session, "Grace")
    _, attendance = _remove(host_client, session, "Grace")
    assert grace.post(_enter_url(session), {"name": "Grace"}).status_code == 403
    readmit = reverse(
        "sessions_app:host_readmit",
        kwargs={"session_id": session.pk, "attendance_id": attendance.pk},
    )
    said = host_client.post(readmit, follow=True).text
    assert "Grace may come back in." in said
    assert "on another device they need the current guest link" in said
    assert grace.post(prejoin_url(session), {"name": "Grace"}).status_code == 302
    assert "<iframe" in grace.get(room_url(session)).text
    attendance.refresh_from_db()
    assert attendance.status == AttendanceStatus.IN_ROOM
    assert GuestEntry.objects.count() == 1


@time_machine.travel(STARTS_AT, tick=False)
def test_removing_a_guest_of_an_older_link_keeps_the_current_one(
    host_client: Client, session
) -> None:
    _start(host_client, session)
    old_path = _exchange_path(session)
    _guest_enters(session, "Grace", old_path)
    _guest_enters(session, "Gus", old_path)
    _remove(host_client, session, "Grace")
    current = _exchange_path(session)
    page, _ = _remove(host_client, session, "Gus")
    assert "had already been replaced; the current one stays as it is" in page.text
    assert _exchange_path(session) == current
    assert GuestLink.objects.get(session=session).token_version == 2


@time_machine.travel(STARTS_AT, tick=False)
def test_removing_an_attendee_leaves_the_guest_link_alone(host_client: Client, session) -> None:
    from tests.factories import RegistrationFactory
    from tests.sessions_app.room_support import attendee_client, enter

    _start(host_client, session)
    path = _exchange_path(session)
    registration = RegistrationFactory(session=session, name="Ada")
    enter(attendee_client(registration), session, name="Ada")
    page, _ = _remove(host_client, session, "Ada")
    assert "Ada was removed" in page.text
    assert "guest link" not in page.text.split("Ada was removed")[1].split("</")[0]
    assert _exchange_path(session) == path


def test_regenerating_still_ends_every_pass_issued_through_the_old_link(
    host_client: Client, session
) -> None:
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        gus = _guest_enters(session, "Gus")
        guest_link_regenerate(guest_link=guest_link_for(session=session), now=STARTS_AT)
        assert gus.get(room_url(session)).status_code == 403
        assert gus.post(_enter_url(session), {"name": "Gus"}).status_code == 410
    assert GuestEntry.objects.get().revoked_at == STARTS_AT


@time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False)
def test_the_host_room_shows_the_current_guest_link(host_client: Client, session) -> None:
    path = _exchange_path(session)
    page = host_client.get(host_room_url(session))
    assert path in page.text
    assert 'aria-labelledby="room-guest-link-heading"' in page.text
    assert "Replaced" not in page.text


def test_the_migration_keeps_guests_of_a_regenerated_link_out(host, session) -> None:
    link = guest_link_for(session=session)
    before = GuestEntry.objects.create(
        guest_link=link, session=session, name="Old", created_at=STARTS_AT
    )
    GuestLink.objects.filter(pk=link.pk).update(
        token_version=2, regenerated_at=STARTS_AT + timedelta(minutes=1)
    )
    after = GuestEntry.objects.create(
        guest_link=link, session=session, name="New", created_at=STARTS_AT + timedelta(minutes=2)
    )
    migration = importlib.import_module("guests.migrations.0003_guest_passes")
    migration.passes_from_link_versions(django_apps, None)
    before.refresh_from_db()
    after.refresh_from_db()
    assert before.revoked_at == STARTS_AT + timedelta(minutes=1)
    assert after.revoked_at is None and after.link_version == 2
