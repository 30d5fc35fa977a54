from __future__ import annotations

from django.apps import AppConfig


class GuestsConfig(AppConfig):
    name = "guests"

    def ready(self) -> None:
        from guests.selectors import guest_identity_current
        from guests.services import GUEST_KEY_PREFIX, guest_link_for, guest_removed
        from sessions_app.room_access import participant_check_register
        from sessions_app.rooms import participant_removed_hook_register
        from sessions_app.services import session_created_hook_register

        # The room trusts a remembered guest only while their pass is not revoked.
        participant_check_register(prefix=GUEST_KEY_PREFIX, check=guest_identity_current)
        # Removing a guest replaces the shared link they hold.
        participant_removed_hook_register(prefix=GUEST_KEY_PREFIX, hook=guest_removed)
        # Every session gets its guest link when it is created: pages only read it.
        session_created_hook_register(guest_link_for)
