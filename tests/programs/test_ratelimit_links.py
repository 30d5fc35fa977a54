from __future__ import annotations

import pytest
from django.test import override_settings

from programs.links import public_url
from reminders.ratelimit import rate_limit_hit
from tests.factories import ProgramFactory


def test_rate_limit_allows_up_to_the_limit_then_refuses_with_a_wait() -> None:
    results = [
        rate_limit_hit(scope="t", key="1.2.3.4", limit=3, window_seconds=60) for _ in range(4)
    ]
    assert [result.allowed for result in results] == [True, True, True, False]
    assert 1 <= results[-1].retry_after_seconds <= 60
    assert rate_limit_hit(scope="t", key="5.6.7.8", limit=3, window_seconds=60).allowed


@pytest.mark.django_db
@override_settings(PUBLIC_BASE_URL="https://convene.example")
def test_public_links_use_the_programs_own_host_name_when_it_has_one() -> None:
    plain = ProgramFactory()
    branded = ProgramFactory(start_host_name="start.habits.example")
    assert public_url("/start/", program=plain) == "https://convene.example/start/"
    assert public_url("/start/", program=branded) == "https://start.habits.example/start/"
    assert public_url("/start/") == "https://convene.example/start/"
