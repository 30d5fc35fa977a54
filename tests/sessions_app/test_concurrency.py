"""Capacity holds when many people register for the same session at the same moment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reminders.models import Message
from sessions_app import services
from sessions_app.models import Registration
from tests.factories import hosted_session
from tests.support.concurrency import run_at_once


@pytest.mark.django_db(transaction=True)
def test_fifty_people_registering_at_once_fill_twenty_places_exactly(
    requires_postgres: None, transactional_db: None
) -> None:
    session = hosted_session(starts_at=timezone.now() + timedelta(days=2), capacity=20)

    def register(index: int) -> str:
        try:
            services.registration_create(
                session=session,
                email=f"Person{index}@Example.org",
                name=f"Person {index}",
                now=timezone.now(),
            )
        except services.SessionFull:
            return "full"
        return "registered"

    outcomes = run_at_once(register, range(50))

    assert sorted(set(map(str, outcomes))) == ["full", "registered"], outcomes
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
    outcomes = run_at_once(
        lambda index: services.registration_create(
            session=session,
            email="ada@example.org" if index % 2 else "ADA@example.org",
            name="Ada",
            now=timezone.now(),
        ),
        range(10),
    )
    assert [error for error in outcomes if isinstance(error, Exception)] == []
    assert Registration.objects.filter(session=session).count() == 1
