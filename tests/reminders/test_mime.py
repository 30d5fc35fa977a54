"""The outbox's faster serialisation reads back exactly like Django's own."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.core.mail import EmailMultiAlternatives

from reminders.emails import CalendarInvite, build_email
from reminders.mime import OutboxEmail

INVITE = CalendarInvite(
    ics=b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", method="REQUEST"
)


def _as_read(raw: bytes) -> list[tuple[str, list[tuple[str, str]], str]]:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    return [
        (
            part.get_content_type(),
            [
                (name, str(value))
                for name, value in part.items()
                if name.lower() not in ("content-type", "message-id", "date")
            ],
            part.get_content() if not part.is_multipart() else "",
        )
        for part in parsed.walk()
    ]


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("Ada Lovelace", "Reminder: Design review starts in an hour"),
        (
            "Zoë Ørsted-Ünal",
            "Erinnerung: Überprüfung beginnt in einer Stunde \u2013 bitte pünktlich",
        ),
        ("A" * 90, "A subject long enough that it has to be folded over more than one line " * 2),
        ("Ada", "Two  spaces, a\ttab and a trailing space "),
        ("Ada", "One word longer than a line: " + "x" * 120),
    ],
)
def test_a_message_reads_back_as_djangos_own_serialisation_does(name: str, subject: str) -> None:
    fields = {
        "subject": subject,
        "body": "Hello,\n\nsee you there. Ünïcödé too.\n",
        "from_email": "Convene <noreply@convene.example>",
        "to": [f'"{name}" <ada@example.org>'],
        "headers": {
            "X-Convene-Message": "42",
            # A registrant's one-click unsubscribe: two addresses, far past one line.
            "List-Unsubscribe": "<https://convene.example/u/r/AbCdEfGhIjKlMnOpQrStUvWxYz0123"
            "456789-_AbCdEfGhIjKlMnOp/>, <mailto:unsubscribe@convene.example?subject=unsubscri"
            "be%20registrant-reminders%20AbCdEfGhIjKlMnOpQrStUvWxYz0123456789>",
        },
    }
    ours, django = OutboxEmail(**fields), EmailMultiAlternatives(**fields)
    for message in (ours, django):
        message.attach_alternative("<p>Hello, <b>see you</b></p>", "text/html")
        message.attach_alternative(INVITE.ics.decode(), "text/calendar; method=REQUEST")
        message.attach("invite.ics", INVITE.ics, "application/ics; method=REQUEST")
    ours_raw, django_raw = ours.message().as_bytes(), django.message().as_bytes()
    assert _as_read(ours_raw) == _as_read(django_raw)
    assert max(len(line) for line in ours_raw.splitlines()) <= 998
    # The long List-Unsubscribe (folded at its spaces the outbox's own way) to the byte as the
    # standard library folds it.
    assert _header_block(ours_raw, "List-Unsubscribe") == _header_block(
        django_raw, "List-Unsubscribe"
    )


def _header_block(raw: bytes, name: str) -> list[bytes]:
    """A header's lines, its folded continuations included."""
    lines = raw.split(b"\n\n", 1)[0].split(b"\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(name.encode() + b":"))
    end = start + 1
    while end < len(lines) and lines[end][:1] in (b" ", b"\t"):
        end += 1
    return lines[start:end]


def test_every_outbox_email_is_built_the_faster_way() -> None:
    built = build_email(template="test_plain", context={"message": None}, to_email="a@example.org")
    assert isinstance(built, OutboxEmail)
    assert b'boundary="=_' in built.message().as_bytes()


@pytest.mark.parametrize(
    "to",
    [
        "ada@example.org",
        "Ada Lovelace <ada@example.org>",
        '"Lovelace, Ada" <ada@example.org>',
        "Zoë Ørsted <zoe@bücher.example>",
    ],
)
def test_the_smtp_backend_speaks_the_same_envelope_as_djangos(to: str) -> None:
    from django.core.mail.backends.smtp import EmailBackend as DjangoSMTP

    from reminders.backends import SMTPEmailBackend
    from tests.support.smtp import ScriptedSMTPServer

    server = ScriptedSMTPServer()
    try:
        for backend_class in (DjangoSMTP, SMTPEmailBackend):
            backend = backend_class(host="127.0.0.1", port=server.port, use_tls=False)
            message = OutboxEmail(
                subject="Hello", body="Hi", from_email="Convene <noreply@convene.example>", to=[to]
            )
            message.connection = backend
            assert message.send() == 1
        ours, djangos = server.received[1], server.received[0]
        assert ours.recipients == djangos.recipients
        assert ours.message["To"] == djangos.message["To"]
    finally:
        server.stop()
