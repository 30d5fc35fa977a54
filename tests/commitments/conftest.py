from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Rate-limit counters and cached QR codes live in the cache: start every test empty."""
    cache.clear()
    yield
    cache.clear()
