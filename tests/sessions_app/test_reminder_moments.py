from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest

from sessions_app.reminder_moments import (
    DAY_BEFORE,
    HALF_HOUR_BEFORE,
    HOUR_BEFORE,
    reminder_due_at,
)


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone))


@pytest.mark.parametrize(
    ("zone", "start", "expected_day_before", "hours_ahead"),
    [
        # An ordinary day: exactly 24 hours.
        ("Europe/Berlin", (2026, 6, 10, 9, 0), (2026, 6, 9, 9, 0), 24),
        # Spring forward in Berlin (29 March 2026): Sunday 09:00 → Saturday 09:00 is 23 hours.
        ("Europe/Berlin", (2026, 3, 29, 9, 0), (2026, 3, 28, 9, 0), 23),
        # Fall back in Berlin (25 October 2026): 25 hours.
        ("Europe/Berlin", (2026, 10, 25, 9, 0), (2026, 10, 24, 9, 0), 25),
        # New York changes on other dates (8 March and 1 November 2026).
        ("America/New_York", (2026, 3, 9, 9, 0), (2026, 3, 8, 9, 0), 24),
        ("America/New_York", (2026, 3, 8, 18, 30), (2026, 3, 7, 18, 30), 23),
        ("America/New_York", (2026, 11, 1, 18, 30), (2026, 10, 31, 18, 30), 25),
        # Southern hemisphere: Sydney goes back on 5 April 2026.
        ("Australia/Sydney", (2026, 4, 5, 10, 0), (2026, 4, 4, 10, 0), 25),
    ],
)
def test_day_before_keeps_the_local_wall_clock_time(
    zone: str, start: tuple[int, ...], expected_day_before: tuple[int, ...], hours_ahead: int
) -> None:
    starts_at = local(zone, *start).astimezone(UTC)
    due = reminder_due_at(kind=DAY_BEFORE, starts_at=starts_at, time_zone=zone)
    assert due == local(zone, *expected_day_before)
    assert starts_at - due == timedelta(hours=hours_ahead)


def test_day_before_inside_a_spring_forward_gap_lands_just_after_it() -> None:
    # 02:30 on 29 March 2026 does not exist in Berlin; a session at 02:30 on the 30th…
    starts_at = local("Europe/Berlin", 2026, 3, 30, 2, 30).astimezone(UTC)
    due = reminder_due_at(kind=DAY_BEFORE, starts_at=starts_at, time_zone="Europe/Berlin")
    assert (
        due.astimezone(zoneinfo.ZoneInfo("Europe/Berlin")).strftime("%d %H:%M %Z")
        == "29 03:30 CEST"
    )


@pytest.mark.parametrize(("kind", "minutes"), [(HOUR_BEFORE, 60), (HALF_HOUR_BEFORE, 30)])
def test_hour_and_half_hour_are_exact_durations_even_across_a_change(
    kind: str, minutes: int
) -> None:
    # 03:15 CEST on 29 March 2026 is 45 minutes after the clocks jumped from 02:00 to 03:00.
    starts_at = local("Europe/Berlin", 2026, 3, 29, 3, 15).astimezone(UTC)
    due = reminder_due_at(kind=kind, starts_at=starts_at, time_zone="Europe/Berlin")
    assert starts_at - due == timedelta(minutes=minutes)


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown reminder kind"):
        reminder_due_at(kind="week", starts_at=datetime.now(UTC), time_zone="UTC")
