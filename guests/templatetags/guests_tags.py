"""The guest link (on the session's Share page) and the guests who came (on People)."""

from __future__ import annotations

from django import template

from guests import selectors
from sessions_app.models import Session

register = template.Library()

GUESTS_SHOWN = 100


@register.inclusion_tag("guests/dashboard_panel.html")
def guest_link_panel(session: Session) -> dict[str, object]:
    """The guest link with its copy buttons, for the session's Share page."""
    # Reads only: the link is issued with the session (or by the host's "Create" button).
    context: dict[str, object] = {"session": session, "guest_link": None}
    if session.is_cancelled:
        return context
    guest_link = selectors.guest_link_of(session)
    if guest_link is None:
        return context
    guest_link.session = session
    context.update(
        {
            "guest_link": guest_link,
            "guest_url": selectors.guest_url(guest_link),
            "invitation": selectors.guest_invitation_text(guest_link=guest_link),
        }
    )
    return context


@register.inclusion_tag("guests/guests_panel.html")
def session_guests_panel(session: Session) -> dict[str, object]:
    """The guests who came in through the guest link, for the session's People page."""
    guests = list(selectors.session_guests(session=session)[: GUESTS_SHOWN + 1])
    return {
        "session": session,
        "guests": guests[:GUESTS_SHOWN],
        "more_guests": len(guests) > GUESTS_SHOWN,
    }


@register.inclusion_tag("guests/room_panel.html")
def guest_link_room_panel(session: Session) -> dict[str, object]:
    """The host room's copy of the current guest link: removing a guest replaces it, and the
    host needs the new one at hand for anyone still to join."""
    guest_link = None if session.is_cancelled else selectors.guest_link_of(session)
    if guest_link is None:
        return {"guest_link": None}
    guest_link.session = session
    return {"guest_link": guest_link, "guest_url": selectors.guest_url(guest_link)}
