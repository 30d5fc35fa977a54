from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.models import Round
from sessions_app.models import Session
from tests.factories import SessionFactory, hosted_program

pytestmark = pytest.mark.django_db


def _planning(client, program, view: str):
    url = reverse("programs:program_planning", kwargs={"program_id": program.pk})
    return client.get(url, {"view": view, "date": "2026-06-01", "tz": "Asia/Tokyo"})


def test_sessions_appear_in_the_planning_views_in_the_chosen_zone(host, host_client) -> None:
    program = hosted_program(user=host)
    SessionFactory(
        program=program, title="Breathwork live", starts_at=datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
    )
    for view in ("month", "week", "list"):
        page = _planning(host_client, program, view).text
        assert "Breathwork live" in page, view
        assert "18:00" in page, view  # 09:00 UTC is 18:00 in Tokyo


def _fill(program, count: int, prefix: str) -> None:
    start = datetime(2026, 6, 1, tzinfo=UTC)
    Round.objects.bulk_create(
        [
            Round(program=program, match_at=start + timedelta(hours=i), time_zone="UTC")
            for i in range(count)
        ]
    )
    Session.objects.bulk_create(
        [
            Session(
                program=program,
                title=f"S{i}",
                starts_at=start + timedelta(minutes=30 * i + 15),
                ends_at=start + timedelta(minutes=30 * i + 75),
                time_zone="UTC",
                code=f"{prefix}{i:06d}",
            )
            for i in range(count)
        ]
    )


@pytest.mark.parametrize("view", ["month", "week", "list"])
def test_planning_with_500_rounds_and_500_sessions_issues_flat_queries(
    host, host_client, view
) -> None:
    small, large = hosted_program(user=host), hosted_program(user=host)
    _fill(small, 2, "QA")
    _fill(large, 500, "QB")
    counts = []
    for program in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert _planning(host_client, program, view).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
