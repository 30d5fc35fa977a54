"""What sessions_app does when programs tells it something (connected in its `ready()`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import Q

from programs.insights import SectionSource
from programs.planning import PlanningEntry
from sessions_app import reminders
from sessions_app.insights import session_topics_q, sessions_section
from sessions_app.planning import sessions_planning_source


def hosts_changed(sender: object, *, program_id: int, now: datetime, **kwargs: Any) -> None:
    """A host added to or removed from a program gets or loses its sessions' host reminders."""
    reminders.program_host_reminders_plan(program_id=program_id, now=now)


def planning_entries_wanted(
    sender: object, *, program_ids: Sequence[int], start: datetime, end: datetime, **kwargs: Any
) -> list[PlanningEntry]:
    """The sessions on the planning views."""
    return sessions_planning_source(program_ids=program_ids, start=start, end=end)


def insight_sections_wanted(sender: object, **kwargs: Any) -> list[SectionSource]:
    """The Sessions section of the Insights pages."""
    return [SectionSource(slug="sessions", order=10, build=sessions_section)]


def insight_topics_wanted(sender: object, *, program_ids: Sequence[int], **kwargs: Any) -> Q:
    """The outbox topics `session:<id>` of the programs' sessions."""
    return session_topics_q(program_ids)
