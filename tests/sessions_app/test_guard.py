from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import hosted_session

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, 30, tzinfo=UTC)
STARTS_AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
PROXY = "10.0.0.2"
PROXIED = {"TRUSTED_PROXY_COUNT": 1, "TRUSTED_PROXY_NETWORKS": ["10.0.0.0/8"]}
LIMITS = {"SESSION_LOOKUP_MISSES": 5, "SESSION_LOOKUP_WINDOW_SECONDS": 600}


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _behind_proxy(address: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)


def _guess(client: Client, count: int, prefix: str = "QQQQ") -> list[int]:
    return [
        client.get(
            reverse("sessions_app:public", kwargs={"code": f"{prefix}{index:04d}"})
        ).status_code
        for index in range(count)
    ]


def _public(client: Client, code: str) -> int:
    return client.get(reverse("sessions_app:public", kwargs={"code": code})).status_code


@override_settings(**PROXIED, **LIMITS)
def test_behind_a_trusted_proxy_one_guesser_does_not_block_another_client() -> None:
    session = hosted_session(starts_at=STARTS_AT)
    guesser, visitor = _behind_proxy("198.51.100.7"), _behind_proxy("203.0.113.20")
    assert _guess(guesser, 6) == [404] * 5 + [429]
    assert _public(guesser, session.code) == 429
    assert _public(visitor, session.code) == 200
    assert _guess(visitor, 5, prefix="RRRR") == [404] * 5


@override_settings(TRUSTED_PROXY_COUNT=0, TRUSTED_PROXY_NETWORKS=[], **LIMITS)
def test_in_a_direct_deployment_a_spoofed_forwarded_header_does_not_escape_the_limit() -> None:
    session = hosted_session(starts_at=STARTS_AT)
    guesser = Client(REMOTE_ADDR="198.51.100.7")
    assert _guess(guesser, 6) == [404] * 5 + [429]
    spoofing = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert _public(spoofing, session.code) == 429


@override_settings(**PROXIED, **LIMITS)
def test_forwarded_headers_from_an_untrusted_peer_do_not_escape_the_limit() -> None:
    session = hosted_session(starts_at=STARTS_AT)
    guesser = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert _guess(guesser, 6) == [404] * 5 + [429]
    again = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert _public(again, session.code) == 429


@override_settings(**PROXIED, **LIMITS)
def test_a_client_over_the_limit_is_slowed_down_not_locked_out_for_the_window(
    _frozen_time,
) -> None:
    session = hosted_session(starts_at=STARTS_AT)
    office = _behind_proxy("198.51.100.7")
    assert _guess(office, 6) == [404] * 5 + [429]
    refused = office.get(reverse("sessions_app:public", kwargs={"code": session.code}))
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    # The five misses fell in one minute-long bucket: they age out a window after it.
    assert wait <= 600 // 5 + 1
    assert f"wait {wait} second" in refused.text or "minute" in refused.text
    _frozen_time.shift(timedelta(seconds=wait))
    assert _public(office, session.code) == 200


@override_settings(**PROXIED, SESSION_LOOKUP_MISSES=30, SESSION_LOOKUP_WINDOW_SECONDS=600)
def test_a_steady_guesser_gets_one_miss_every_twenty_seconds_and_colleagues_wait_seconds(
    _frozen_time,
) -> None:
    session = hosted_session(starts_at=STARTS_AT)
    guesser, colleague = _behind_proxy("198.51.100.7"), _behind_proxy("198.51.100.7")
    misses, colleague_waits, colleague_found = 0, [], 0
    for second in range(0, 3600, 5):
        _frozen_time.move_to(NOW + timedelta(seconds=second))
        misses += _guess(guesser, 1, prefix=f"{second:04d}")[0] == 404
        response = colleague.get(reverse("sessions_app:public", kwargs={"code": session.code}))
        if response.status_code == 429:
            colleague_waits.append(int(response["Retry-After"]))
        colleague_found += response.status_code == 200
    # A burst of 30, then one each 20 seconds: 210 in the hour, not one every 5 seconds.
    assert misses <= 30 + 3600 // 20 + 1
    # Sharing the guesser's address, the colleague waits seconds, never the whole window.
    assert colleague_waits
    assert max(colleague_waits) <= 21
    assert colleague_found > 0


@override_settings(**PROXIED, **LIMITS)
def test_typing_the_same_wrong_id_again_is_not_another_miss() -> None:
    session = hosted_session(starts_at=STARTS_AT)
    visitor = _behind_proxy("198.51.100.7")
    for _ in range(20):
        assert _public(visitor, "QQQQ-0001") == 404
        assert _public(visitor, "qqqq0001") == 404
    assert _public(visitor, session.code) == 200
