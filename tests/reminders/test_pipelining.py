"""The SMTP conversation of a gated send, with PIPELINING (RFC 2920) and without it.

Real relays offer PIPELINING; then MAIL, every RCPT and DATA go in one write and their replies
are read in order. Whatever the server offers, the same replies give the same errors and the
conversation stays in step for the next message on the connection.
"""

from __future__ import annotations

import smtplib
import socket
import threading
from collections.abc import Iterator

import pytest

from reminders.backends import _sendmail_gated
from tests.support.smtp import ScriptedSMTPServer

BODY = b"Subject: Reminder\r\n\r\nSee you at ten.\r\n.A line that starts with a dot\r\n"
ANN = ("<ann@example.org>", "Ann <ann@example.org>")
BOB = ("<bob@example.org>", "Bob <bob@example.org>")


@pytest.fixture(params=[True, False], ids=["pipelining", "in-turn"])
def server(request) -> Iterator[ScriptedSMTPServer]:
    server = ScriptedSMTPServer(pipelining=request.param)
    yield server
    server.stop()


@pytest.fixture
def smtp(server) -> Iterator[smtplib.SMTP]:
    client = smtplib.SMTP("127.0.0.1", server.port, timeout=10)
    yield client
    client.close()


def _send(smtp: smtplib.SMTP, recipients=(ANN, BOB), data: bytes = BODY) -> None:
    _sendmail_gated(
        smtp,
        "noreply@example.org",
        list(recipients),
        data,
        encoding="utf-8",
        before_end=lambda timeout, end=None: True,
    )


def test_the_server_offers_pipelining_only_when_told(server, smtp) -> None:
    smtp.ehlo()
    assert smtp.has_extn("pipelining") is server.pipelining


def test_a_message_arrives_whole_for_every_recipient(server, smtp) -> None:
    _send(smtp)
    _send(smtp, recipients=[BOB])
    assert [item.recipients for item in server.received] == [
        ["ann@example.org", "bob@example.org"],
        ["bob@example.org"],
    ]
    assert server.received[0].message["Subject"] == "Reminder"
    assert server.received[0].message.get_payload() == (
        "See you at ten.\r\n.A line that starts with a dot\r\n"
    )


@pytest.mark.parametrize(
    ("stage", "reply", "error", "code"),
    [
        ("MAIL", "451 4.3.0 Try again later", smtplib.SMTPSenderRefused, 451),
        ("MAIL", "552 5.3.4 Message too big", smtplib.SMTPSenderRefused, 552),
        ("RCPT", "451 4.3.0 Try again later", smtplib.SMTPRecipientsRefused, 451),
        ("RCPT", "550 5.1.1 No such user", smtplib.SMTPRecipientsRefused, 550),
        ("DATA", "451 4.3.0 Try again later", smtplib.SMTPDataError, 451),
        ("DATA", "554 5.7.1 Refused", smtplib.SMTPDataError, 554),
    ],
)
def test_a_refusal_at_any_stage_gives_the_same_error_and_the_next_message_goes_through(
    server, smtp, stage, reply, error, code
) -> None:
    server.fail(stage=stage, reply=reply)
    with pytest.raises(error) as raised:
        _send(smtp)
    if error is smtplib.SMTPRecipientsRefused:
        assert raised.value.recipients == {
            # Named as Django's sanitised envelope names them.
            "Ann <ann@example.org>": (code, reply[4:].encode()),
            "Bob <bob@example.org>": (code, reply[4:].encode()),
        }
    else:
        assert raised.value.smtp_code == code
        assert raised.value.smtp_error == reply[4:].encode()
    assert server.received == []

    server.recover()
    _send(smtp, recipients=[ANN])
    assert [item.recipients for item in server.received] == [["ann@example.org"]]


def test_one_refused_recipient_is_named_and_the_others_get_the_message(server, smtp) -> None:
    server.fail(stage="RCPT", reply="550 5.1.1 No such user", recipients=["bob@example.org"])
    _send(smtp)
    assert [item.recipients for item in server.received] == [["ann@example.org"]]


def test_a_421_while_recipients_are_named_closes_the_connection(server, smtp) -> None:
    server.fail(stage="RCPT", reply="421 4.7.0 Closing", recipients=["ann@example.org"])
    with pytest.raises(smtplib.SMTPRecipientsRefused) as raised:
        _send(smtp)
    assert raised.value.recipients == {"Ann <ann@example.org>": (421, b"4.7.0 Closing")}
    assert smtp.sock is None
    assert server.received == []


def test_with_pipelining_the_envelope_goes_in_one_write() -> None:
    server = ScriptedSMTPServer(pipelining=True)
    client = smtplib.SMTP("127.0.0.1", server.port, timeout=10)
    try:
        client.ehlo()
        writes: list[bytes] = []
        sock = client.sock
        assert sock is not None

        class Recording:
            def sendall(self, data: bytes) -> None:
                writes.append(bytes(data))
                sock.sendall(data)

            def __getattr__(self, name: str):
                return getattr(sock, name)

        client.sock = Recording()  # type: ignore[assignment]
        _send(client)
        client.sock = sock
        assert writes[0] == (
            b"mail FROM:<noreply@example.org> size=%d\r\n"
            b"rcpt TO:<ann@example.org>\r\n"
            b"rcpt TO:<bob@example.org>\r\n"
            b"data\r\n" % len(BODY)
        )
        assert len(writes) == 2  # the envelope, then body and end together
        assert len(server.received) == 1
    finally:
        client.close()
        server.stop()


class _ServerThatAcceptsDataForNoOne(threading.Thread):
    """A relay that refuses every recipient and then still answers DATA with 354, which RFC
    2920 warns clients about: the client must send a lone `.` to stay in step."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lines: list[bytes] = []

    def run(self) -> None:
        connection, _ = self.listener.accept()
        with connection, connection.makefile("rb") as reader:
            connection.sendall(b"220 relay ready\r\n")
            for line in reader:
                self.lines.append(line)
                command = line[:4].upper()
                if command == b"EHLO":
                    connection.sendall(b"250-relay\r\n250 PIPELINING\r\n")
                elif command == b"RCPT":
                    connection.sendall(b"550 5.1.1 No such user\r\n")
                elif command == b"DATA":
                    connection.sendall(b"354 Go ahead\r\n")
                elif line == b".\r\n":
                    connection.sendall(b"554 5.5.1 No valid recipients\r\n")
                elif command == b"QUIT":
                    connection.sendall(b"221 Bye\r\n")
                    return
                else:
                    connection.sendall(b"250 OK\r\n")


def test_a_data_accepted_for_no_recipient_gets_a_lone_end_and_the_talk_goes_on() -> None:
    server = _ServerThatAcceptsDataForNoOne()
    server.start()
    client = smtplib.SMTP("127.0.0.1", server.port, timeout=10)
    try:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            _send(client, recipients=[ANN])
        assert client.noop()[0] == 250
        client.quit()
    finally:
        client.close()
        server.join(timeout=5)
    assert b".\r\n" in server.lines
    assert b"Subject: Reminder\r\n" not in server.lines  # the message itself never went
    assert server.lines[-3:-1] == [b"rset\r\n", b"noop\r\n"]
