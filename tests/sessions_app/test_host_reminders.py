"""Host reminders follow the program's hosts: added hosts get them at once, removed ones lose them."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs import services as program_services
from programs.models import HostRole, Program, ProgramHost
from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from sessions_app.models import Session
from sessions_app.services import session_create
from tests.factories import UserFactory, hosted_program
from tests.support.dispatching import dispatch_counting

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
STARTS_AT = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
NOW = STARTS_AT - timedelta(days=5)
DAY_BEFORE = STARTS_AT - timedelta(days=1)
HOUR_BEFORE = STARTS_AT - timedelta(hours=1)


@pytest.fixture(autouse=True)
def _five_days_before():
    with time_machine.travel(NOW, tick=False):
        yield


def _session(program: Program, owner, *, starts_at: datetime = STARTS_AT) -> Session:
    return session_create(
        program=program,
        created_by=owner,
        title="Morning focus",
        starts_at=starts_at,
        time_zone="Europe/Berlin",
        now=NOW,
    )


def _host_reminders_to(email: str, *, status: str = MessageStatus.PENDING) -> list[Message]:
    return list(
        Message.objects.filter(
            kind__startswith="host_reminder", recipient_email=email, status=status
        ).order_by("due_at")
    )


def _host_reminders_sent(*, at: datetime) -> list[tuple[str, str]]:
    """Dispatch at `at`; (address, subject) of the host reminders that went out then."""
    before = len(mail.outbox)
    with time_machine.travel(at, tick=False):
        outbox_dispatch()
    return sorted(
        (parseaddr(sent.to[0])[1], sent.subject)
        for sent in mail.outbox[before:]
        if sent.subject.startswith("You host")
    )


def _invite_and_accept(host_client: Client, program: Program, email: str) -> None:
    """Invite an address with no account; its owner then signs up and accepts in one click."""
    host_client.post(
        reverse("programs:host_invite", kwargs={"program_id": program.pk}),
        {"email": email, "role": HostRole.HOST},
    )
    outbox_dispatch()
    link = re.search(r"https://convene\.example(/\S+)", mail.outbox[-1].body).group(1)
    invited = UserFactory(email=email)
    client = Client()
    client.force_login(invited)
    page_url = client.get(link)["Location"]
    accepted = client.post(page_url, follow=True)
    assert "You now host" in accepted.text


def test_a_host_who_accepts_an_invitation_gets_the_reminders_of_upcoming_sessions(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host)
    session = _session(program, host)
    assert _host_reminders_to("later@example.org") == []

    _invite_and_accept(host_client, program, "later@example.org")

    planned = _host_reminders_to("later@example.org")
    assert [(m.kind, m.due_at, m.object_id) for m in planned] == [
        ("host_reminder_day", DAY_BEFORE, session.pk),
        ("host_reminder_hour", HOUR_BEFORE, session.pk),
    ]
    assert _host_reminders_sent(at=DAY_BEFORE) == [
        (host.email, "You host Morning focus tomorrow"),
        ("later@example.org", "You host Morning focus tomorrow"),
    ]
    assert _host_reminders_sent(at=HOUR_BEFORE) == [
        (host.email, "You host Morning focus in an hour"),
        ("later@example.org", "You host Morning focus in an hour"),
    ]


def test_an_existing_account_added_as_host_gets_the_reminders_at_once(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host)
    _session(program, host)
    UserFactory(email="colleague@example.org")

    host_client.post(
        reverse("programs:host_invite", kwargs={"program_id": program.pk}),
        {"email": "colleague@example.org", "role": HostRole.HOST},
    )

    assert len(_host_reminders_to("colleague@example.org")) == 2
    assert ("colleague@example.org", "You host Morning focus tomorrow") in _host_reminders_sent(
        at=DAY_BEFORE
    )


def test_past_cancelled_and_other_programs_sessions_get_no_reminders_for_a_new_host(
    host,
) -> None:
    program = hosted_program(user=host)
    _session(program, host)
    cancelled = _session(program, host, starts_at=STARTS_AT + timedelta(days=1))
    Session.objects.filter(pk=cancelled.pk).update(state="cancelled")
    other_owner = UserFactory()
    _session(hosted_program(user=other_owner), other_owner)
    colleague = UserFactory(email="colleague@example.org")

    program_services.host_invite(
        program=program, email=colleague.email, role=HostRole.HOST, invited_by=host, now=NOW
    )

    assert {m.object_id for m in _host_reminders_to("colleague@example.org")} == {
        Session.objects.get(program=program, state="scheduled").pk
    }


def test_removing_a_host_cancels_their_reminders_and_keeps_the_others(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host)
    leaving = UserFactory(email="leaving@example.org")
    role = ProgramHost.objects.create(program=program, user=leaving, role=HostRole.HOST)
    _session(program, host)
    _session(program, host, starts_at=STARTS_AT + timedelta(days=7))
    assert len(_host_reminders_to("leaving@example.org")) == 4

    response = host_client.post(
        reverse("programs:host_remove", kwargs={"program_id": program.pk, "host_role_id": role.pk}),
        follow=True,
    )

    assert "no longer hosts this program" in response.text
    assert _host_reminders_to("leaving@example.org") == []
    assert len(_host_reminders_to("leaving@example.org", status=MessageStatus.CANCELLED)) == 4
    assert len(_host_reminders_to(host.email)) == 4
    assert _host_reminders_sent(at=DAY_BEFORE) == [(host.email, "You host Morning focus tomorrow")]


def test_a_removed_program_host_who_co_hosts_a_session_keeps_its_reminders(host) -> None:
    program = hosted_program(user=host)
    co_hosted = _session(program, host)
    _session(program, host, starts_at=STARTS_AT + timedelta(days=7))
    leaving = UserFactory(email="leaving@example.org")
    role = ProgramHost.objects.create(program=program, user=leaving, role=HostRole.HOST)
    co_hosted.co_hosts.add(leaving)

    program_services.host_remove(program=program, host_role=role, now=NOW)

    assert {m.object_id for m in _host_reminders_to("leaving@example.org")} == {co_hosted.pk}


def _queries_to_add_a_host(*, sessions: int) -> int:
    owner = UserFactory()
    program = hosted_program(user=owner)
    for day in range(sessions):
        _session(program, owner, starts_at=STARTS_AT + timedelta(days=day))
    colleague = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        program_services.host_invite(
            program=program, email=colleague.email, role=HostRole.HOST, invited_by=owner, now=NOW
        )
    assert len(_host_reminders_to(colleague.email)) == 2 * sessions
    return len(queries)


def test_adding_a_host_costs_the_same_queries_for_3_or_30_upcoming_sessions(
    requires_postgres,
) -> None:
    # PostgreSQL only: on SQLite, bulk inserts are split to stay under its parameter limit.
    assert _queries_to_add_a_host(sessions=3) == _queries_to_add_a_host(sessions=30)


def test_removing_a_host_costs_the_same_queries_for_3_or_30_upcoming_sessions() -> None:
    counts = []
    for sessions in (3, 30):
        owner = UserFactory()
        program = hosted_program(user=owner)
        leaving = UserFactory()
        role = ProgramHost.objects.create(program=program, user=leaving, role=HostRole.HOST)
        for day in range(sessions):
            _session(program, owner, starts_at=STARTS_AT + timedelta(days=day))
        with CaptureQueriesContext(connection) as queries:
            program_services.host_remove(program=program, host_role=role, now=NOW)
        assert _host_reminders_to(leaving.email) == []
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_hosts_added_and_removed_in_the_admin_get_and_lose_reminders_too(
    host, admin_client
) -> None:
    program = hosted_program(user=host)
    _session(program, host)
    colleague = UserFactory(email="colleague@example.org")

    admin_client.post(
        reverse("admin:programs_programhost_add"),
        {"program": program.pk, "user": colleague.pk, "role": HostRole.HOST},
    )
    assert len(_host_reminders_to("colleague@example.org")) == 2

    role = ProgramHost.objects.get(program=program, user=colleague)
    admin_client.post(reverse("admin:programs_programhost_delete", args=[role.pk]), {"post": "yes"})
    assert not ProgramHost.objects.filter(pk=role.pk).exists()
    assert _host_reminders_to("colleague@example.org") == []
    assert _host_reminders_sent(at=DAY_BEFORE) == [(host.email, "You host Morning focus tomorrow")]


def test_a_host_added_on_the_admins_program_page_gets_the_reminders(host, admin_client) -> None:
    program = hosted_program(user=host)
    _session(program, host)
    colleague = UserFactory(email="colleague@example.org")
    owner_role = ProgramHost.objects.get(program=program, user=host)
    data = {
        "name": program.name,
        "description": program.description,
        "time_zone": program.time_zone,
        "group_size": program.group_size,
        "brand_name": program.brand_name,
        "brand_colour": program.brand_colour,
        "start_host_name": program.start_host_name,
        "is_opt_in_enabled": "on" if program.is_opt_in_enabled else "",
        # The hosts there (the person shown, the role editable), then rows to add hosts.
        "host_roles-TOTAL_FORMS": 1,
        "host_roles-INITIAL_FORMS": 1,
        "host_roles-0-id": owner_role.pk,
        "host_roles-0-program": program.pk,
        "host_roles-0-role": HostRole.OWNER,
        "host_roles-2-TOTAL_FORMS": 1,
        "host_roles-2-INITIAL_FORMS": 0,
        "host_roles-2-0-program": program.pk,
        "host_roles-2-0-user": colleague.pk,
        "host_roles-2-0-role": HostRole.HOST,
        "modules-TOTAL_FORMS": 0,
        "modules-INITIAL_FORMS": 0,
    }
    response = admin_client.post(reverse("admin:programs_program_change", args=[program.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert ProgramHost.objects.filter(program=program, user=colleague).exists()
    assert len(_host_reminders_to("colleague@example.org")) == 2


def _host_reminder_dispatch_queries(*, sessions: int, hosts: int) -> int:
    owner = UserFactory()
    program = hosted_program(user=owner)
    for _ in range(hosts - 1):
        ProgramHost.objects.create(program=program, user=UserFactory(), role=HostRole.HOST)
    for _ in range(sessions):
        _session(program, owner)
    sent, queries = dispatch_counting(DAY_BEFORE)
    assert sent == sessions * hosts
    return queries


def test_sending_host_reminders_costs_no_query_per_message() -> None:
    few = _host_reminder_dispatch_queries(sessions=2, hosts=1)
    mail.outbox = []
    assert _host_reminder_dispatch_queries(sessions=8, hosts=3) == few


def test_a_host_reminder_can_be_left_with_one_click_and_turned_back_on_in_email_settings(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host, name="Habits Lab")
    other_program = hosted_program(user=host, name="Product Circle")
    colleague = UserFactory(email="colleague@example.org")
    ProgramHost.objects.create(program=program, user=colleague, role=HostRole.HOST)
    session = _session(program, host)
    _session(other_program, host)
    [day_before] = [
        sent
        for sent in _host_reminders_sent_emails(at=DAY_BEFORE)
        if sent.to[0].endswith(f"<{host.email}>") and "Habits Lab" in sent.body
    ]
    assert "Turn them off or on in your e-mail settings" in day_before.body
    assert "https://convene.example/sessions/email-settings/" in day_before.body
    message = day_before.message()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.match(r"<https://convene\.example([^>]+)>", message["List-Unsubscribe"])[1]

    # What Gmail posts: no cookie, no CSRF token.
    stopped = Client(enforce_csrf_checks=True).post(link, {"List-Unsubscribe": "One-Click"})
    assert "no more host reminders for the sessions of Habits Lab" in stopped.text
    assert [m.object_id for m in _host_reminders_to(host.email)] == [
        Session.objects.get(program=other_program).pk,  # the other program's still come
    ]
    assert len(_host_reminders_to(colleague.email)) == 1  # so do the colleague's

    page = host_client.get(reverse("sessions_app:email_settings"))
    assert page.status_code == 200
    boxes = re.findall(r'<input type="checkbox" name="reminded_programs"[^>]*>', page.text)
    assert "Habits Lab" in page.text and "Product Circle" in page.text
    assert ["checked" in box for box in boxes] == [False, True]  # by name: Habits, Product

    # Back on: the program's hour-before reminder is planned again and goes out.
    saved = host_client.post(
        reverse("sessions_app:email_settings"),
        {"reminded_programs": [program.pk, other_program.pk]},
        follow=True,
    )
    assert "Your e-mail settings are saved." in saved.text
    assert session.pk in {
        m.object_id for m in _host_reminders_to(host.email) if m.kind == "host_reminder_hour"
    }
    assert _host_reminders_sent(at=HOUR_BEFORE) == [
        (colleague.email, "You host Morning focus in an hour"),
        (host.email, "You host Morning focus in an hour"),
        (host.email, "You host Morning focus in an hour"),
    ]


def test_a_host_who_turned_reminders_off_gets_none_for_new_sessions_of_that_program(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host)
    host_client.post(reverse("sessions_app:email_settings"), {"reminded_programs": []})
    session = _session(program, host)
    assert _host_reminders_to(host.email) == []
    co_host = UserFactory(email="co@example.org")
    session.co_hosts.add(co_host)
    assert session.registrations.count() == 0
    # A co-host has the setting too, for the program of the session they co-host.
    page = Client()
    page.force_login(co_host)
    assert program.name in page.get(reverse("sessions_app:email_settings")).text


def _host_reminders_sent_emails(*, at: datetime) -> list:
    before = len(mail.outbox)
    with time_machine.travel(at, tick=False):
        outbox_dispatch()
    return [sent for sent in mail.outbox[before:] if sent.subject.startswith("You host")]
