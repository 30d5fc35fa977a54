"""A real SMTP server (aiosmtpd) whose replies a test scripts, for delivery under real faults.

    server = ScriptedSMTPServer()          # listens on 127.0.0.1, a free port
    server.fail(stage="RCPT", reply="451 4.3.0 Try again later")
    …                                       # the dispatcher sends through it and is refused
    server.recover()
    server.received                         # every message accepted, in order

Stages are the SMTP commands a client sends (EHLO, MAIL, RCPT, DATA); a scripted reply applies
to every command of that stage until `recover()`, or only to the recipients `fail()` names.
`drop_during_data()` closes the connection after the message has arrived but before the server
answers, the one moment where neither side knows whether the message went through.

Run as a module (`python -m tests.support.smtp --port N`) it is a plain sink in a process of its
own, which the delivery benchmark sends to.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as MimeMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

# aiosmtpd logs every command at INFO: thousands of lines per test.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    recipients: list[str]
    message: MimeMessage
    arrived_at: float = field(default_factory=time.time)

    @property
    def outbox_id(self) -> int | None:
        from reminders.backends import MESSAGE_HEADER  # Django's; the sink process has none

        value = self.message.get(MESSAGE_HEADER)
        return int(value) if value else None


@dataclass
class Script:
    """What the server answers instead of accepting; `None` everywhere means accept."""

    replies: dict[str, str] = field(default_factory=dict)
    # RCPT refusals for some recipients only: {address: reply}.
    recipient_replies: dict[str, str] = field(default_factory=dict)
    drop_data_times: int = 0
    # Seconds the server takes to answer each message's end: a slow relay.
    data_delay: float = 0.0


class _Handler:
    def __init__(self, server: ScriptedSMTPServer) -> None:
        self.server = server

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list
    ) -> list[str]:
        session.host_name = hostname
        reply = self.server.reply_for("EHLO")
        if reply:
            return [reply]
        if self.server.pipelining:
            # As real relays do (RFC 2920); aiosmtpd reads pipelined commands in order anyway.
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_HELO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str
    ) -> str:
        # A client refused at EHLO falls back to HELO: the "EHLO" stage refuses both.
        session.host_name = hostname
        return self.server.reply_for("EHLO") or f"250 {server.hostname}"

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        reply = self.server.reply_for("MAIL")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        reply = self.server.reply_for("RCPT", recipient=address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = self.server.reply_for("DATA")
        if reply:
            return reply
        if self.server.script.data_delay:
            await asyncio.sleep(self.server.script.data_delay)
        self.server.accept(envelope)
        if self.server.take_drop():
            # The message is here; the client never hears so.
            server.transport.close()
            return "421 4.4.2 closing"
        return "250 2.0.0 Queued"


class ScriptedSMTPServer:
    """aiosmtpd on 127.0.0.1 in a thread of the test process; stopped by `stop()`."""

    def __init__(
        self, *, port: int | None = None, keep: bool = True, pipelining: bool = True
    ) -> None:
        self.port = port or free_port()
        self.keep = keep
        self.pipelining = pipelining
        self.received: list[Received] = []
        self.count = 0
        self.refused = 0
        self.script = Script()
        self._lock = threading.Lock()
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self._controller.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def fail(self, *, stage: str, reply: str, recipients: list[str] | None = None) -> None:
        with self._lock:
            if recipients:
                self.script.recipient_replies.update(dict.fromkeys(recipients, reply))
            else:
                self.script.replies[stage.upper()] = reply

    def drop_during_data(self, *, times: int = 1) -> None:
        with self._lock:
            self.script.drop_data_times += times

    def slow_down(self, *, seconds: float) -> None:
        """Answer each message's end `seconds` late (until `recover()`)."""
        with self._lock:
            self.script.data_delay = seconds

    def recover(self) -> None:
        with self._lock:
            self.script = Script()

    def reply_for(self, stage: str, *, recipient: str = "") -> str | None:
        with self._lock:
            reply = self.script.replies.get(stage)
            if reply is None and recipient:
                reply = self.script.recipient_replies.get(recipient.lower())
            if reply:
                self.refused += 1
            return reply

    def take_drop(self) -> bool:
        with self._lock:
            if self.script.drop_data_times:
                self.script.drop_data_times -= 1
                return True
            return False

    def accept(self, envelope: Envelope) -> None:
        with self._lock:
            self.count += 1
            if self.keep:
                raw = envelope.original_content or envelope.content
                self.received.append(
                    Received(recipients=list(envelope.rcpt_tos), message=message_from_bytes(raw))
                )

    def outbox_ids(self) -> list[int]:
        with self._lock:
            return [item.outbox_id for item in self.received if item.outbox_id is not None]

    def wait_for(self, count: int, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count >= count:
                return True
            time.sleep(0.05)
        return self.count >= count

    def stop(self) -> None:
        self._controller.stop()


class _SinkHandler:
    def __init__(self, *, pipelining: bool) -> None:
        self.pipelining = pipelining

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 2.0.0 Queued"


def main() -> None:
    """A plain sink in a process of its own (the benchmark's server): runs until killed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-pipelining", action="store_true", help="not offered in EHLO")
    arguments = parser.parse_args()
    controller = Controller(
        _SinkHandler(pipelining=not arguments.no_pipelining),
        hostname="127.0.0.1",
        port=arguments.port,
    )
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
