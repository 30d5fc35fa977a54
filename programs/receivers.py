"""What `programs` answers to its own collecting signals (connected in its `ready()`), so that
its areas reach the Insights pages the same way as the apps built on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q

from programs.insights import SectionSource
from programs.insights.email import email_section
from programs.insights.rounds import round_topics_q, rounds_section


def insight_sections_wanted(sender: object, **kwargs: Any) -> list[SectionSource]:
    """The Rounds and E-mail sections of the Insights pages."""
    return [
        SectionSource(slug="rounds", order=30, build=rounds_section),
        SectionSource(slug="email", order=40, build=email_section),
    ]


def insight_topics_wanted(sender: object, *, program_ids: Sequence[int], **kwargs: Any) -> Q:
    """The outbox topics of the programs' rounds and of the programs themselves."""
    return round_topics_q(program_ids)
