"""Stored values with line breaks reach e-mail headers as one harmless line, never as headers."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
import time_machine
from django.core import mail

from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from reminders.text import header_text
from sessions_app.services import CONFIRMATION, registration_create, session_create
from tests.factories import hosted_program

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def _session(**program_fields: object):
    program = hosted_program(**program_fields)
    return session_create(
        program=program,
        created_by=program.hosts.get(),
        # Rows written around the forms (old rows, the shell, an import): nothing refused them.
        title="Focus\r\nBcc: title@evil.example",
        starts_at=NOW + timedelta(days=5),
        time_zone="Europe/Berlin",
        now=NOW,
    )


def _wire(sent) -> email.message.EmailMessage:
    """The message as the receiving server parses it off the wire."""
    return email.message_from_bytes(sent.message().as_bytes(), policy=policy.default)


def test_a_stored_line_break_in_a_name_title_or_brand_stays_on_one_line() -> None:
    session = _session(brand_name="Lab\r\nBcc: brand@evil.example")
    registration_create(
        session=session, email="ada@example.org", name="Ada\r\nBcc: victim@evil.example", now=NOW
    )

    outbox_dispatch(now=NOW)

    [sent] = mail.outbox
    wire = _wire(sent)
    assert len(sent.recipients()) == 1
    assert wire["Bcc"] is None and wire["Cc"] is None
    assert wire.get_all("To") == ['"Ada Bcc: victim@evil.example" <ada@example.org>']
    [to] = wire["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Ada Bcc: victim@evil.example", "ada@example.org")
    [sender] = wire["From"].addresses
    assert sender.display_name == "Lab Bcc: brand@evil.example"
    assert "Focus Bcc: title@evil.example" in wire["Subject"]
    assert "\n" not in str(wire["Subject"]) and "\r" not in str(wire["Subject"])
    message = Message.objects.get(kind=CONFIRMATION)
    assert message.status == MessageStatus.SENT


def test_a_stored_address_with_a_line_break_fails_its_own_message_alone() -> None:
    session = _session()
    registration_create(
        session=session, email="bad@example.org\r\nBcc: x@evil.example", name="Bad", now=NOW
    )
    registration_create(session=session, email="ada@example.org", name="Ada", now=NOW)

    outbox_dispatch(now=NOW)

    assert [sent.to for sent in mail.outbox] == [["Ada <ada@example.org>"]]
    failed = Message.objects.get(kind=CONFIRMATION, recipient_email__startswith="bad@")
    assert failed.status == MessageStatus.FAILED
    assert failed.last_error.startswith("could not be built:")
    sent = Message.objects.get(kind=CONFIRMATION, recipient_email="ada@example.org")
    assert sent.status == MessageStatus.SENT


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("A\r\nBcc: x@y.example", "A Bcc: x@y.example"),
        ("  tabs\tand\x00nul\x07bell ", "tabs and nul bell"),
        ("line\u2028separator\x85next", "line separator next"),
        ("Zoë Ünal, Ph.D.", "Zoë Ünal, Ph.D."),
    ],
)
def test_header_text_is_one_line_without_control_characters(stored: str, shown: str) -> None:
    assert header_text(stored) == shown
