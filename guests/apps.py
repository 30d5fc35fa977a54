from __future__ import annotations

from django.apps import AppConfig


class GuestsConfig(AppConfig):
    name = "guests"

    def ready(self) -> None:
        from guests.selectors import guest_identity_current
        from guests.services import guest_link_for
        from sessions_app.room_access import participant_check_register
        from sessions_app.services import session_created_hook_register

        # The room trusts a remembered guest only while its guest link is still current.
        participant_check_register(prefix="guest", check=guest_identity_current)
        # Every session gets its guest link when it is created: pages only read it.
        session_created_hook_register(guest_link_for)
