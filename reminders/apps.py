from __future__ import annotations

from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders and e-mail outbox"

    def ready(self) -> None:
        from anymail.signals import tracking

        from reminders import checks  # noqa: F401 - registers the system checks
        from reminders.tracking import on_tracking_event

        tracking.connect(on_tracking_event, dispatch_uid="convene-delivery-tracking")
