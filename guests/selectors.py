"""Reads for guests: the link a token is for, the guests who came, the ready-to-send message."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from guests.models import GuestEntry, GuestLink
from programs.links import public_url
from reminders.personal_links import LinkKind, held
from reminders.tokens import token_make, token_object
from sessions_app.formatting import session_when
from sessions_app.models import Session

GUEST_TOKEN_PURPOSE = "guest"
# A guest's browser keeps the shared link's credential for the session's pages.
GUEST_LINK = LinkKind("guest", days=30, legacy_purpose=GUEST_TOKEN_PURPOSE)


def guest_token(guest_link: GuestLink) -> str:
    return token_make(
        purpose=GUEST_TOKEN_PURPOSE, object_id=guest_link.pk, version=guest_link.token_version
    )


def guest_url(guest_link: GuestLink) -> str:
    return public_url(
        reverse("guests:exchange", kwargs={"token": guest_token(guest_link)}),
        program=guest_link.session.program,
    )


def guest_link_of(session: Session) -> GuestLink | None:
    """The session's guest link; None for a session made outside `session_create` (admin)."""
    return GuestLink.objects.filter(session=session).first()


def guest_link_for_token(token: str) -> GuestLink | None:
    """The guest link a token is for, if it is still the current one."""
    return token_object(
        token,
        queryset=GuestLink.objects.select_related("session", "session__program", "session__module"),
        purpose=GUEST_TOKEN_PURPOSE,
    )


def guest_link_held(request: HttpRequest, session: Session) -> GuestLink | None:
    """The guest link of `session` this browser exchanged, if it has not been replaced since."""
    guest_link = held(
        request,
        kind=GUEST_LINK,
        scope=session.pk,
        queryset=GuestLink.objects.select_related("session", "session__program", "session__module"),
    )
    if guest_link is None or guest_link.session_id != session.pk:
        return None
    return guest_link


def guest_identity_current(session: Session, remembered: dict[str, object]) -> bool:
    """Does a guest pass remembered in Django's session still hold?

    It holds while its guest entry is not revoked: regenerating the link ends every pass
    issued through the old one; replacing it after a removal ends none.
    """
    prefix, _, entry_id = str(remembered.get("key", "")).partition(":")
    if prefix != "guest" or not entry_id.isdigit():
        return False
    return GuestEntry.objects.filter(
        pk=int(entry_id), session_id=session.pk, revoked_at__isnull=True
    ).exists()


def guest_invitation_text(*, guest_link: GuestLink) -> str:
    """The message the host copies: title, time in the session's zone (named), the link."""
    session = guest_link.session
    return (
        f"You are invited to join “{session.title}” as a guest.\n"
        f"When: {session_when(session)}\n"
        f"Join here (opens 10 minutes before the start): {guest_url(guest_link)}\n"
    )


def session_guests(*, session: Session) -> QuerySet[GuestEntry]:
    return GuestEntry.objects.filter(session=session).order_by("created_at", "id")
