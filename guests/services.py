"""Guest links: one per session, issued when the session is created (or by a host's POST for a
session made another way); regenerating kills the old one at once. No page writes on GET.

A guest who came in keeps a pass (their guest entry, remembered in their browser's session),
so the shared link can be replaced without moving out everyone it admitted: that is what
removing one guest does (`guest_removed`). The host's "Regenerate link" is for a link in the
wrong hands and ends every pass issued through it as well.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from guests.models import GuestEntry, GuestLink
from sessions_app import rooms
from sessions_app.models import Attendance, AttendanceRole, Session

GUEST_KEY_PREFIX = "guest"


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
    """Revoke the current link and every pass issued through it, and issue a new link.

    Guests who came in through the old link are moved out of the room (their next poll says
    so); they come back only through the new link, as a new guest entry.
    """
    with transaction.atomic():
        GuestLink.objects.filter(pk=guest_link.pk).update(
            token_version=F("token_version") + 1, regenerated_at=now
        )
        entries = GuestEntry.objects.filter(guest_link=guest_link, revoked_at__isnull=True)
        entry_ids = list(entries.values_list("pk", flat=True))
        entries.update(revoked_at=now)
        rooms.attendances_revoke(
            session_id=guest_link.session_id,
            participant_keys=[guest_participant_key(entry_id) for entry_id in entry_ids],
            now=now,
            remove=False,
        )
    guest_link.refresh_from_db()
    return guest_link


def guest_removed(*, attendance: Attendance, now: datetime) -> str | None:
    """A host removed a guest: the shared link they hold stops working (`rooms` calls this in
    the removal's transaction, on `sessions_app.signals.participant_removed`).

    The link is replaced only if the guest came in through the current version; guests
    already admitted keep their passes. Answers what the host is told.
    """
    entry_id = guest_entry_id(attendance.participant_key)
    if entry_id is None:
        return None
    entry = GuestEntry.objects.filter(pk=entry_id, session_id=attendance.session_id).first()
    if entry is None:
        return None
    replaced = GuestLink.objects.filter(
        pk=entry.guest_link_id, token_version=entry.link_version
    ).update(token_version=F("token_version") + 1, regenerated_at=now)
    if not replaced:
        return (
            "The guest link they came in with had already been replaced; the current one "
            "stays as it is."
        )
    return (
        "The guest link they came in with no longer works, so it was replaced by a new one "
        "(under “Guest link”). Guests already here keep their place; send the new link to "
        "anyone still to join."
    )


def guest_participant_key(entry_id: int) -> str:
    return f"{GUEST_KEY_PREFIX}:{entry_id}"


def guest_entry_id(participant_key: str) -> int | None:
    prefix, _, rest = participant_key.partition(":")
    return int(rest) if prefix == GUEST_KEY_PREFIX and rest.isdigit() else None


def guest_entry_create(*, guest_link: GuestLink, name: str, now: datetime) -> GuestEntry:
    """A new guest through `guest_link`, refused (`rooms.LinkGone`) if the link was replaced
    since the page read it: the link's row lock orders this after a concurrent removal."""
    current = (
        GuestLink.objects.select_for_update()
        .filter(pk=guest_link.pk, token_version=guest_link.token_version)
        .exists()
    )
    if not current:
        raise rooms.LinkGone("The guest link was replaced.")
    return GuestEntry.objects.create(
        guest_link=guest_link,
        session_id=guest_link.session_id,
        name=name[:200],
        created_at=now,
        link_version=guest_link.token_version,
    )


def guest_participant(*, entry: GuestEntry) -> rooms.Participant:
    """The room identity of a guest entry."""
    return rooms.Participant(
        key=guest_participant_key(entry.pk), role=AttendanceRole.GUEST, name=entry.name
    )
