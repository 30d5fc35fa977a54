"""Sessions in the hosts' planning views (programs renders them through its source registry)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.urls import reverse

from programs.planning import PlanningEntry
from sessions_app.models import Session, SessionState


def sessions_planning_source(
    *, program_ids: Sequence[int], start: datetime, end: datetime
) -> list[PlanningEntry]:
    sessions = (
        Session.objects.filter(program_id__in=program_ids, starts_at__gte=start, starts_at__lt=end)
        .select_related("program")
        .order_by("starts_at", "id")
    )
    return [
        PlanningEntry(
            starts_at=session.starts_at,
            title=session.title,
            kind="session",
            url=reverse("sessions_app:dashboard", kwargs={"session_id": session.pk}),
            program_id=session.program_id,
            program_name=session.program.name,
            state=session.get_state_display(),
            detail=f"{session.duration_minutes} min · Session ID {session.display_code}",
            is_cancelled=session.state == SessionState.CANCELLED,
            time_zone=session.time_zone,
        )
        for session in sessions
    ]
