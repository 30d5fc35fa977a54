"""Capacity holds when many people register for the same session at the same moment."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from reminders.models import Message
from sessions_app import services
from sessions_app.models import Registration
from tests.factories import hosted_session


@pytest.mark.django_db(transaction=True)
def test_fifty_people_registering_at_once_fill_twenty_places_exactly(
    requires_postgres: None, transactional_db: None
) -> None:
    session = hosted_session(starts_at=timezone.now() + timedelta(days=2), capacity=20)
    start = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def register(index: int) -> None:
        try:
            start.wait()
            try:
                services.registration_create(
                    session=session,
                    email=f"Person{index}@Example.org",
                    name=f"Person {index}",
                    now=timezone.now(),
                )
                outcome = "registered"
            except services.SessionFull:
                outcome = "full"
            except Exception as error:
                outcome = f"error: {error!r}"
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(index,)) for index in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(set(outcomes)) == ["full", "registered"], outcomes
    assert outcomes.count("registered") == 20
    assert outcomes.count("full") == 30
    emails = list(Registration.objects.filter(session=session).values_list("email", flat=True))
    assert len(emails) == 20
    assert len({email.lower() for email in emails}) == 20
    assert (
        Message.objects.filter(topic=f"session:{session.pk}", kind="session_confirmation").count()
        == 20
    )


@pytest.mark.django_db(transaction=True)
def test_the_same_address_registering_at_once_twice_is_registered_once(
    requires_postgres: None, transactional_db: None
) -> None:
    session = hosted_session(starts_at=timezone.now() + timedelta(days=2))
    start = threading.Barrier(10)
    errors: list[str] = []

    def register(index: int) -> None:
        try:
            start.wait()
            services.registration_create(
                session=session,
                email="ada@example.org" if index % 2 else "ADA@example.org",
                name="Ada",
                now=timezone.now(),
            )
        except Exception as error:
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(index,)) for index in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Registration.objects.filter(session=session).count() == 1
