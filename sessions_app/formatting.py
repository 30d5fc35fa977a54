"""How a session's time reads in e-mails and other text: in the reader's zone when known, with
the session's own zone beside it when that differs (pages use `programs.templatetags.zones`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from programs.timezones import moment_text
from sessions_app.models import Session


def session_when(session: Session, *, viewer_zone: str = "") -> str:
    """Reads like "Monday 23 November 2026, 18:00 to 19:00 Berlin time", or for a reader in
    Tokyo "Tuesday 24 November 2026, 02:00 to 03:00 Tokyo time · Monday 23 November, 18:00 to
    19:00 in Berlin"."""
    return when_text(session.starts_at, session.duration_minutes, session.time_zone, viewer_zone)


@lru_cache(maxsize=1024)
def when_text(
    starts_at: datetime, duration_minutes: int, time_zone: str, viewer_zone: str = ""
) -> str:
    # Cached by value: the dispatcher renders thousands of e-mails about the same session.
    return str(
        moment_text(
            starts_at,
            viewer_zone=viewer_zone or time_zone,
            event_zone=time_zone,
            end=starts_at + timedelta(minutes=duration_minutes),
        )
    )
