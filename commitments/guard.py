"""The guessing limit on Session ID lookups, per client, on the cache (Redis in production).

Only lookups that miss count (a class behind one address typing the right code is never
slowed down), but once a client is over the limit every lookup answers 429 until the window
ends, so that a blocked client cannot keep telling hits from misses.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest

from programs.ratelimit import client_address, rate_limit_hit

START_GUESS_LIMIT = 10
START_GUESS_WINDOW_SECONDS = 600


def _blocked_key(request: HttpRequest) -> str:
    return f"commitments:start-blocked:{client_address(request)}"


def start_blocked_seconds(request: HttpRequest) -> int:
    """Seconds this client must still wait, or 0."""
    until = cache.get(_blocked_key(request))
    if until is None:
        return 0
    return max(int(until - time.time()), 1)


def start_record_miss(request: HttpRequest) -> int:
    """Count a lookup that found nothing; the seconds to wait once over the limit, else 0."""
    result = rate_limit_hit(
        scope="start",
        key=client_address(request),
        limit=START_GUESS_LIMIT,
        window_seconds=START_GUESS_WINDOW_SECONDS,
    )
    if result.allowed:
        return 0
    wait = result.retry_after_seconds
    cache.set(_blocked_key(request), time.time() + wait, timeout=wait)
    return wait
