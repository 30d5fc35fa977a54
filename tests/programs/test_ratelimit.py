from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, RequestFactory, override_settings

from reminders.ratelimit import (
    client_address,
    client_limit_key,
    leaky_limit_hit,
    leaky_limit_peek,
    mailbox_key,
)

PROXIED = {"TRUSTED_PROXY_COUNT": 1, "TRUSTED_PROXY_NETWORKS": ["10.0.0.0/8"]}


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@override_settings(TRUSTED_PROXY_COUNT=0, TRUSTED_PROXY_NETWORKS=[])
def test_a_direct_deployment_ignores_forwarded_headers() -> None:
    assert client_address(_request("198.51.100.7", "203.0.113.1")) == "198.51.100.7"
    assert client_address(_request("198.51.100.7")) == "198.51.100.7"


@override_settings(**PROXIED)
def test_behind_a_trusted_proxy_the_address_it_saw_is_the_client() -> None:
    assert client_address(_request("10.0.0.2", "198.51.100.7")) == "198.51.100.7"
    # What the client wrote itself, left of the proxy's entry, is ignored.
    assert client_address(_request("10.0.0.2", "203.0.113.1, 198.51.100.7")) == "198.51.100.7"
    # No forwarded address: the request did not come through the proxy's front door.
    assert client_address(_request("10.0.0.2")) == "10.0.0.2"


@override_settings(**PROXIED)
def test_forwarded_headers_from_an_untrusted_peer_change_nothing() -> None:
    assert client_address(_request("198.51.100.7", "203.0.113.1")) == "198.51.100.7"


@override_settings(TRUSTED_PROXY_COUNT=2, TRUSTED_PROXY_NETWORKS=[])
def test_two_proxies_in_a_row() -> None:
    request = _request("10.0.0.3", "203.0.113.1, 198.51.100.7, 10.0.0.2")
    assert client_address(request) == "198.51.100.7"


@override_settings(TRUSTED_PROXY_COUNT=0, TRUSTED_PROXY_NETWORKS=[])
def test_ipv6_clients_are_limited_per_slash_64() -> None:
    one = client_limit_key(_request("2001:db8:1:2:aaaa::1"))
    other = client_limit_key(_request("2001:db8:1:2:bbbb::9"))
    assert one == other == "2001:db8:1:2::/64"
    assert client_limit_key(_request("198.51.100.7")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("Victim+1@Example.org", "victim@example.org"),
        ("victim+a+b@example.org", "victim@example.org"),
        (" victim@example.org ", "victim@example.org"),
    ],
)
def test_mailboxes_fold_case_and_plus_tags(address: str, mailbox: str) -> None:
    assert mailbox_key(address) == mailbox


@pytest.mark.django_db
def test_a_leaky_bucket_lets_a_burst_through_then_one_attempt_per_interval() -> None:
    limits = {"scope": "test", "key": "k", "capacity": 3, "window_seconds": 60}
    with time_machine.travel(datetime(2026, 11, 20, 9, 0, tzinfo=UTC), tick=False) as clock:
        assert [leaky_limit_hit(**limits).allowed for _ in range(3)] == [True] * 3
        refused = leaky_limit_peek(**limits)
        assert not refused.allowed
        assert 20 <= refused.retry_after_seconds <= 21
        clock.shift(timedelta(seconds=refused.retry_after_seconds))
        assert leaky_limit_peek(**limits).allowed
        assert leaky_limit_hit(**limits).allowed
        assert not leaky_limit_peek(**limits).allowed
        clock.shift(timedelta(minutes=2))
        assert [leaky_limit_hit(**limits).allowed for _ in range(3)] == [True] * 3


@pytest.mark.django_db
@override_settings(**PROXIED)
def test_behind_a_trusted_proxy_each_client_has_its_own_sign_in_and_reset_limits() -> None:
    from django.urls import reverse

    from tests.factories import TEST_PASSWORD, UserFactory

    UserFactory(email="ada@example.org")
    guesser = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    for index in range(30):
        guesser.post(reverse("login"), {"username": f"u{index}@example.org", "password": "x"})
    refused = guesser.post(reverse("login"), {"username": "ada@example.org", "password": "x"})
    assert "Too many sign-in attempts" in refused.text
    for _ in range(10):
        guesser.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert (
        "Too many reset requests"
        in guesser.post(reverse("password_reset"), {"email": "nobody@example.org"}).text
    )
    # Another client through the same proxy is not held back by either.
    other = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.20")
    signed_in = other.post(
        reverse("login"), {"username": "ada@example.org", "password": TEST_PASSWORD}
    )
    assert signed_in.status_code == 302
    reset = other.post(reverse("password_reset"), {"email": "ada@example.org"})
    assert reset.status_code == 302
