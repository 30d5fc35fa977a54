from __future__ import annotations

from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Programs"

    def ready(self) -> None:
        from programs import emails, receivers, round_emails, signals  # noqa: F401 - registers the message kinds

        # Its own areas reach the Insights pages as the apps built on it do.
        signals.insight_sections_wanted.connect(
            receivers.insight_sections_wanted, dispatch_uid="programs.insight_sections"
        )
        signals.insight_topics_wanted.connect(
            receivers.insight_topics_wanted, dispatch_uid="programs.insight_topics"
        )
