"""When each reminder of a session is due.

"A day before" is the same local wall-clock time on the previous calendar day in the session's
zone, so a 09:00 session is announced at 09:00 the day before even across a daylight-saving
change (then it is 23 or 25 hours ahead, not 24). "An hour before" and "30 minutes before" are
exact durations. A wall-clock time that does not exist on the previous day (inside a
spring-forward gap) is read with the offset in force before the gap, as zoneinfo does with
fold=0, so it lands just after the gap; an ambiguous one (a fall-back hour) is the first of the
two.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

DAY_BEFORE = "day"
HOUR_BEFORE = "hour"
HALF_HOUR_BEFORE = "30min"
REMINDER_MOMENTS = (DAY_BEFORE, HOUR_BEFORE, HALF_HOUR_BEFORE)
EXACT_OFFSETS = {HOUR_BEFORE: timedelta(hours=1), HALF_HOUR_BEFORE: timedelta(minutes=30)}


def reminder_due_at(
    *,
    kind: str,
    starts_at: datetime,
    time_zone: str,
    overrides: dict[str, timedelta] | None = None,
) -> datetime:
    """The UTC instant at which the reminder `kind` for a session starting at `starts_at` is due.

    `overrides` (the setting SESSION_REMINDER_OFFSETS) replaces a moment by an exact duration,
    so a demo or an end-to-end test can watch every reminder arrive within a minute.
    """
    if overrides and kind in overrides:
        return starts_at - overrides[kind]
    if kind in EXACT_OFFSETS:
        return starts_at - EXACT_OFFSETS[kind]
    if kind != DAY_BEFORE:
        raise ValueError(f"unknown reminder kind {kind!r}")
    zone = zoneinfo.ZoneInfo(time_zone)
    local_start = starts_at.astimezone(zone)
    previous_day = local_start.date() - timedelta(days=1)
    wall_clock = datetime.combine(
        previous_day, local_start.timetz().replace(tzinfo=None), tzinfo=zone
    )
    return wall_clock.replace(fold=0).astimezone(UTC)
