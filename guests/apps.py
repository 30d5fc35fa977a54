from __future__ import annotations

from django.apps import AppConfig


class GuestsConfig(AppConfig):
    name = "guests"

    def ready(self) -> None:
        from guests import receivers
        from sessions_app import signals

        signals.participant_vouch.connect(receivers.guest_vouch, dispatch_uid="guests.guest_vouch")
        signals.participant_removed.connect(
            receivers.guest_removed, dispatch_uid="guests.guest_removed"
        )
        signals.session_created.connect(
            receivers.session_created, dispatch_uid="guests.session_created"
        )
