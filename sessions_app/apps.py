from __future__ import annotations

from django.apps import AppConfig


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    verbose_name = "Sessions"

    def ready(self) -> None:
        from programs.planning import register_planning_source
        from programs.services import hosts_changed_hook_register
        from sessions_app import checks, emails, reminders  # noqa: F401 - checks, message kinds
        from sessions_app.planning import sessions_planning_source

        register_planning_source("sessions", sessions_planning_source)
        from programs.insights import register_section, register_topic_source
        from sessions_app.insights import session_topics_q, sessions_section

        register_section("sessions", sessions_section, order=10)
        register_topic_source("sessions", session_topics_q)
        # Calendars' "Accept" / "Decline", mailed back to the invites' ORGANIZER.
        from anymail.signals import inbound

        from sessions_app.calendar_replies import on_inbound

        inbound.connect(on_inbound, dispatch_uid="sessions_app.calendar_replies")
        # A host added to or removed from a program gets or loses its sessions' host reminders.
        hosts_changed_hook_register(reminders.program_host_reminders_plan)
