"""The Session-ID guessing guard, shared by every URL that names a session by its code.

Looking a session up by its ID invites guessing, so misses are rate-limited per client address:
after `SESSION_LOOKUP_MISSES` unknown IDs in a window, every lookup from that address answers
429 until the window ends (found IDs too, so that a guesser learns nothing more). The public
pages, the live-room pages and the guest entry all look sessions up through `session_guarded`,
so a miss on any of them counts and a blocked client is refused on all of them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from programs.branding import brand_program_for_request
from programs.ratelimit import client_address, rate_limit_hit
from sessions_app import selectors
from sessions_app.models import Session

LOOKUP_SCOPE = "session-id-miss"


def lookup_limits() -> tuple[int, int]:
    return (
        getattr(settings, "SESSION_LOOKUP_MISSES", 30),
        getattr(settings, "SESSION_LOOKUP_WINDOW_SECONDS", 600),
    )


def _blocked_key(request: HttpRequest) -> str:
    return f"{LOOKUP_SCOPE}:blocked:{client_address(request)}"


def too_many_response(request: HttpRequest, retry_after: int) -> HttpResponse:
    response = render(
        request,
        "sessions_app/too_many.html",
        {"retry_after_minutes": max(1, round(retry_after / 60))},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def guess_blocked_seconds(request: HttpRequest) -> int:
    """Seconds this client must still wait before looking up Session IDs again, or 0."""
    blocked_until = cache.get(_blocked_key(request))
    now = timezone.now().timestamp()
    if blocked_until and blocked_until > now:
        return int(blocked_until - now) + 1
    return 0


def guess_record_miss(request: HttpRequest) -> int:
    """Count a lookup that found nothing; the seconds to wait once over the limit, else 0.

    Every page that looks sessions up by ID (here and in the commitments app's /start/) counts
    misses in this one counter and honours this one block.
    """
    limit, window = lookup_limits()
    result = rate_limit_hit(
        scope=LOOKUP_SCOPE, key=client_address(request), limit=limit, window_seconds=window
    )
    if result.allowed:
        return 0
    cache.set(
        _blocked_key(request),
        timezone.now().timestamp() + result.retry_after_seconds,
        timeout=result.retry_after_seconds,
    )
    return result.retry_after_seconds


def session_guarded(request: HttpRequest, typed: str) -> Session | HttpResponse:
    """The session with the typed ID, else the page to answer: 429 while blocked, or 404."""
    wait = guess_blocked_seconds(request)
    if wait:
        return too_many_response(request, wait)
    # On a program's own start host name only its sessions exist, as on its /start/ pages.
    session = selectors.session_by_code(typed=typed, program=brand_program_for_request(request))
    if session is not None:
        return session
    wait = guess_record_miss(request)
    if wait:
        return too_many_response(request, wait)
    return render(request, "sessions_app/not_found.html", {"typed": typed[:20]}, status=404)
