from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from programs.forms import LOGIN_ATTEMPTS_PER_ACCOUNT
from reminders.dispatcher import outbox_dispatch
from reminders.models import Message
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _guess_until_blocked(client: Client, *, url: str, refusal: str, username: str) -> None:
    """Spend the per-account guesses, then check the right password is refused too."""
    for _ in range(LOGIN_ATTEMPTS_PER_ACCOUNT):
        response = client.post(url, {"username": "ada@example.org", "password": "guess"})
        assert refusal in response.text
    blocked = client.post(url, {"username": username, "password": TEST_PASSWORD})
    assert "Too many sign-in attempts. Wait" in blocked.text
    assert "_auth_user_id" not in client.session


def test_password_guessing_on_one_account_is_stopped_even_with_the_right_password(
    client: Client,
) -> None:
    UserFactory(email="ada@example.org")
    _guess_until_blocked(
        client, url=reverse("login"), refusal="Please enter a correct", username="ADA@example.org"
    )
    # Another account from elsewhere is not affected.
    UserFactory(email="bob@example.org")
    other = Client(REMOTE_ADDR="203.0.113.9").post(
        reverse("login"), {"username": "bob@example.org", "password": TEST_PASSWORD}
    )
    assert other.status_code == 302


def test_password_reset_sends_one_mail_per_window_and_limits_each_client(client: Client) -> None:
    UserFactory(email="ada@example.org")
    for _ in range(5):
        client.post(reverse("password_reset"), {"email": "ada@example.org"})
    assert Message.objects.filter(kind="password_reset").count() == 1
    outbox_dispatch()
    for _ in range(6):
        response = client.post(reverse("password_reset"), {"email": "someone@example.org"})
    assert "Too many reset requests from here" in response.text


def test_many_clients_guessing_one_account_are_stopped_together(settings) -> None:
    from programs import forms

    UserFactory(email="ada@example.org")
    for index in range(forms.LOGIN_ATTEMPTS_PER_ACCOUNT_ANYWHERE):
        Client(REMOTE_ADDR=f"10.0.{index // 250}.{index % 250}").post(
            reverse("login"), {"username": "Ada@Example.org", "password": "guess"}
        )
    late = Client(REMOTE_ADDR="192.0.2.1").post(
        reverse("login"), {"username": "ada@example.org", "password": "x"}
    )
    assert "Too many sign-in attempts" in late.text


def test_a_sign_up_that_loses_a_race_for_the_address_asks_to_sign_in(
    client: Client, settings
) -> None:
    settings.SIGNUP_OPEN = True
    # As if another request created the account between this form's checks and its save.
    UserFactory(username="grace@example.org", email="someone-else@example.org")
    response = client.post(
        reverse("programs:signup"),
        {
            "name": "Grace Hopper",
            "email": "grace@example.org",
            "password": "a-long-enough-password",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "exists already: please sign in" in response.text
    assert response.redirect_chain[-1][0].startswith(reverse("login"))


def test_the_admin_sign_in_shares_the_password_guessing_limit(client: Client) -> None:
    # The admin has its own login page; guesses there count, and a block there holds too.
    UserFactory(email="ada@example.org", is_staff=True, is_superuser=True)
    _guess_until_blocked(
        client,
        url=reverse("admin:login"),
        refusal="Please enter the correct",
        username="ada@example.org",
    )
    site = client.post(reverse("login"), {"username": "ada@example.org", "password": TEST_PASSWORD})
    assert "Too many sign-in attempts. Wait" in site.text


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_a_nul_in_the_sign_in_address_is_refused_with_a_message(
    client: Client, url_name: str
) -> None:
    UserFactory(email="ada@example.org")
    response = client.post(
        reverse(url_name), {"username": "ada\x00@example.org", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert "Remove the invisible control character (U+0000)" in response.text
    assert "_auth_user_id" not in client.session


def _cache_keys() -> list[str]:
    backend = cache._cache
    if hasattr(backend, "get_client"):  # Redis
        return [key.decode() for key in backend.get_client().keys("*")]
    return list(backend)  # local memory


def test_typed_addresses_never_become_cache_keys(client: Client) -> None:
    client.post(reverse("login"), {"username": "Stranger.Name@Example.org", "password": "x"})
    keys = _cache_keys()
    assert any("login-account" in key for key in keys)
    assert not any("stranger" in key.lower() for key in keys)
