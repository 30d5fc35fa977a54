"""The guessing limit on Session ID lookups from /start/: the one sessions_app keeps.

Only lookups that miss count (a class behind one address typing the right code is never
slowed down), but once a client is over the limit every lookup answers 429 until the window
ends, so that a blocked client cannot keep telling hits from misses — on /start/ and on every
session page alike, since they share one counter and one block.
"""

from __future__ import annotations

from django.http import HttpRequest

from sessions_app.guard import guess_blocked_seconds, guess_record_miss


def start_blocked_seconds(request: HttpRequest) -> int:
    """Seconds this client must still wait, or 0."""
    return guess_blocked_seconds(request)


def start_record_miss(request: HttpRequest) -> int:
    """Count a lookup that found nothing; the seconds to wait once over the limit, else 0."""
    return guess_record_miss(request)
