from __future__ import annotations

from django.apps import AppConfig


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    verbose_name = "Sessions"

    def ready(self) -> None:
        from programs import signals
        from sessions_app import checks, emails, receivers, reminders  # noqa: F401 - checks, kinds

        signals.planning_entries_wanted.connect(
            receivers.planning_entries_wanted, dispatch_uid="sessions_app.planning"
        )
        # A host added to or removed from a program gets or loses its sessions' host reminders.
        signals.hosts_changed.connect(
            receivers.hosts_changed, dispatch_uid="sessions_app.hosts_changed"
        )
        # The Sessions section of the Insights pages, and the outbox topics it counts.
        signals.insight_sections_wanted.connect(
            receivers.insight_sections_wanted, dispatch_uid="sessions_app.insight_sections"
        )
        signals.insight_topics_wanted.connect(
            receivers.insight_topics_wanted, dispatch_uid="sessions_app.insight_topics"
        )
        # Calendars' "Accept" / "Decline", mailed back to the invites' ORGANIZER.
        from anymail.signals import inbound

        from sessions_app.calendar_replies import on_inbound

        inbound.connect(on_inbound, dispatch_uid="sessions_app.calendar_replies")
