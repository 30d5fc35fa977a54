from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reminders.dispatcher import outbox_dispatch
from reminders.models import DeliveryStatus, Message, MessageStatus
from sessions_app.services import registration_create
from tests.factories import hosted_session

pytestmark = pytest.mark.django_db


def _session_with_people(host):
    session = hosted_session(user=host, starts_at=timezone.now() + timedelta(days=3))
    now = timezone.now()
    ada = registration_create(
        session=session, email="ada@example.org", name="Ada", now=now
    ).registration
    bob = registration_create(
        session=session, email="bob@example.org", name="Bob", now=now
    ).registration
    return session, ada, bob


def test_the_emails_page_shows_what_is_planned_and_sent_per_kind(host, host_client: Client) -> None:
    session, _, _ = _session_with_people(host)
    outbox_dispatch()  # the two confirmations
    page = host_client.get(
        reverse("sessions_app:session_emails", kwargs={"session_id": session.pk})
    ).text
    assert "E-mails" in page
    assert '<th scope="row">Confirmation</th><td>0</td><td>2</td>' in page
    assert '<th scope="row">Reminder a day before</th><td>2</td><td>0</td>' in page


def test_a_hard_bounce_flags_the_address_on_the_people_and_emails_pages(
    host, host_client: Client
) -> None:
    session, _, _ = _session_with_people(host)
    outbox_dispatch()
    Message.objects.filter(recipient_email="ada@example.org", status=MessageStatus.SENT).update(
        delivery_status=DeliveryStatus.BOUNCED, delivery_updated_at=timezone.now()
    )
    page = host_client.get(
        reverse("sessions_app:session_people", kwargs={"session_id": session.pk})
    ).text
    assert 'ada@example.org <span class="badge bad">E-mail bounced</span>' in page
    assert 'bob@example.org <span class="badge bad">' not in page
    emails = host_client.get(
        reverse("sessions_app:session_emails", kwargs={"session_id": session.pk})
    ).text
    assert "Undeliverable:" in emails and "ada@example.org (bounced)" in emails


def test_a_participants_message_history(host, host_client: Client) -> None:
    session, ada, _ = _session_with_people(host)
    outbox_dispatch()
    url = reverse(
        "sessions_app:registration_messages",
        kwargs={"session_id": session.pk, "registration_id": ada.pk},
    )
    page = host_client.get(url).text
    assert "E-mails to Ada" in page
    assert "Confirmation" in page and "Reminder 30 minutes before" in page
    assert "bob@example.org" not in page


def test_a_host_removes_a_registration_and_its_pending_mail_is_cancelled(
    host, host_client: Client
) -> None:
    session, ada, _ = _session_with_people(host)
    url = reverse(
        "sessions_app:registration_remove",
        kwargs={"session_id": session.pk, "registration_id": ada.pk},
    )
    assert host_client.get(url).status_code == 405
    assert host_client.post(url).status_code == 302
    assert list(session.registrations.values_list("email", flat=True)) == ["bob@example.org"]
    assert not Message.objects.filter(
        recipient_email="ada@example.org", status=MessageStatus.PENDING
    ).exists()
    assert (
        Message.objects.filter(
            recipient_email="bob@example.org", status=MessageStatus.PENDING
        ).count()
        == 4
    )


def test_another_hosts_registration_pages_answer_404(host_client: Client) -> None:
    session, ada, _ = _session_with_people(None)
    for name, method in (("registration_messages", "get"), ("registration_remove", "post")):
        url = reverse(
            f"sessions_app:{name}", kwargs={"session_id": session.pk, "registration_id": ada.pk}
        )
        assert getattr(host_client, method)(url).status_code == 404
    assert session.registrations.count() == 2


def test_sending_confirmations_costs_no_query_per_message_beyond_recording_it(host) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_to_send(count: int) -> int:
        session = hosted_session(user=host, starts_at=timezone.now() + timedelta(days=3))
        now = timezone.now()
        for index in range(count):
            registration_create(session=session, email=f"p{index}@example.org", name="P", now=now)
        with CaptureQueriesContext(connection) as queries:
            assert outbox_dispatch().sent == count
        return len(queries)

    few, many = queries_to_send(3), queries_to_send(30)
    assert (many - few) / 27 <= 2  # marking each one sent (and its event), nothing else
