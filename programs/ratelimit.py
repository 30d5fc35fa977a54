"""A fixed-window rate limit on the cache (Redis in production), for endpoints that invite guessing."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    retry_after_seconds: int


def client_address(request: HttpRequest) -> str:
    # Behind a proxy, the proxy must set REMOTE_ADDR correctly (gunicorn --forwarded-allow-ips);
    # X-Forwarded-For is not trusted here because any client can send it.
    return request.META.get("REMOTE_ADDR", "unknown")


def rate_limit_hit(*, scope: str, key: str, limit: int, window_seconds: int) -> RateLimitResult:
    """Count one attempt of `key` in `scope`; refuse once `limit` attempts fall in one window."""
    window = int(time.time() // window_seconds)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    cache.add(cache_key, 0, timeout=window_seconds + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the key expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds + 5)
        count = 1
    if count > limit:
        retry_after = window_seconds - int(time.time() % window_seconds)
        return RateLimitResult(allowed=False, retry_after_seconds=max(retry_after, 1))
    return RateLimitResult(allowed=True, retry_after_seconds=0)


def rate_limit_peek(*, scope: str, key: str, limit: int, window_seconds: int) -> RateLimitResult:
    """Whether `key` is over its limit in the current window, without counting an attempt."""
    window = int(time.time() // window_seconds)
    count = cache.get(f"ratelimit:{scope}:{key}:{window}", 0)
    if count >= limit:
        retry_after = window_seconds - int(time.time() % window_seconds)
        return RateLimitResult(allowed=False, retry_after_seconds=max(retry_after, 1))
    return RateLimitResult(allowed=True, retry_after_seconds=0)
