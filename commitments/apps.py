from __future__ import annotations

from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "Commitments"

    def ready(self) -> None:
        from commitments import emails, receivers  # noqa: F401 - emails registers the kinds
        from programs import signals

        # The Commitments section of the Insights pages, and the outbox topics it counts.
        signals.insight_sections_wanted.connect(
            receivers.insight_sections_wanted, dispatch_uid="commitments.insight_sections"
        )
        signals.insight_topics_wanted.connect(
            receivers.insight_topics_wanted, dispatch_uid="commitments.insight_topics"
        )
