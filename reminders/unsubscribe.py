"""One-click unsubscribe (RFC 8058) for the e-mail streams a recipient did not ask for each time.

A *stream* is what one unsubscribe stops: a member's round e-mails, a commitment's daily
check-in reminders, a registration's session reminders. The app that owns a stream registers
it here with how to find its object from a personal token and how to stop it; its renderers put
`unsubscribe_headers(...)` on every message of the stream. The https address answers a POST
(what mail providers send for `List-Unsubscribe=One-Click`: no login, no CSRF token) by stopping
exactly that stream; a GET shows a page with the button, so link scanners stop nothing. The
mailto address names the same token in its subject, for clients that only know mailto.

Tokens are the project's personal link tokens (`programs.tokens`), under the purpose
`unsubscribe:<stream>` and the object's token version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.db.models import Model, QuerySet
from django.urls import reverse

from programs.tokens import token_make, token_object


@dataclass(frozen=True)
class Stream:
    name: str
    # What the stop page says it stops ("round e-mails of Product Circle").
    describe: Callable[[Model], str]
    queryset: Callable[[], QuerySet]
    stop: Callable[[Model, datetime], None]
    version_field: str = "token_version"


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


def unsubscribe_mailto(*, stream: str, token: str) -> str:
    address = settings.UNSUBSCRIBE_EMAIL or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return f"mailto:{address}?subject={quote(f'unsubscribe {stream} {token}')}"


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
