"""Changing a session the way the edit form does: every field as it is, except those given."""

from __future__ import annotations

from datetime import datetime

from sessions_app.models import Session
from sessions_app.services import session_update
from tests.support.replans import replans_run


def session_change(
    session: Session, *, now: datetime, replan: bool = True, **changes: object
) -> bool:
    """`session_update` with the session's current values for every field not in `changes`.

    With `replan`, the background replan of the registrants runs too (its task function,
    called directly), so the outbox is as it is once the worker has done its work.
    """
    fields = {
        "title": session.title,
        "description": session.description,
        "module": session.module,
        "starts_at": session.starts_at,
        "time_zone": session.time_zone,
        "duration_minutes": session.duration_minutes,
        "theme": session.theme,
        "is_registration_required": session.is_registration_required,
        "capacity": session.capacity,
        "remind_day_before": session.remind_day_before,
        "remind_hour_before": session.remind_hour_before,
        "remind_half_hour_before": session.remind_half_hour_before,
        **changes,
    }
    rescheduled = session_update(session=session, now=now, **fields)
    if replan:
        replans_run()
    return rescheduled
