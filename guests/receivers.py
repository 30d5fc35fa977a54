"""What guests does when sessions_app tells it something (connected in `GuestsConfig.ready`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from guests.selectors import guest_identity_current
from guests.services import GUEST_KEY_PREFIX, guest_link_for
from guests.services import guest_removed as guest_removed_record
from sessions_app.models import Attendance, Session


def session_created(sender: object, *, session: Session, **kwargs: Any) -> None:
    """Every session gets its guest link when it is created: pages only read it."""
    guest_link_for(session=session)


def guest_vouch(
    sender: object, *, prefix: str, session: Session, identity: dict[str, object], **kwargs: Any
) -> bool | None:
    """The room trusts a remembered guest only while their pass holds (others: not ours)."""
    if prefix != GUEST_KEY_PREFIX:
        return None
    return guest_identity_current(session, identity)


def guest_removed(
    sender: object, *, prefix: str, attendance: Attendance, now: datetime, **kwargs: Any
) -> str | None:
    """Removing a guest replaces the shared link they hold; the answer is told to the host."""
    if prefix != GUEST_KEY_PREFIX:
        return None
    return guest_removed_record(attendance=attendance, now=now)
