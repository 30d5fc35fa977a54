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


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_password_guessing_on_one_account_is_stopped_even_with_the_right_password(
    client: Client,
) -> None:
    UserFactory(email="ada@example.org")
    for _ in range(LOGIN_ATTEMPTS_PER_ACCOUNT):
        response = client.post(
            reverse("login"), {"username": "ada@example.org", "password": "guess"}
        )
        assert "Please enter a correct" in response.text
    blocked = client.post(
        reverse("login"), {"username": "ADA@example.org", "password": TEST_PASSWORD}
    )
    assert "Too many sign-in attempts. Wait" in blocked.text
    assert "_auth_user_id" not in client.session
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
