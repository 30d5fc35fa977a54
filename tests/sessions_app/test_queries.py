"""List pages issue the same number of queries with few and with many rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reminders.models import Message
from sessions_app.models import Registration, Session
from tests.factories import (
    ModuleFactory,
    RegistrationFactory,
    RegistrationQuestionFactory,
    SessionFactory,
    hosted_program,
)

pytestmark = pytest.mark.django_db


def _count(client: Client, url: str, **params: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return len(queries)


def _with_registrations(program, count: int) -> Session:
    session = SessionFactory(program=program, capacity=10_000)
    RegistrationQuestionFactory.create_batch(2, session=session)
    Registration.objects.bulk_create(
        Registration(session=session, email=f"p{index}@example.org", name=f"Person {index}")
        for index in range(count)
    )
    return session


SESSION_PAGES = [
    "dashboard",
    "session_people",
    "session_questions",
    "session_emails",
    "session_room",
    "session_share",
]


@pytest.mark.parametrize("name", SESSION_PAGES)
def test_each_session_page_costs_the_same_queries_with_20_and_2000_registrations(
    host, host_client: Client, name: str
) -> None:
    program = hosted_program(user=host)
    module = ModuleFactory(program=program, is_activated=True)
    small, large = _with_registrations(program, 20), _with_registrations(program, 2000)
    for session in (small, large):
        session.module = module
        session.save(update_fields=["module"])

    def url(session: Session) -> str:
        return reverse(f"sessions_app:{name}", kwargs={"session_id": session.pk})

    _count(host_client, url(small))  # warms what is loaded once per process
    assert _count(host_client, url(small)) == _count(host_client, url(large))


def test_the_people_page_search_costs_the_same_queries_with_few_and_many(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host)
    small, large = _with_registrations(program, 5), _with_registrations(program, 500)

    def url(session: Session) -> str:
        return reverse("sessions_app:session_people", kwargs={"session_id": session.pk})

    assert _count(host_client, url(small), q="person") == _count(
        host_client, url(large), q="person"
    )


def test_registration_page_queries_do_not_grow_with_registrations(host, client: Client) -> None:
    program = hosted_program(user=host)
    small, large = _with_registrations(program, 5), _with_registrations(program, 500)

    def url(session: Session) -> str:
        return reverse("sessions_app:register", kwargs={"code": session.code})

    assert _count(client, url(small)) == _count(client, url(large))


def test_my_sessions_queries_do_not_grow_with_sessions(host, client: Client) -> None:
    few, many = hosted_program(user=None), hosted_program(user=None)
    few_host, many_host = few.hosts.get(), many.hosts.get()
    soon = timezone.now() + timedelta(days=1)

    def add_sessions(program, count: int) -> None:
        for index in range(count):
            Session.objects.create(
                program=program,
                title=f"S{index}",
                # Half ahead (Upcoming), half over (Completed), so both tabs have rows.
                starts_at=(
                    soon + timedelta(hours=index)
                    if index % 2
                    else timezone.now() - timedelta(days=2, hours=index)
                ),
                time_zone="Europe/Berlin",
                code=f"{program.pk:02d}{index:06d}"[-8:],
            )

    add_sessions(few, 5)
    add_sessions(many, 500)

    def count_for(user) -> int:
        client.force_login(user)
        counts = {
            tab: _count(client, reverse("sessions_app:my_sessions"), tab=tab)
            for tab in ("upcoming", "completed")
        }
        client.logout()
        return counts

    assert count_for(few_host) == count_for(many_host)
    client.force_login(many_host)
    completed = client.get(reverse("sessions_app:my_sessions"), {"tab": "completed"}).text
    assert "S0" in completed and "S1<" not in completed


def test_program_overview_queries_do_not_grow_with_sessions(host, host_client: Client) -> None:
    small, large = hosted_program(user=host), hosted_program(user=host)
    soon = timezone.now() + timedelta(days=1)
    for program, count in ((small, 2), (large, 60)):
        for index in range(count):
            SessionFactory(program=program, starts_at=soon + timedelta(hours=index))

    def url(program) -> str:
        return reverse("programs:overview", kwargs={"program_id": program.pk})

    assert _count(host_client, url(small)) == _count(host_client, url(large))


def test_program_overview_with_50_sessions_and_their_materials_issues_flat_queries(
    host, host_client: Client
) -> None:
    """Upcoming and past tiles, each with its share panel (module activated), cost no query each."""
    small, large = hosted_program(user=host), hosted_program(user=host)
    now = timezone.now()
    for program, count in ((small, 3), (large, 50)):
        module = ModuleFactory(program=program, is_activated=True)
        for index in range(count):
            offset = timedelta(days=index + 1) * (1 if index % 2 else -1)
            SessionFactory(program=program, module=module, starts_at=now + offset)

    def url(program) -> str:
        return reverse("programs:overview", kwargs={"program_id": program.pk})

    assert _count(host_client, url(small)) == _count(host_client, url(large))
    page = host_client.get(url(large)).text
    assert page.count("Session Materials") == 50
    assert page.count("Commitment Creation Instructions") == 50
    for session in Session.objects.filter(program=large):
        assert session.display_code in page
        assert f"/start/{session.code}/" in page


def test_the_share_page_offers_the_commitment_links_and_qr_code(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    session = SessionFactory(
        program=program, module=ModuleFactory(program=program, is_activated=True)
    )
    page = host_client.get(
        reverse("sessions_app:session_share", kwargs={"session_id": session.pk})
    ).text
    assert "For people who missed it: the Session ID and QR code" in page
    assert "Commitment link" in page and "Direct link" not in page
    assert f"/sessions/{session.pk}/start-qr.svg" in page
    assert f"/sessions/{session.pk}/start-qr.png" in page


def test_adding_participants_costs_the_same_queries_for_5_and_50_people(
    requires_postgres, host, host_client: Client
) -> None:
    """On PostgreSQL (SQLite splits bulk inserts into batches by its bound-variable limit)."""
    program = hosted_program(user=host)

    def add(count: int) -> int:
        session = SessionFactory(program=program, capacity=1000)
        RegistrationFactory(session=session, email="known@example.org")
        people = "\n".join(
            ["KNOWN@example.org", *(f"Person {n} <p{n}@example.org>" for n in range(count))]
        )
        url = reverse("sessions_app:participants_add", kwargs={"session_id": session.pk})
        with CaptureQueriesContext(connection) as queries:
            response = host_client.post(url, {"people": people})
        assert response.status_code == 302
        assert session.registrations.count() == count + 1
        assert Message.objects.filter(topic=f"session:{session.pk}").count() == count * 4
        return len(queries)

    add(1)  # warms what is loaded once per process (content types)
    assert add(5) == add(50)
