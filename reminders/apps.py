from __future__ import annotations

from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders and e-mail outbox"

    def ready(self) -> None:
        from anymail.signals import inbound, tracking

        from reminders import checks  # noqa: F401 - registers the system checks
        from reminders.tracking import on_tracking_event
        from reminders.unsubscribe import on_inbound

        tracking.connect(on_tracking_event, dispatch_uid="convene-delivery-tracking")
        # Mail to List-Unsubscribe's mailto stops its stream, like the one-click POST.
        inbound.connect(on_inbound, dispatch_uid="convene-unsubscribe-mail")
