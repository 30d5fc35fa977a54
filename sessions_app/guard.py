"""The Session-ID guessing guard, shared by every URL that names a session by its code.

Looking a session up by its ID invites guessing, so unknown IDs ("misses") are limited per
client (`reminders.ratelimit.client_limit_key`: the real address behind trusted proxies, an
IPv6 client's /64) by a leaky bucket: a burst of `SESSION_LOOKUP_MISSES` distinct unknown IDs,
then one more each `SESSION_LOOKUP_WINDOW_SECONDS / SESSION_LOOKUP_MISSES` (20 s by default).
A client with a full bucket is refused (429) on every lookup, found IDs too, so that a guesser
learns nothing more, but only for seconds: a guesser is slowed, and the people sharing its
address wait as long, never a whole window. Typing the same wrong ID again (a reload, a
second try) is not another miss. Other clients are never affected. docs/security.md gives the
figures.

The public pages, the live-room pages, the guest entry and the commitments' /start/ pages all
look sessions up through `session_guarded` (or its two halves), so a miss on any of them
counts and a refused client is refused on all of them.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from programs.branding import brand_program_for_request
from reminders.ratelimit import (
    client_limit_key,
    first_time_in_window,
    leaky_limit_hit,
    leaky_limit_peek,
)
from sessions_app import selectors
from sessions_app.codes import session_code_normalise
from sessions_app.models import Session

LOOKUP_SCOPE = "session-id-miss"


def lookup_limits() -> tuple[int, int]:
    return (
        getattr(settings, "SESSION_LOOKUP_MISSES", 30),
        getattr(settings, "SESSION_LOOKUP_WINDOW_SECONDS", 600),
    )


def too_many_response(
    request: HttpRequest, retry_after: int, *, what: str = "Session IDs were tried"
) -> HttpResponse:
    """429 with the wait; `what` says what was tried too often ("registrations were sent")."""
    response = render(
        request,
        "sessions_app/too_many.html",
        {
            "retry_after_seconds": retry_after,
            "retry_after_minutes": max(1, round(retry_after / 60)),
            "what": what,
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def guess_blocked_seconds(request: HttpRequest) -> int:
    """Seconds this client must still wait before looking up Session IDs again, or 0."""
    limit, window = lookup_limits()
    result = leaky_limit_peek(
        scope=LOOKUP_SCOPE, key=client_limit_key(request), capacity=limit, window_seconds=window
    )
    return 0 if result.allowed else result.retry_after_seconds


def guess_record_miss(request: HttpRequest, typed: str) -> int:
    """Count a lookup of `typed` that found nothing; the seconds to wait if it was over the
    limit, else 0. The same ID missed again in one window counts once."""
    limit, window = lookup_limits()
    client = client_limit_key(request)
    code = session_code_normalise(typed) or typed
    # Hashed: typed text is not fit for a cache key as it is.
    typed_key = hashlib.sha256(code.encode("utf-8", "replace")).hexdigest()[:24]
    if not first_time_in_window(
        scope=f"{LOOKUP_SCOPE}:code", key=f"{client}:{typed_key}", window_seconds=window
    ):
        return 0
    result = leaky_limit_hit(scope=LOOKUP_SCOPE, key=client, capacity=limit, window_seconds=window)
    return 0 if result.allowed else result.retry_after_seconds


def session_guarded(request: HttpRequest, typed: str) -> Session | HttpResponse:
    """The session with the typed ID, else the page to answer: 429 while refused, or 404."""
    wait = guess_blocked_seconds(request)
    if wait:
        return too_many_response(request, wait)
    # On a program's own start host name only its sessions exist, as on its /start/ pages.
    session = selectors.session_by_code(typed=typed, program=brand_program_for_request(request))
    if session is not None:
        return session
    wait = guess_record_miss(request, typed)
    if wait:
        return too_many_response(request, wait)
    return render(request, "sessions_app/not_found.html", {"typed": typed[:20]}, status=404)
