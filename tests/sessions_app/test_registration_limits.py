from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse

from reminders.models import Message
from sessions_app.models import Registration
from sessions_app.services import CONFIRMATION
from tests.factories import hosted_session

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STARTS_AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
PROXIED = {"TRUSTED_PROXY_COUNT": 1, "TRUSTED_PROXY_NETWORKS": ["10.0.0.0/8"]}


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _register(client: Client, session, email: str):
    return client.post(
        reverse("sessions_app:register", kwargs={"code": session.code}),
        {"email": email, "name": "Someone"},
    )


def _from(address: str) -> Client:
    return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=address)


@override_settings(**PROXIED, MAIL_PER_MAILBOX_PER_HOUR=5)
def test_sixty_registrations_to_plus_tag_variants_of_one_mailbox_queue_at_most_five(
    _frozen_time,
) -> None:
    session = hosted_session(starts_at=STARTS_AT, capacity=100)
    responses = [
        _register(_from(f"198.51.100.{n + 1}"), session, f"Victim+{n}@Example.org")
        for n in range(60)
    ]
    assert [response.status_code for response in responses].count(302) == 5
    refused = responses[-1]
    assert refused.status_code == 429
    assert "several e-mails to this address in the last hour" in refused.text
    assert Message.objects.filter(kind=CONFIRMATION).count() == 5
    assert Registration.objects.filter(session=session).count() == 5
    # An hour later the mailbox may hear from Convene again.
    _frozen_time.shift(timedelta(hours=1))
    assert _register(_from("198.51.100.200"), session, "victim@example.org").status_code == 302


@override_settings(**PROXIED, MAIL_PER_MAILBOX_PER_HOUR=5)
def test_the_mailbox_limit_holds_across_sessions() -> None:
    first = hosted_session(starts_at=STARTS_AT)
    second = hosted_session(starts_at=STARTS_AT)
    statuses = [
        _register(_from(f"198.51.100.{n + 1}"), session, f"victim+{n}@example.org").status_code
        for n, session in enumerate([first, second] * 3)
    ]
    assert statuses == [302] * 5 + [429]


@override_settings(**PROXIED, REGISTRATIONS_PER_CLIENT_PER_SESSION_PER_HOUR=10)
def test_one_client_takes_only_a_few_seats_of_a_session() -> None:
    session = hosted_session(starts_at=STARTS_AT, capacity=30)
    client = _from("198.51.100.7")
    statuses = [_register(client, session, f"person{n}@example.org").status_code for n in range(12)]
    assert statuses == [302] * 10 + [429] * 2
    refused = _register(client, session, "person99@example.org")
    assert "from your connection already" in refused.text
    assert Registration.objects.filter(session=session).count() == 10
    # Another client, and this client on another session, are not held back.
    assert _register(_from("203.0.113.5"), session, "other@example.org").status_code == 302
    other_session = hosted_session(starts_at=STARTS_AT)
    assert _register(client, other_session, "person0@example.org").status_code == 302


def test_a_client_over_the_registration_limit_is_told_so_in_those_words() -> None:
    session = hosted_session(starts_at=STARTS_AT)
    client = Client()
    for index in range(60):
        _register(client, session, f"p{index}@example.org")
    refused = _register(client, session, "one-more@example.org")
    assert refused.status_code == 429
    assert "Too many registrations were sent from your connection" in refused.text
    assert "Session IDs" not in refused.text
