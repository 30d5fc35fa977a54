"""Guest links: one per session, issued when the session is created (or by a host's POST for a
session made another way); regenerating kills the old one at once. No page writes on GET."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from guests.models import GuestEntry, GuestLink
from sessions_app import rooms
from sessions_app.models import AttendanceRole, Session


def guest_link_for(*, session: Session) -> GuestLink:
    """The session's guest link, issued if it has none yet (safe to call twice at once)."""
    link = GuestLink.objects.filter(session=session).first()
    if link is not None:
        return link
    try:
        with transaction.atomic():
            return GuestLink.objects.create(session=session)
    except IntegrityError:  # issued concurrently by another request
        return GuestLink.objects.get(session=session)


def guest_link_regenerate(*, guest_link: GuestLink, now: datetime) -> GuestLink:
    """Revoke the current link and issue a new one, in one transaction.

    Guests who came in through the old link are moved out of the room (their next poll says
    so); they come back only through the new link, as a new guest entry.
    """
    with transaction.atomic():
        GuestLink.objects.filter(pk=guest_link.pk).update(
            token_version=F("token_version") + 1, regenerated_at=now
        )
        entry_ids = GuestEntry.objects.filter(guest_link=guest_link).values_list("pk", flat=True)
        rooms.attendances_revoke(
            session_id=guest_link.session_id,
            participant_keys=[guest_participant_key(entry_id) for entry_id in entry_ids],
            now=now,
            remove=False,
        )
    guest_link.refresh_from_db()
    return guest_link


def guest_participant_key(entry_id: int) -> str:
    return f"guest:{entry_id}"


def guest_entry_create(*, guest_link: GuestLink, name: str, now: datetime) -> GuestEntry:
    return GuestEntry.objects.create(
        guest_link=guest_link, session_id=guest_link.session_id, name=name[:200], created_at=now
    )


def guest_participant(*, guest_link: GuestLink, entry: GuestEntry) -> rooms.Participant:
    """The room identity of a guest entry, bound to the link version it came in through."""
    return rooms.Participant(
        key=guest_participant_key(entry.pk),
        role=AttendanceRole.GUEST,
        name=entry.name,
        link_version=guest_link.token_version,
    )
