from __future__ import annotations

from django.apps import AppConfig


class GuestsConfig(AppConfig):
    name = "guests"

    def ready(self) -> None:
        from guests.selectors import guest_identity_current
        from sessions_app.room_access import participant_check_register

        # The room trusts a remembered guest only while its guest link is still current.
        participant_check_register(prefix="guest", check=guest_identity_current)
