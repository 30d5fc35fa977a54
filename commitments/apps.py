from __future__ import annotations

from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "Commitments"

    def ready(self) -> None:
        from commitments import emails  # noqa: F401 - registers the message kinds
        from commitments.insights import commitment_topics_q, commitments_section
        from programs.insights import register_section, register_topic_source

        register_section("commitments", commitments_section, order=20)
        register_topic_source("commitments", commitment_topics_q)
