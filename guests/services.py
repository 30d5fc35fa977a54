"""Guest links: one per session, created on first need; regenerating kills the old one at once."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from guests.models import GuestEntry, GuestLink
from sessions_app.models import Session


def guest_link_for(*, session: Session) -> GuestLink:
    """The session's guest link, issued the first time anyone needs it."""
    link = GuestLink.objects.filter(session=session).first()
    if link is not None:
        return link
    try:
        with transaction.atomic():
            return GuestLink.objects.create(session=session)
    except IntegrityError:  # issued concurrently by another request
        return GuestLink.objects.get(session=session)


def guest_link_regenerate(*, guest_link: GuestLink, now: datetime) -> GuestLink:
    """Revoke the current link and issue a new one, in one transaction."""
    with transaction.atomic():
        GuestLink.objects.filter(pk=guest_link.pk).update(
            token_version=F("token_version") + 1, regenerated_at=now
        )
    guest_link.refresh_from_db()
    return guest_link


def guest_entry_create(*, guest_link: GuestLink, name: str, now: datetime) -> GuestEntry:
    return GuestEntry.objects.create(
        guest_link=guest_link, session_id=guest_link.session_id, name=name[:200], created_at=now
    )
