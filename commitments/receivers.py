"""What commitments does when programs tells it something (connected in its `ready()`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q

from commitments.insights import commitment_topics_q, commitments_section
from programs.insights import SectionSource


def insight_sections_wanted(sender: object, **kwargs: Any) -> list[SectionSource]:
    """The Commitments section of the Insights pages."""
    return [SectionSource(slug="commitments", order=20, build=commitments_section)]


def insight_topics_wanted(sender: object, *, program_ids: Sequence[int], **kwargs: Any) -> Q:
    """The outbox topics `commitment:<id>` of the programs' commitments."""
    return commitment_topics_q(program_ids)
