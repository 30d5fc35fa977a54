from __future__ import annotations

from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Programs"

    def ready(self) -> None:
        from programs import emails, round_emails  # noqa: F401 - registers the message kinds
        from programs.insights import register_section, register_topic_source
        from programs.insights.email import email_section
        from programs.insights.rounds import round_topics_q, rounds_section

        register_section("rounds", rounds_section, order=30)
        register_section("email", email_section, order=40)
        register_topic_source("rounds", round_topics_q)
