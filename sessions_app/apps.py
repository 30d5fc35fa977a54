from __future__ import annotations

from django.apps import AppConfig


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    verbose_name = "Sessions"

    def ready(self) -> None:
        from programs.planning import register_planning_source
        from sessions_app import emails, reminders  # noqa: F401 - register the message kinds
        from sessions_app.planning import sessions_planning_source

        register_planning_source("sessions", sessions_planning_source)
