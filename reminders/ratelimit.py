"""Rate limits on the cache (Redis in production), and the client address they are keyed by.

Two shapes of limit:

- `rate_limit_hit` / `rate_limit_peek`: a fixed window, `limit` attempts per window. For
  sign-in, password reset, registration and the like, where waiting out the window is fine.
- `leaky_limit_hit` / `leaky_limit_peek`: a leaky bucket holding `capacity` attempts that
  drains `capacity` per window. A burst up to the capacity passes; after that a client is
  slowed to one attempt per window / capacity seconds rather than locked out for a whole
  window. The Session-ID guessing guard uses it (see `sessions_app.guard`).

The cache is `config.cache.ResilientRedisCache`: while Redis is away the counters live in each
process's memory, so limits keep holding (per process) and no visitor sees an error.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from python_ipware import IpWare


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    retry_after_seconds: int


# -- the client's address ------------------------------------------------------------------


@lru_cache(maxsize=8)
def _trusted_networks(
    networks: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)


@lru_cache(maxsize=8)
def _ipware(proxy_count: int) -> IpWare:
    # One synthetic header, the forwarded chain with the peer appended: ipware then picks the
    # hop `proxy_count` places from the end, which is the address the first trusted proxy saw.
    return IpWare(precedence=("CONVENE_CHAIN",), proxy_count=proxy_count)


def _peer_is_trusted(remote: str) -> bool:
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXY_NETWORKS))
    if not networks:
        return True
    try:
        peer = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(peer in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The address of the client behind the trusted proxies (settings `TRUSTED_PROXY_COUNT`,
    `TRUSTED_PROXY_NETWORKS`), for every limit and log.

    Direct deployments (no trusted proxy) use `REMOTE_ADDR` and ignore forwarded headers,
    which any client can send. Behind proxies, the peer must be one of them (when networks
    are named) for `X-Forwarded-For` to be read, and only the hops the proxies appended
    count: whatever the client wrote to the left of them is ignored.
    """
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    proxy_count = settings.TRUSTED_PROXY_COUNT or (1 if settings.TRUSTED_PROXY_NETWORKS else 0)
    if proxy_count == 0 or not _peer_is_trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    found, _trusted_route = _ipware(proxy_count).get_client_ip(
        {"CONVENE_CHAIN": f"{forwarded}, {remote}"}, strict=False
    )
    # Fewer hops than proxies: the request did not come through all of them; count it as the
    # peer's rather than believe a header.
    return str(found) if found is not None else remote


def client_limit_key(request: HttpRequest) -> str:
    """What a per-client limit counts: the address, or its /64 for IPv6 (one subscriber's
    share; otherwise each of its 2**64 addresses would get a limit of its own)."""
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return address


def mailbox_key(address: str) -> str:
    """The mailbox an address delivers to, as far as we can tell: case folded, no +tag."""
    local, _, domain = address.strip().casefold().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def mailbox_limit_hit(*, address: str) -> RateLimitResult:
    """Count one e-mail a stranger's request will send to `address`: at most
    `MAIL_PER_MAILBOX_PER_HOUR` to one mailbox (+tags and case folded), whatever the session,
    program or form, so that no form can flood somebody's inbox."""
    return rate_limit_hit(
        scope="mail-recipient",
        key=mailbox_key(address),
        limit=settings.MAIL_PER_MAILBOX_PER_HOUR,
        window_seconds=3600,
    )


def wait_minutes(result: RateLimitResult) -> int:
    return max(1, -(-result.retry_after_seconds // 60))


# -- fixed windows ----------------------------------------------------------------------------


def _count_incr(cache_key: str, timeout: int) -> int:
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return cache.incr(cache_key)
    except ValueError:  # the key expired between add and incr
        cache.set(cache_key, 1, timeout=timeout)
        return 1


def rate_limit_hit(*, scope: str, key: str, limit: int, window_seconds: int) -> RateLimitResult:
    """Count one attempt of `key` in `scope`; refuse once `limit` attempts fall in one window."""
    window = int(time.time() // window_seconds)
    count = _count_incr(f"ratelimit:{scope}:{key}:{window}", window_seconds + 5)
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


# -- leaky buckets ---------------------------------------------------------------------------


def _refused(wait_seconds: float) -> RateLimitResult:
    # One second more than the exact figure, so that a client retrying on time is let in.
    return RateLimitResult(allowed=False, retry_after_seconds=math.ceil(wait_seconds) + 1)


def _leaky_key(scope: str, key: str) -> str:
    return f"leaky:{scope}:{key}"


def leaky_limit_peek(
    *, scope: str, key: str, capacity: int, window_seconds: int
) -> RateLimitResult:
    """Whether one more attempt of `key` fits in its bucket (`capacity` attempts, draining
    `capacity` per `window_seconds`); if not, how long until it does.

    The bucket is kept as its "theoretical arrival time" (GCRA): the moment it will be empty,
    in milliseconds. Each attempt pushes it one interval (window / capacity) later.
    """
    interval = window_seconds * 1000 / capacity
    now = time.time() * 1000
    empty_at = max(float(cache.get(_leaky_key(scope, key), 0)), now)
    wait = empty_at + interval - window_seconds * 1000 - now
    return (
        RateLimitResult(allowed=True, retry_after_seconds=0) if wait <= 0 else _refused(wait / 1000)
    )


def leaky_limit_hit(*, scope: str, key: str, capacity: int, window_seconds: int) -> RateLimitResult:
    """Count one attempt; refused when it overflows the bucket, with the wait until another
    one fits.

    An atomic increment moves a non-empty bucket's time on; an empty one is set afresh
    (two attempts racing on an empty bucket may count as one, once per time it empties).
    """
    name = _leaky_key(scope, key)
    interval = int(window_seconds * 1000 / capacity)
    now = int(time.time() * 1000)
    timeout = 2 * window_seconds + 5
    empty_at = cache.get(name)
    if empty_at is None or int(empty_at) < now:
        cache.set(name, now + interval, timeout=timeout)
        empty_at = now + interval
    else:
        try:
            empty_at = cache.incr(name, interval)
        except ValueError:  # expired since the read
            cache.set(name, now + interval, timeout=timeout)
            empty_at = now + interval
        else:
            cache.touch(name, timeout=max(timeout, (empty_at - now) // 1000 + 5))
    over = empty_at - now - window_seconds * 1000
    if over <= 0:
        return RateLimitResult(allowed=True, retry_after_seconds=0)
    return _refused(over / 1000)


def first_time_in_window(*, scope: str, key: str, window_seconds: int) -> bool:
    """True the first time `key` is seen in `scope` in the current window, False after."""
    window = int(time.time() // window_seconds)
    return bool(cache.add(f"seen:{scope}:{key}:{window}", 1, timeout=window_seconds + 5))
