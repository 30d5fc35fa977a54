"""The admin writes sessions through the services: the same e-mails, invites and reminders as
the host pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from guests.selectors import guest_link_of
from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from sessions_app import services
from sessions_app.models import Registration, Session, SessionState
from sessions_app.reminders import HOST_KINDS, REGISTRANT_KINDS
from sessions_app.services import CANCELLATION, UPDATE
from tests.factories import UserFactory, hosted_session
from tests.sessions_app.invites import invite_of
from tests.support.replans import replans_run

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STARTS_AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin_user():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _form(session_or_program, **overrides: object) -> dict[str, object]:
    """What the admin's session page posts (UTC is the admin's zone here)."""
    session = session_or_program if isinstance(session_or_program, Session) else None
    program = session.program if session else session_or_program
    starts_at = overrides.pop("starts_at", session.starts_at if session else STARTS_AT)
    data: dict[str, object] = {
        "program": program.pk,
        "title": session.title if session else "Admin-made circle",
        "description": "",
        "module": "",
        "starts_at_0": starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": starts_at.strftime("%H:%M:%S"),
        "time_zone": session.time_zone if session else "Europe/Berlin",
        "duration_minutes": session.duration_minutes if session else 60,
        "theme": session.theme if session else "meeting",
        "is_registration_required": "on",
        "capacity": "",
        "remind_day_before": "on",
        "remind_hour_before": "on",
        "remind_half_hour_before": "on",
        "co_hosts": [],
        "questions-TOTAL_FORMS": 0,
        "questions-INITIAL_FORMS": 0,
        "questions-MIN_NUM_FORMS": 0,
        "questions-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _registered_session(count: int = 2) -> Session:
    session = hosted_session(starts_at=STARTS_AT, time_zone="Europe/Berlin")
    for index in range(count):
        services.registration_create(
            session=session, email=f"person{index}@example.org", name=f"Person {index}", now=NOW
        )
    outbox_dispatch()
    mail.outbox = []
    return session


def _pending(session: Session, kind: str) -> list[datetime]:
    return sorted(
        Message.objects.filter(
            topic=f"session:{session.pk}", kind=kind, status=MessageStatus.PENDING
        ).values_list("due_at", flat=True)
    )


def test_moving_a_session_in_the_admin_sends_the_updated_invite_and_moves_reminders(
    staff: Client,
) -> None:
    session = _registered_session()
    hour_kind = REGISTRANT_KINDS["hour"]
    assert _pending(session, hour_kind) == [STARTS_AT - timedelta(hours=1)] * 2
    moved = STARTS_AT + timedelta(days=1, hours=2)
    url = reverse("admin:sessions_app_session_change", args=[session.pk])
    assert staff.get(url).status_code == 200

    response = staff.post(url, _form(session, starts_at=moved))

    assert response.status_code == 302, response.content[:2000]
    assert replans_run()  # the registrants are told in the background, as from the host page
    session.refresh_from_db()
    assert session.starts_at == moved
    assert session.sequence == 1
    assert _pending(session, hour_kind) == [moved - timedelta(hours=1)] * 2
    assert _pending(session, HOST_KINDS["hour"]) == [moved - timedelta(hours=1)]
    assert outbox_dispatch().sent == 2
    assert sorted(sent.to[0] for sent in mail.outbox) == [
        "Person 0 <person0@example.org>",
        "Person 1 <person1@example.org>",
    ]
    for sent in mail.outbox:
        assert "New time" in sent.subject
        invite = invite_of(sent)
        assert invite.method == "REQUEST"
        assert int(invite.event["SEQUENCE"]) == 1
        assert invite.event.decoded("DTSTART") == moved


def test_switching_a_reminder_off_in_the_admin_cancels_it_without_an_invite(
    staff: Client,
) -> None:
    session = _registered_session(count=1)
    url = reverse("admin:sessions_app_session_change", args=[session.pk])
    response = staff.post(url, _form(session, remind_half_hour_before=None))
    assert response.status_code == 302
    replans_run()
    session.refresh_from_db()
    assert session.sequence == 0 and not session.remind_half_hour_before
    assert _pending(session, REGISTRANT_KINDS["30min"]) == []
    assert _pending(session, REGISTRANT_KINDS["hour"]) == [STARTS_AT - timedelta(hours=1)]
    assert _pending(session, UPDATE) == []


def test_a_session_created_in_the_admin_has_a_guest_link_and_reminders(
    staff: Client, admin_user
) -> None:
    program = hosted_session().program
    co_host = UserFactory()
    url = reverse("admin:sessions_app_session_add")
    response = staff.post(url, _form(program, co_hosts=[co_host.pk]))

    assert response.status_code == 302, response.content[:2000]
    session = Session.objects.get(title="Admin-made circle")
    assert len(session.code) == 8
    assert session.created_by == admin_user
    assert list(session.co_hosts.all()) == [co_host]
    assert guest_link_of(session) is not None
    # Program host and co-host each get the day and hour reminders.
    assert len(_pending(session, HOST_KINDS["day"])) == 2
    assert len(_pending(session, HOST_KINDS["hour"])) == 2
    # The Share page shows the guest link, not "Create the guest link".
    host = session.program.host_roles.get().user
    dashboard = Client()
    dashboard.force_login(host)
    page = dashboard.get(reverse("sessions_app:session_share", kwargs={"session_id": session.pk}))
    assert "Create the guest link" not in page.text
    assert "Ready message with the link" in page.text


def test_adding_a_co_host_in_the_admin_plans_their_reminders(staff: Client) -> None:
    session = _registered_session(count=1)
    co_host = UserFactory(email="cohost@example.org")
    url = reverse("admin:sessions_app_session_change", args=[session.pk])
    response = staff.post(url, _form(session, co_hosts=[co_host.pk]))
    assert response.status_code == 302
    recipients = Message.objects.filter(
        topic=f"session:{session.pk}", kind=HOST_KINDS["day"], status=MessageStatus.PENDING
    ).values_list("recipient_email", flat=True)
    assert "cohost@example.org" in recipients


def test_cancelling_in_the_admin_tells_every_registrant(staff: Client) -> None:
    session = _registered_session()
    changelist = reverse("admin:sessions_app_session_changelist")
    response = staff.post(
        changelist, {"action": "cancel_sessions", "_selected_action": [session.pk]}
    )
    assert response.status_code == 302
    assert replans_run()
    session.refresh_from_db()
    assert session.state == SessionState.CANCELLED
    assert session.sequence == 1
    assert _pending(session, REGISTRANT_KINDS["hour"]) == []
    assert outbox_dispatch().sent == 2
    assert {invite_of(sent).method for sent in mail.outbox} == {"CANCEL"}
    assert Message.objects.filter(kind=CANCELLATION).count() == 2
    # A cancelled session's page in the admin offers nothing to change.
    page = staff.get(reverse("admin:sessions_app_session_change", args=[session.pk]))
    assert 'name="starts_at_0"' not in page.text


def test_a_refused_change_in_the_admin_says_why_and_saves_nothing(staff: Client) -> None:
    session = _registered_session()
    url = reverse("admin:sessions_app_session_change", args=[session.pk])
    response = staff.post(url, _form(session, capacity=1, title="Renamed"), follow=True)
    assert response.status_code == 200
    assert "More people are registered than that capacity allows." in response.text
    session.refresh_from_db()
    assert session.title != "Renamed" and session.capacity is None


def test_the_state_and_the_sequence_cannot_be_typed_in_the_admin(staff: Client) -> None:
    session = _registered_session(count=1)
    url = reverse("admin:sessions_app_session_change", args=[session.pk])
    staff.post(url, _form(session, state="cancelled", sequence=7))
    session.refresh_from_db()
    assert session.state == SessionState.SCHEDULED and session.sequence == 0


def test_removing_a_registration_in_the_admin_cancels_its_reminders(staff: Client) -> None:
    session = _registered_session(count=2)
    registration = Registration.objects.get(email="person0@example.org")
    url = reverse("admin:sessions_app_registration_delete", args=[registration.pk])
    assert staff.post(url, {"post": "yes"}).status_code == 302
    assert not Registration.objects.filter(pk=registration.pk).exists()
    pending = Message.objects.filter(
        topic=f"session:{session.pk}", status=MessageStatus.PENDING
    ).values_list("recipient_email", flat=True)
    assert "person0@example.org" not in pending
    assert staff.get(reverse("admin:sessions_app_registration_add")).status_code == 403
