from __future__ import annotations

import base64
import json

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from reminders.dispatcher import outbox_dispatch
from reminders.models import CapturedEmail, DeliveryStatus, MessageStatus
from reminders.selectors import topic_problem_addresses, topic_status_counts
from tests.factories import MessageFactory, UserFactory

pytestmark = pytest.mark.django_db

AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"tracker:s3cret").decode()}


def _postmark(client: Client, payload: dict, **extra) -> int:
    response = client.post(
        "/anymail/postmark/tracking/",
        data=json.dumps(payload),
        content_type="application/json",
        **extra,
    )
    return response.status_code


def _sent_message(**fields):
    message = MessageFactory(topic="session:7", **fields)
    outbox_dispatch()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    message.provider_message_id = f"pm-{message.pk}"
    message.save(update_fields=["provider_message_id"])
    return message


def test_the_dispatcher_tags_each_email_with_its_outbox_row() -> None:
    message = MessageFactory()
    outbox_dispatch()
    assert mail.outbox[0].extra_headers["X-Convene-Message"] == str(message.pk)
    assert mail.outbox[0].metadata == {"convene_message_id": str(message.pk)}


def test_delivery_and_bounce_reports_land_on_the_message(client: Client) -> None:
    delivered = _sent_message(recipient_email="ok@example.org")
    bounced = _sent_message(recipient_email="gone@example.org")
    assert (
        _postmark(
            client,
            {
                "RecordType": "Delivery",
                "MessageID": delivered.provider_message_id,
                "Recipient": "ok@example.org",
                "DeliveredAt": "2026-11-21T10:00:00Z",
                "Details": "250 OK",
            },
            **AUTH,
        )
        == 200
    )
    assert (
        _postmark(
            client,
            {
                "RecordType": "Bounce",
                "Type": "HardBounce",
                "MessageID": bounced.provider_message_id,
                "Email": "gone@example.org",
                "BouncedAt": "2026-11-21T10:00:00Z",
                "Description": "The server was unable to deliver your message",
                "ID": 42,
            },
            **AUTH,
        )
        == 200
    )
    delivered.refresh_from_db()
    bounced.refresh_from_db()
    assert delivered.delivery_status == DeliveryStatus.DELIVERED
    assert bounced.delivery_status == DeliveryStatus.BOUNCED
    assert "unable to deliver" in bounced.delivery_detail
    assert topic_problem_addresses(topic="session:7") == {
        "gone@example.org": DeliveryStatus.BOUNCED
    }
    # A later "open" does not hide the bounce.
    _postmark(
        client,
        {
            "RecordType": "Open",
            "MessageID": bounced.provider_message_id,
            "Recipient": "gone@example.org",
            "ReceivedAt": "2026-11-21T11:00:00Z",
        },
        **AUTH,
    )
    bounced.refresh_from_db()
    assert bounced.delivery_status == DeliveryStatus.BOUNCED
    assert "delivery:bounced" in list(bounced.events.values_list("status", flat=True))


def test_spam_complaints_are_recorded(client: Client) -> None:
    message = _sent_message()
    _postmark(
        client,
        {
            "RecordType": "SpamComplaint",
            "Type": "SpamComplaint",
            "MessageID": message.provider_message_id,
            "Email": message.recipient_email,
            "BouncedAt": "2026-11-21T10:00:00Z",
        },
        **AUTH,
    )
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.COMPLAINED


def test_webhooks_without_the_shared_secret_are_refused(client: Client) -> None:
    message = _sent_message()
    status = _postmark(
        client,
        {
            "RecordType": "Delivery",
            "MessageID": message.provider_message_id,
            "Recipient": "x@example.org",
            "DeliveredAt": "2026-11-21T10:00:00Z",
        },
    )
    assert status == 400
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.UNKNOWN


def test_status_counts_per_kind() -> None:
    MessageFactory(topic="session:9", kind="test_plain")
    MessageFactory(topic="session:9", kind="test_plain", status=MessageStatus.CANCELLED)
    outbox_dispatch()
    assert topic_status_counts(topic="session:9") == {"test_plain": {"cancelled": 1, "sent": 1}}


@override_settings(EMAIL_BACKEND="reminders.backends.CapturingEmailBackend", DEBUG=True)
def test_dev_outbox_shows_what_was_sent(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    message = MessageFactory(recipient_email="ada@example.org")
    outbox_dispatch()
    captured = CapturedEmail.objects.get()
    assert captured.message == message
    assert "ada@example.org" in capsys.readouterr().out  # printed too
    listing = client.get(reverse("reminders:dev_outbox"))
    assert listing.status_code == 200
    assert f"Test message {message.pk}" in listing.text
    detail = client.get(reverse("reminders:dev_outbox_email", kwargs={"captured_id": captured.pk}))
    assert "this is test message" in detail.text
    assert "srcdoc=" in detail.text


@override_settings(DEBUG=False)
def test_dev_outbox_is_for_staff_only_without_debug(client: Client) -> None:
    assert client.get(reverse("reminders:dev_outbox")).status_code == 404
    client.force_login(UserFactory())
    assert client.get(reverse("reminders:dev_outbox")).status_code == 404
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("reminders:dev_outbox")).status_code == 200
