"""Redis outages never reach visitors: the cache answers from process memory meanwhile, and
the outbox needs no broker at registration time (docs/outages.md).

Every outage here is of a redis-server of the test's own, on a spare port."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from reminders.models import CapturedEmail, Message, MessageStatus
from sessions_app.models import Registration
from sessions_app.services import CONFIRMATION
from tests.factories import TEST_PASSWORD, UserFactory, hosted_session
from tests.support.redis_server import RedisServer
from tests.support.workers import CeleryProcesses, wait_until


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(directory=tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


@pytest.fixture
def cache_on_own_redis(own_redis: RedisServer) -> Iterator[RedisServer]:
    location = {
        "BACKEND": "config.cache.ResilientRedisCache",
        "LOCATION": own_redis.url(0),
        "KEY_PREFIX": "convene",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    with override_settings(CACHES={"default": location}):
        yield own_redis


def _public_pages(session) -> list[str]:
    code = {"code": session.code}
    return [
        reverse("sessions_app:public", kwargs=code),
        reverse("sessions_app:register", kwargs=code),
        reverse("sessions_app:registered", kwargs=code),
        reverse("sessions_app:ics", kwargs=code),
        reverse("sessions_app:room_prejoin", kwargs=code),
        f"{reverse('sessions_app:lookup')}?code={session.code}",
        f"{reverse('sessions_app:lookup')}?code=ZZZZ-ZZZ1",
        reverse("commitments:start"),
        reverse("login"),
        "/",
    ]


@pytest.mark.django_db
def test_with_the_cache_unreachable_pages_answer_and_limits_still_hold(cache_on_own_redis) -> None:
    server = cache_on_own_redis
    session = hosted_session(starts_at=timezone.now() + timedelta(days=3))
    visitor = Client(raise_request_exception=False)
    assert visitor.get(_public_pages(session)[0]).status_code == 200
    os.kill(server.process.pid, signal.SIGSTOP)  # unreachable: every call times out
    started = time.monotonic()
    statuses = Counter(visitor.get(url).status_code for url in _public_pages(session) * 3)
    elapsed = time.monotonic() - started
    assert not [status for status in statuses if status >= 500], statuses
    # A dead server costs one timeout, then calls skip it for a while.
    assert elapsed < 10
    # The guessing limit keeps counting, in this process's memory.
    guesser = Client(REMOTE_ADDR="198.51.100.7", raise_request_exception=False)
    guesses = [
        guesser.get(reverse("sessions_app:public", kwargs={"code": f"QQQQ{n:04d}"})).status_code
        for n in range(31)
    ]
    assert guesses == [404] * 30 + [429]
    os.kill(server.process.pid, signal.SIGCONT)


@pytest.mark.django_db
def test_a_session_signed_out_during_the_outage_stays_signed_out_when_redis_returns(
    cache_on_own_redis,
) -> None:
    server = cache_on_own_redis
    user = UserFactory()
    browser = Client(raise_request_exception=False)
    assert browser.login(username=user.email, password=TEST_PASSWORD)
    cookie = browser.cookies["sessionid"].value
    assert browser.get(reverse("programs:dashboard")).status_code == 200
    os.kill(server.process.pid, signal.SIGSTOP)
    assert browser.post(reverse("logout")).status_code == 302
    os.kill(server.process.pid, signal.SIGCONT)
    time.sleep(2.1)  # the fallback's retry interval
    cache.get("anything")  # the first call to reach Redis again forgets what changed meanwhile
    stale = Client(raise_request_exception=False)
    stale.cookies["sessionid"] = cookie
    response = stale.get(reverse("programs:dashboard"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.services
def test_redis_stopped_while_500_requests_and_50_registrations_arrive(
    requires_postgres, transactional_db, tmp_path, cache_on_own_redis
) -> None:
    server = cache_on_own_redis
    session = hosted_session(starts_at=timezone.now() + timedelta(days=3), capacity=200)
    workers = CeleryProcesses(redis_url=server.url(0), var_dir=tmp_path, extra_env={})
    try:
        workers.start_worker()
        workers.start_beat()
        # Both are up and consuming: a message queued now is sent.
        Message.objects.create(
            kind="test_plain",
            topic="outage",
            recipient_email="before@example.org",
            due_at=timezone.now(),
            dedupe_key="outage:before",
        )
        assert wait_until(lambda: CapturedEmail.objects.count() == 1, timeout=60), workers.logs()

        server.stop()
        stopped_at = time.monotonic()
        statuses: Counter[int] = Counter()
        pages = _public_pages(session)
        for index in range(500):
            visitor = Client(REMOTE_ADDR=f"198.51.{index // 250}.{index % 250 + 1}")
            visitor.raise_request_exception = False
            statuses[visitor.get(pages[index % len(pages)]).status_code] += 1
        for index in range(50):
            person = Client(REMOTE_ADDR=f"203.0.113.{index + 1}")
            person.raise_request_exception = False
            response = person.post(
                reverse("sessions_app:register", kwargs={"code": session.code}),
                {"email": f"person{index}@example.org", "name": f"Person {index}"},
            )
            statuses[response.status_code] += 1
        outage_seconds = time.monotonic() - stopped_at
        assert sum(count for status, count in statuses.items() if status >= 500) == 0, statuses
        assert Registration.objects.filter(session=session).count() == 50
        # With the broker gone, beat cannot ask the worker to send anything.
        sent_during_outage = CapturedEmail.objects.filter(message__kind=CONFIRMATION).count()

        server.start()
        returned_at = time.monotonic()
        delivered = wait_until(
            lambda: CapturedEmail.objects.filter(message__kind=CONFIRMATION).count() == 50,
            timeout=180,
            interval=0.5,
        )
        assert delivered, workers.logs()
        print(
            f"outage {outage_seconds:.1f}s, responses {dict(statuses)}, "
            f"confirmations sent during it {sent_during_outage}, "
            f"all 50 sent {time.monotonic() - returned_at:.1f}s after Redis returned"
        )
        assert Message.objects.filter(kind=CONFIRMATION, status=MessageStatus.SENT).count() == 50
        # Worker and beat were never restarted: they reconnected by themselves.
        assert all(process.poll() is None for process in workers.processes.values())
    finally:
        workers.stop_all()
