"""How a session's time reads on pages and in e-mails: in the session's zone, zone named."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from functools import lru_cache

from django.utils.dateformat import format as date_format

from sessions_app.models import Session

DAY = "l j F Y"
TIME = "H:i"


def session_when(session: Session) -> str:
    """Reads like "Monday 23 November 2026, 18:00 to 19:00 (Europe/Berlin)"."""
    return when_text(session.starts_at, session.duration_minutes, session.time_zone)


@lru_cache(maxsize=1024)
def when_text(starts_at: datetime, duration_minutes: int, time_zone: str) -> str:
    # Cached by value: the dispatcher renders thousands of e-mails about the same session.
    zone = zoneinfo.ZoneInfo(time_zone)
    starts = starts_at.astimezone(zone)
    ends = (starts_at + timedelta(minutes=duration_minutes)).astimezone(zone)
    start_text = f"{date_format(starts, DAY)}, {date_format(starts, TIME)}"
    if ends.date() == starts.date():
        end_text = date_format(ends, TIME)
    else:
        end_text = f"{date_format(ends, DAY)}, {date_format(ends, TIME)}"
    return f"{start_text} to {end_text} ({time_zone})"


def session_starts_short(session: Session) -> str:
    """Reads like "Mon 23 Nov 2026, 18:00 Europe/Berlin", for lists and tiles."""
    return f"{date_format(session.local_starts_at, 'D j M Y, H:i')} {session.time_zone}"
