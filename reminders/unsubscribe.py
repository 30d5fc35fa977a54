"""One-click unsubscribe (RFC 8058) for the e-mail streams a recipient did not ask for each time.

A *stream* is what one unsubscribe stops: a member's round e-mails, a commitment's daily
check-in reminders, a registration's session reminders. The app that owns a stream registers
it here with how to find its object from a personal token and how to stop it; its renderers put
`unsubscribe_headers(...)` on every message of the stream. The https address answers a POST
(what mail providers send for `List-Unsubscribe=One-Click`: no login, no CSRF token) by stopping
exactly that stream; a GET shows a page with the button, so link scanners stop nothing. The
mailto address names the same stream and token in its subject, for clients that only know
mailto: such mail reaches Convene through the provider's inbound webhook (the one calendar
replies use) and `on_inbound` stops the stream (see `unsubscribe_mail_record`).

Tokens are the project's personal link tokens (`reminders.tokens`), under the purpose
`unsubscribe:<stream>` and the object's token version.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from anymail.signals import AnymailInboundEvent
from django.conf import settings
from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils import timezone

from reminders.tokens import token_make, token_object


@dataclass(frozen=True)
class Stream:
    name: str
    # What the stop page says it stops ("round e-mails of Product Circle").
    # Each stream is about one model; the registry holds streams of every app's models.
    describe: Callable[[Any], str]
    queryset: Callable[[], QuerySet[Any]]
    stop: Callable[[Any, datetime], object]  # what it returns is not used
    version_field: str = "token_version"
    # Where the recipient turns the stream back on, if a page does that (a path).
    turn_back_on: Callable[[Model], str] | None = None


_streams: dict[str, Stream] = {}


def stream_register(stream: Stream) -> None:
    existing = _streams.get(stream.name)
    if existing is not None and existing != stream:
        raise ValueError(f"unsubscribe stream {stream.name!r} is already registered")
    _streams[stream.name] = stream


def stream_for(name: str) -> Stream | None:
    return _streams.get(name)


def _purpose(stream: str) -> str:
    return f"unsubscribe:{stream}"


def unsubscribe_token(*, stream: str, obj: Model, version_field: str = "token_version") -> str:
    return token_make(
        purpose=_purpose(stream), object_id=obj.pk, version=getattr(obj, version_field)
    )


def unsubscribe_object(*, stream: Stream, token: str) -> Model | None:
    return token_object(
        token,
        queryset=stream.queryset(),
        purpose=_purpose(stream.name),
        version_field=stream.version_field,
    )


@lru_cache(maxsize=1)
def _path_template() -> str:
    # reverse() once: the dispatcher builds thousands of these a second.
    return reverse("reminders:unsubscribe", kwargs={"stream": "STREAM", "token": "TOKEN"})


def unsubscribe_url(*, stream: str, token: str) -> str:
    path = _path_template().replace("STREAM", stream).replace("TOKEN", token)
    return f"{settings.PUBLIC_BASE_URL}{path}"


def unsubscribe_address() -> str:
    return _unsubscribe_address(settings.UNSUBSCRIBE_EMAIL, settings.DEFAULT_FROM_EMAIL)


# Parsed once per setting: every reminder's List-Unsubscribe header names it.
@lru_cache(maxsize=8)
def _unsubscribe_address(unsubscribe_email: str, from_email: str) -> str:
    return unsubscribe_email or parseaddr(from_email)[1]


# What `quote` leaves as it is: a stream's name and a token (base64url and a dot) are.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def unsubscribe_mailto(*, stream: str, token: str) -> str:
    # The token rides in the subject, not in a `+tag` of the address: with the stream it is
    # longer than the 64 characters RFC 5321 allows a local part.
    if _UNRESERVED.fullmatch(stream) and _UNRESERVED.fullmatch(token):
        subject = f"unsubscribe%20{stream}%20{token}"  # what `quote` gives, without its loop
    else:
        subject = quote(f"unsubscribe {stream} {token}")
    return f"mailto:{unsubscribe_address()}?subject={subject}"


# RFC 8058's second header, the same on every message of every stream.
ONE_CLICK = "List-Unsubscribe=One-Click"


def unsubscribe_list_header(*, stream: str, obj: Model) -> str:
    """The `List-Unsubscribe` value for `obj`: the https address first, then the mailto."""
    stream_info = _streams[stream]
    token = unsubscribe_token(stream=stream, obj=obj, version_field=stream_info.version_field)
    return (
        f"<{unsubscribe_url(stream=stream, token=token)}>, "
        f"<{unsubscribe_mailto(stream=stream, token=token)}>"
    )


def unsubscribe_headers(*, stream: str, obj: Model) -> dict[str, str]:
    """`List-Unsubscribe` (https first, then mailto) and `List-Unsubscribe-Post` for `obj`."""
    return {
        "List-Unsubscribe": unsubscribe_list_header(stream=stream, obj=obj),
        "List-Unsubscribe-Post": ONE_CLICK,
    }


logger = logging.getLogger(__name__)

# "unsubscribe <stream> <token>" anywhere in the subject (clients add "Re:" or "Fwd:").
_SUBJECT_TOKEN = re.compile(
    r"\bunsubscribe\s+([a-z0-9-]+)\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)", re.IGNORECASE
)


class MailOutcome(enum.StrEnum):
    STOPPED = "stopped"
    NOT_FOR_US = "not-for-us"  # not addressed to the unsubscribe address
    NO_TOKEN = "no-token"
    UNKNOWN = "unknown"  # a stream that does not exist, or a token that is not one of ours


def _local_and_domain(address: str) -> tuple[str, str]:
    local, _, domain = address.strip().lower().rpartition("@")
    return local.split("+", 1)[0], domain


def _is_unsubscribe_address(address: str) -> bool:
    # `unsubscribe+anything@` is the same mailbox (providers route sub-addresses together).
    return bool(address) and _local_and_domain(address) == _local_and_domain(unsubscribe_address())


def unsubscribe_mail_record(
    *, recipients: Iterable[str], subject: str, sender: str, now: datetime
) -> MailOutcome:
    """Apply one mail received through the inbound webhook, if it is sent to the mailto of a
    `List-Unsubscribe`.

    1. A mail not addressed to the unsubscribe address (`UNSUBSCRIBE_EMAIL`, `+tags` folded)
       is somebody else's (a calendar reply): nothing, not logged.
    2. Its subject must carry "unsubscribe <stream> <token>" of a registered stream with a
       token that is valid now; otherwise it is forged, altered or stale: nothing changes and
       it is logged.
    3. Then exactly that stream stops, as a one-click POST would stop it. The token decides,
       not the sender: people send from another address of theirs, and the https one-click
       does not know the sender either.
    """
    if not any(_is_unsubscribe_address(address) for address in recipients):
        return MailOutcome.NOT_FOR_US
    found = _SUBJECT_TOKEN.search(subject or "")
    if found is None:
        logger.warning("unsubscribe mail from %r without a token: ignored", sender)
        return MailOutcome.NO_TOKEN
    stream = stream_for(found[1].lower())
    obj = None if stream is None else unsubscribe_object(stream=stream, token=found[2])
    if stream is None or obj is None:
        logger.warning(
            "unsubscribe mail from %r for stream %r with an unknown token: ignored",
            sender,
            found[1],
        )
        return MailOutcome.UNKNOWN
    stream.stop(obj, now)
    logger.info("unsubscribe mail from %r stopped the %s of %r", sender, stream.name, obj.pk)
    return MailOutcome.STOPPED


def on_inbound(sender: object, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    """django-anymail's inbound signal: a mail to the unsubscribe address stops its stream."""
    message = event.message
    if message is None:
        return
    recipients = [
        address.addr_spec
        for header in ("To", "Cc")
        for address in message.get_address_header(header)
    ]
    if message.envelope_recipient:
        recipients.append(str(message.envelope_recipient))
    from_address = message.from_email
    unsubscribe_mail_record(
        recipients=recipients,
        subject=str(message.subject or ""),
        sender=getattr(from_address, "addr_spec", "") if from_address else "",
        now=timezone.now(),
    )
