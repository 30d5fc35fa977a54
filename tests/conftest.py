from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client

import tests.support.kinds  # noqa: F401 - registers the test_plain message kind
from tests.factories import TEST_PASSWORD, UserFactory


def _service_missing(reason: str) -> None:
    if settings.REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture
def requires_postgres(db: None) -> None:
    """For tests about PostgreSQL behaviour (row locks, SKIP LOCKED, concurrency)."""
    if connection.vendor != "postgresql":
        _service_missing("needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        _service_missing("needs Redis: set REDIS_URL=redis://…")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        _service_missing(f"Redis at {url} does not answer: {error}")
    return url


@pytest.fixture
def host(db: None):
    return UserFactory()


@pytest.fixture
def host_client(host) -> Client:
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    return client


@pytest.fixture(autouse=True)
def _clean_outbox() -> Iterator[None]:
    mail.outbox = []
    yield


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Rate-limit counters, room state and cached QR codes live in the cache: every test
    starts with it empty, so one test's counted attempts never block another."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def celery_processes(requires_postgres, transactional_db, redis_url, tmp_path):
    """Real Celery worker/beat subprocesses on the test database and Redis; stopped afterwards."""
    from tests.support.workers import CeleryProcesses

    processes = CeleryProcesses(redis_url=redis_url, var_dir=tmp_path, extra_env={})
    processes.flush_broker()
    yield processes
    processes.stop_all()
