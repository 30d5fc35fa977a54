from __future__ import annotations

from django.apps import AppConfig


class GuestsConfig(AppConfig):
    name = "guests"

    def ready(self) -> None:
        from guests import receivers
        from sessions_app import signals

        signals.participant_vouch.connect(
            receivers.guest_vouch, sender="guest", dispatch_uid="guests.guest_vouch"
        )
        signals.session_created.connect(
            receivers.session_created, dispatch_uid="guests.session_created"
        )
