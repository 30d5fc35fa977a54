from __future__ import annotations

import base64
import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import SystemCheckError
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
    assert status == 401
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


DELIVERY = {"RecordType": "Delivery", "Recipient": "x@example.org"}


def _delivery(message, at: str = "2026-11-21T10:00:00Z") -> dict:
    return {**DELIVERY, "MessageID": message.provider_message_id, "DeliveredAt": at}


@pytest.mark.parametrize(
    "credentials",
    [None, b"tracker:wrong", b"someone:s3cret", b"tracker:s3cret2"],
)
def test_missing_or_wrong_credentials_answer_401_and_change_nothing(
    client: Client, credentials: bytes | None
) -> None:
    message = _sent_message()
    extra = {}
    if credentials is not None:
        extra["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(credentials).decode()
    assert _postmark(client, _delivery(message), **extra) == 401
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.UNKNOWN
    assert not message.events.filter(status__startswith="delivery:").exists()


@override_settings(ANYMAIL={}, DEBUG=True)
def test_without_a_secret_configured_every_call_is_refused(client: Client) -> None:
    message = _sent_message()
    # Even a call carrying credentials: there is nothing to check them against.
    assert _postmark(client, _delivery(message), **AUTH) == 403
    assert _postmark(client, _delivery(message)) == 403
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.UNKNOWN


@pytest.mark.parametrize("provider", ["sendgrid", "mailgun", "nosuchprovider"])
def test_providers_not_configured_answer_404(client: Client, provider: str) -> None:
    response = client.post(
        f"/anymail/{provider}/tracking/", data="{}", content_type="application/json", **AUTH
    )
    assert response.status_code == 404
    assert client.post(f"/anymail/{provider}/inbound/", **AUTH).status_code == 404


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"', "", '{"FromFull": 1}'])
def test_malformed_bodies_with_the_right_secret_answer_400(client: Client, body: str) -> None:
    response = client.post(
        "/anymail/postmark/tracking/", data=body, content_type="application/json", **AUTH
    )
    assert response.status_code == 400


def test_an_older_event_arriving_late_does_not_replace_a_newer_status(client: Client) -> None:
    message = _sent_message()
    clicked = {
        "RecordType": "Click",
        "MessageID": message.provider_message_id,
        "Recipient": "x@example.org",
        "ReceivedAt": "2026-11-21T11:00:00Z",
    }
    assert _postmark(client, clicked, **AUTH) == 200
    assert _postmark(client, _delivery(message, at="2026-11-21T10:00:00Z"), **AUTH) == 200
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.CLICKED
    # Both reports are in the message's history all the same.
    statuses = set(message.events.values_list("status", flat=True))
    assert {"delivery:clicked", "delivery:delivered"} <= statuses
    # A bounce wins even when it is reported out of order, and then sticks.
    bounce = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "MessageID": message.provider_message_id,
        "Email": "x@example.org",
        "BouncedAt": "2026-11-21T09:00:00Z",
        "Description": "No such mailbox",
        "ID": 43,
    }
    assert _postmark(client, bounce, **AUTH) == 200
    assert _postmark(client, _delivery(message, at="2026-11-21T12:00:00Z"), **AUTH) == 200
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.BOUNCED


@pytest.mark.parametrize("secret", [{}, {"WEBHOOK_SECRET": ""}])
def test_production_refuses_to_start_with_webhooks_routed_and_no_secret(secret: dict) -> None:
    routed = override_settings(
        ANYMAIL=secret,
        DEBUG=False,
        TRACKING_WEBHOOK_PROVIDERS=["postmark"],
        INBOUND_WEBHOOK_PROVIDERS=[],
    )
    with routed, pytest.raises(SystemCheckError, match=r"reminders\.E001"):
        call_command("check")
    with override_settings(
        ANYMAIL=secret, DEBUG=False, TRACKING_WEBHOOK_PROVIDERS=[], INBOUND_WEBHOOK_PROVIDERS=[]
    ):
        call_command("check")
    with override_settings(DEBUG=False, TRACKING_WEBHOOK_PROVIDERS=["postmark"]):
        call_command("check")


@pytest.mark.parametrize("secret", [{}, {"WEBHOOK_SECRET": ""}])
def test_production_refuses_to_start_with_inbound_mail_routed_and_no_secret(secret: dict) -> None:
    """Calendar replies and unsubscribe mails come through the inbound webhook: without the
    secret anyone could post them."""
    routed = override_settings(
        ANYMAIL=secret,
        DEBUG=False,
        TRACKING_WEBHOOK_PROVIDERS=[],
        INBOUND_WEBHOOK_PROVIDERS=["postmark"],
    )
    with routed, pytest.raises(SystemCheckError, match=r"reminders\.E003"):
        call_command("check")
    # With DEBUG on (make run) it may be tried without one.
    with override_settings(
        ANYMAIL=secret,
        DEBUG=True,
        TRACKING_WEBHOOK_PROVIDERS=[],
        INBOUND_WEBHOOK_PROVIDERS=["postmark"],
    ):
        call_command("check")
    with override_settings(DEBUG=False, INBOUND_WEBHOOK_PROVIDERS=["postmark"]):
        call_command("check")


def test_an_inbound_provider_without_an_inbound_webhook_is_refused() -> None:
    with (
        override_settings(INBOUND_WEBHOOK_PROVIDERS=["carrier-pigeon"]),
        pytest.raises(SystemCheckError, match=r"reminders\.E004"),
    ):
        call_command("check")


@override_settings(EMAIL_BACKEND="reminders.backends.CapturingEmailBackend", DEBUG=True)
def test_dev_outbox_reads_names_and_text_beyond_ascii_as_they_were_written(
    client: Client,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from sessions_app import services
    from tests.factories import hosted_session

    name = "Ålice 👩‍🚀 O'Brien-Núñez"
    session = hosted_session(starts_at=timezone.now() + timedelta(days=3), title="Café «ouvert»")
    services.registration_create(
        session=session, email="alice@example.org", name=name, now=timezone.now()
    )
    outbox_dispatch()
    captured = CapturedEmail.objects.get()
    listing = client.get(reverse("reminders:dev_outbox"))
    assert f"{name} &lt;alice@example.org&gt;" in listing.text.replace("&#x27;", "'")
    detail = client.get(reverse("reminders:dev_outbox_email", kwargs={"captured_id": captured.pk}))
    text = detail.text.replace("&#x27;", "'")
    assert f"Hello {name}" in text and "Café «ouvert»" in text
    assert "\ufffd" not in text and "\\U0001f469" not in text
