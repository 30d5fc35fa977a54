"""The cache backend: Django's Redis cache that keeps answering while Redis is away.

Every use of the cache in Convene is either a copy of something the database holds (sessions
under `cached_db`, the room state, QR images) or a counter for a limit (`reminders.ratelimit`).
None of them is worth an error page, so when Redis does not answer, each operation is done on
a cache in this process's memory instead (Django's local-memory cache), and a visitor never
sees the outage. See docs/outages.md for what that means for each use.

1. A failed call marks Redis as down for `RETRY_SECONDS`; meanwhile calls go straight to the
   local cache, so a page does not wait on a dead server once per cache call.
2. Keys written or deleted locally while Redis was down are remembered (up to
   `MAX_PENDING_KEYS`); the first call that reaches Redis again deletes them there, so
   Redis never serves a copy older than what this process wrote meanwhile (a signed-out
   session, a changed room state). Past that many keys, every key under the prefix is deleted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("convene.cache")

ResultT = TypeVar("ResultT")

RETRY_SECONDS = 2.0
MAX_PENDING_KEYS = 10_000


@dataclass
class _Health:
    """Shared by every thread's instance of one cache alias in this process."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    down_until: float = 0.0
    is_degraded: bool = False
    pending: set[tuple[str, int | None]] = field(default_factory=set)
    pending_overflowed: bool = False


_HEALTH: dict[str, _Health] = {}
_HEALTH_LOCK = threading.Lock()


class ResilientRedisCache(RedisCache):
    """`RedisCache` that falls back to a per-process memory cache while Redis is unreachable."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        name = f"convene-fallback:{server}:{self.key_prefix}"
        with _HEALTH_LOCK:
            self._health = _HEALTH.setdefault(name, _Health())
        self._local = LocMemCache(
            name, {"OPTIONS": {"MAX_ENTRIES": 10_000}, "KEY_PREFIX": self.key_prefix}
        )

    # -- the fallback --------------------------------------------------------

    def _is_down(self) -> bool:
        return time.monotonic() < self._health.down_until

    def _remember(self, keys: Iterable[str], version: int | None) -> None:
        health = self._health
        with health.lock:
            for key in keys:
                if len(health.pending) >= MAX_PENDING_KEYS:
                    health.pending_overflowed = True
                    return
                health.pending.add((key, version))

    def _invalidate_written_meanwhile(self) -> None:
        """Redis may be back after an outage: delete there what this process wrote meanwhile.

        Raises `RedisError` (keeping the keys for the next try) if Redis is still away.
        """
        health = self._health
        with health.lock:
            pending, overflowed = health.pending, health.pending_overflowed
            health.pending, health.pending_overflowed = set(), False
        try:
            if overflowed:
                client = self._cache.get_client(write=True)  # type: ignore[attr-defined]  # RedisCache's client
                for found in client.scan_iter(match=f"{self.key_prefix}:*", count=1000):
                    client.delete(found)
            for key, version in pending:
                super().delete(key, version=version)
        except RedisError:
            with health.lock:
                health.pending |= pending
                health.pending_overflowed |= overflowed
            raise
        with health.lock:
            health.is_degraded = False
        logger.warning("Redis cache reachable again; %d keys invalidated.", len(pending))

    def _failed(self, action: str) -> None:
        health = self._health
        with health.lock:
            health.down_until = time.monotonic() + RETRY_SECONDS
            first = not health.is_degraded
            health.is_degraded = True
        if first:
            logger.warning("Redis cache unreachable (%s); using this process's memory.", action)

    def _call(
        self,
        action: str,
        remote: Callable[[], ResultT],
        local: Callable[[], ResultT],
        *,
        writes: Iterable[str] = (),
        version: int | None = None,
    ) -> ResultT:
        if not self._is_down():
            try:
                if self._health.is_degraded:
                    self._invalidate_written_meanwhile()
                return remote()
            except RedisError:
                self._failed(action)
        self._remember(writes, version)
        return local()

    # -- the cache API -------------------------------------------------------

    def add(
        self,
        key: str,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        return self._call(
            "add",
            lambda: super(ResilientRedisCache, self).add(key, value, timeout, version),
            lambda: self._local.add(key, value, timeout, version),
            writes=[key],
            version=version,
        )

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        return self._call(
            "get",
            lambda: super(ResilientRedisCache, self).get(key, default, version),
            lambda: self._local.get(key, default, version),
        )

    def set(
        self,
        key: str,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        return self._call(
            "set",
            lambda: super(ResilientRedisCache, self).set(key, value, timeout, version),
            lambda: self._local.set(key, value, timeout, version),
            writes=[key],
            version=version,
        )

    def touch(
        self, key: str, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._call(
            "touch",
            lambda: super(ResilientRedisCache, self).touch(key, timeout, version),
            lambda: self._local.touch(key, timeout, version),
            writes=[key],
            version=version,
        )

    def delete(self, key: str, version: int | None = None) -> bool:
        return self._call(
            "delete",
            lambda: super(ResilientRedisCache, self).delete(key, version),
            lambda: self._local.delete(key, version),
            writes=[key],
            version=version,
        )

    def get_many(self, keys: Iterable[str], version: int | None = None) -> dict[str, Any]:
        keys = list(keys)
        return self._call(
            "get_many",
            lambda: super(ResilientRedisCache, self).get_many(keys, version),
            lambda: self._local.get_many(keys, version),
        )

    def has_key(self, key: str, version: int | None = None) -> bool:
        return self._call(
            "has_key",
            lambda: super(ResilientRedisCache, self).has_key(key, version),
            lambda: self._local.has_key(key, version),
        )

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        return self._call(
            "incr",
            lambda: super(ResilientRedisCache, self).incr(key, delta, version),
            lambda: self._local.incr(key, delta, version),
            writes=[key],
            version=version,
        )

    def set_many(
        self,
        data: dict[str, Any],
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[str]:
        return self._call(
            "set_many",
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            lambda: self._local.set_many(data, timeout, version),
            writes=list(data),
            version=version,
        )

    def delete_many(self, keys: Iterable[str], version: int | None = None) -> None:
        keys = list(keys)
        return self._call(
            "delete_many",
            lambda: super(ResilientRedisCache, self).delete_many(keys, version),
            lambda: self._local.delete_many(keys, version),
            writes=keys,
            version=version,
        )

    def clear(self) -> None:
        # Clearing is an operator's action (tests, a management shell); let it fail loudly.
        self._local.clear()
        super().clear()
