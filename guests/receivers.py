"""What guests does when sessions_app tells it something (connected in `GuestsConfig.ready`)."""

from __future__ import annotations

from typing import Any

from guests.selectors import guest_identity_current
from guests.services import guest_link_for
from sessions_app.models import Session


def session_created(sender: object, *, session: Session, **kwargs: Any) -> None:
    """Every session gets its guest link when it is created: pages only read it."""
    guest_link_for(session=session)


def guest_vouch(
    sender: object, *, session: Session, identity: dict[str, object], **kwargs: Any
) -> bool:
    """The room trusts a remembered guest only while its guest link is still current."""
    return guest_identity_current(session, identity)
