"""Planning views: month, week and list, in a chosen zone, with registered sources."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs import planning, signals
from programs.models import Round, RoundState
from tests.factories import ProgramFactory, RoundFactory, SessionFactory, hosted_program

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def fake_sessions_source() -> Iterator[None]:
    """Stands in for the source the sessions app registers (programs cannot import it)."""
    from sessions_app.models import Session

    def source(sender, *, program_ids, start, end, **kwargs):
        sessions = Session.objects.filter(
            program_id__in=program_ids, starts_at__gte=start, starts_at__lt=end
        ).select_related("program")
        return [
            planning.PlanningEntry(
                starts_at=session.starts_at,
                title=session.title,
                kind="session",
                url=f"/sessions/{session.pk}/",
                program_id=session.program_id,
                program_name=session.program.name,
                state=session.get_state_display(),
            )
            for session in sessions
        ]

    signals.planning_entries_wanted.connect(source, dispatch_uid="test-sessions")
    yield
    signals.planning_entries_wanted.disconnect(dispatch_uid="test-sessions")


def _url(program=None, **params) -> str:
    base = (
        reverse("programs:program_planning", kwargs={"program_id": program.pk})
        if program
        else reverse("programs:planning")
    )
    return base + "?" + "&".join(f"{key}={value}" for key, value in params.items())


def test_the_month_view_shows_rounds_and_sessions_on_their_days(
    host, host_client, fake_sessions_source
) -> None:
    program = hosted_program(user=host)
    RoundFactory(program=program, match_at=datetime(2026, 6, 12, 16, 0, tzinfo=UTC))
    SessionFactory(
        program=program, title="Kick-off call", starts_at=datetime(2026, 6, 20, 8, tzinfo=UTC)
    )
    page = host_client.get(_url(program, view="month", tz="UTC")).content.decode()
    assert "June 2026" in page
    assert "16:00 Matching round of" in page
    assert "08:00 Kick-off call" in page


def test_the_zone_switcher_re_renders_every_time(host, host_client) -> None:
    program = hosted_program(user=host)
    # 23:30 UTC on 30 June is already 1 July in Tokyo.
    RoundFactory(program=program, match_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    utc = host_client.get(_url(program, view="list", date="2026-06-01", tz="UTC")).content.decode()
    tokyo = host_client.get(
        _url(program, view="list", date="2026-06-01", tz="Asia/Tokyo")
    ).content.decode()
    assert "Tue 30 Jun 2026, 23:30 UTC" in utc
    assert "Wed 1 Jul 2026, 08:30 Tokyo time" in tokyo
    week = host_client.get(
        _url(program, view="week", date="2026-07-01", tz="Asia/Tokyo")
    ).content.decode()
    assert "08:30 Matching round" in week
    week_utc = host_client.get(
        _url(program, view="week", date="2026-07-01", tz="UTC")
    ).content.decode()
    assert "23:30 Matching round" in week_utc


def test_the_remembered_viewer_zone_is_the_default(host, host_client) -> None:
    program = hosted_program(user=host)
    RoundFactory(program=program, match_at=datetime(2026, 6, 15, 7, 0, tzinfo=UTC))
    host_client.post(reverse("programs:set_time_zone"), {"time_zone": "America/New_York"})
    page = host_client.get(_url(program, view="list", date="2026-06-01")).content.decode()
    assert "Mon 15 Jun 2026, 03:00 New York time" in page


def test_the_host_planning_covers_every_hosted_program_and_nothing_else(host, host_client) -> None:
    mine = [hosted_program(user=host, name=f"Mine {i}") for i in range(2)]
    other = ProgramFactory(name="Not mine")
    for program in [*mine, other]:
        RoundFactory(program=program, match_at=NOW + timedelta(days=2))
    page = host_client.get(_url(view="list", tz="UTC")).content.decode()
    assert "Mine 0" in page and "Mine 1" in page
    assert "Not mine" not in page
    nav = host_client.get(reverse("programs:dashboard")).content.decode()
    assert 'href="/planning/"' in nav


def test_list_view_shows_past_and_planned_and_cancelled(host, host_client) -> None:
    program = hosted_program(user=host)
    RoundFactory(program=program, match_at=NOW - timedelta(days=5), state=RoundState.MATCHED)
    RoundFactory(program=program, match_at=NOW + timedelta(days=5))
    RoundFactory(program=program, match_at=NOW + timedelta(days=6), state=RoundState.CANCELLED)
    page = host_client.get(_url(program, view="list", tz="UTC")).content.decode()
    assert "Matched" in page and "Scheduled" in page and "is-cancelled" in page


def test_a_bad_date_or_view_falls_back_instead_of_failing(host, host_client) -> None:
    program = hosted_program(user=host)
    response = host_client.get(_url(program, view="year", date="yesterday", tz="Mars/Base"))
    assert response.status_code == 200
    assert "June 2026" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"date": "9999-12-20"},
        {"view": "week", "date": "9999-12-30"},
        {"view": "list", "date": "9999-12-30"},
        {"date": "0001-01-01", "tz": "Asia/Tokyo"},
    ],
)
def test_a_date_at_the_ends_of_the_calendar_falls_back_to_today(
    host, host_client, params: dict[str, str]
) -> None:
    program = hosted_program(user=host)
    response = host_client.get(_url(program, **params))
    assert response.status_code == 200
    assert "June 2026" in response.content.decode()


def test_another_hosts_planning_answers_404(host_client) -> None:
    assert host_client.get(_url(hosted_program(), view="month")).status_code == 404


def _fill(program, count: int) -> None:
    Round.objects.bulk_create(
        [
            Round(
                program=program,
                match_at=datetime(2026, 6, 1, tzinfo=UTC) + timedelta(minutes=40 * i),
                time_zone="UTC",
            )
            for i in range(count)
        ]
    )
    for i in range(count // 10):
        SessionFactory(
            program=program, starts_at=datetime(2026, 6, 2, tzinfo=UTC) + timedelta(hours=i)
        )


@pytest.mark.parametrize("view", ["month", "week", "list"])
def test_planning_queries_do_not_grow_with_the_rows(
    host, host_client, fake_sessions_source, view: str
) -> None:
    small = hosted_program(user=host)
    large = hosted_program(user=host)
    _fill(small, 3)
    _fill(large, 1000)
    counts = {}
    for name, program in (("small", small), ("large", large)):
        with CaptureQueriesContext(connection) as queries:
            response = host_client.get(_url(program, view=view, date="2026-06-01", tz="UTC"))
        assert response.status_code == 200
        counts[name] = len(queries)
    assert counts["small"] == counts["large"]
    with CaptureQueriesContext(connection) as queries:
        host_client.get(_url(view=view, date="2026-06-01", tz="UTC"))
    assert len(queries) <= counts["large"] + 1


def _weekly_series(program, *, first_match_at: datetime, opt_in_days: int = 2) -> Round:
    return RoundFactory(
        program=program,
        match_at=first_match_at,
        opt_in_at=first_match_at - timedelta(days=opt_in_days),
        time_zone="Europe/Berlin",
        recurrence_weeks=1,
    )


def test_the_planning_shows_the_coming_rounds_of_a_series_and_the_opt_in_moments(
    host, host_client
) -> None:
    program = hosted_program(user=host)
    # Thursdays 18:00 in Berlin, opt-in on Tuesdays at 18:00; only the first round exists.
    _weekly_series(program, first_match_at=datetime(2026, 6, 11, 16, 0, tzinfo=UTC))
    page = host_client.get(
        _url(program, view="list", date="2026-06-01", tz="Europe/Berlin")
    ).content.decode()
    thursdays = [f"Thu {day} Jun 2026, 18:00" for day in (11, 18, 25)] + [
        f"Thu {day} Jul 2026, 18:00" for day in (2, 9, 16, 23, 30)
    ]
    for when in thursdays:  # the next eight weeks at least
        assert when in page, when
    assert "Tue 16 Jun 2026, 18:00" in page and "Opt-in e-mails of" in page
    assert "Coming (repeats)" in page
    assert "Coming round of a series" in page  # the legend
    autumn = hosted_program(user=host)
    _weekly_series(autumn, first_match_at=datetime(2026, 10, 1, 16, 0, tzinfo=UTC))
    month = host_client.get(
        _url(autumn, view="month", date="2026-11-01", tz="Europe/Berlin")
    ).content.decode()
    # After the autumn change the series is still at 18:00 local.
    assert "18:00 Matching round of" in month and "17:00 Matching round of" not in month


def test_planning_queries_do_not_grow_with_the_series(host, host_client) -> None:
    counts = []
    for size in (1, 15):
        program = hosted_program(user=host)
        for index in range(size):
            _weekly_series(
                program,
                first_match_at=datetime(2026, 6, 11, 16, tzinfo=UTC) + timedelta(hours=index),
            )
        with CaptureQueriesContext(connection) as queries:
            response = host_client.get(_url(program, view="list", date="2026-06-01", tz="UTC"))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
