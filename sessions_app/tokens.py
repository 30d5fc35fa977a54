"""The personal links of sessions: join links for registrants, calendar feeds for hosts."""

from __future__ import annotations

from functools import lru_cache

from django.http import HttpRequest
from django.urls import reverse

from programs.links import public_url
from reminders.personal_links import LinkKind, held
from reminders.tokens import token_make, token_object
from sessions_app.models import CalendarFeed, Registration, Session

JOIN_TOKEN_PURPOSE = "join"
FEED_TOKEN_PURPOSE = "calendar-feed"
# A registrant's browser keeps their join link's credential for the session's pages.
JOIN_LINK = LinkKind("join", days=120, legacy_purpose=JOIN_TOKEN_PURPOSE)


def join_token(registration: Registration) -> str:
    return token_make(
        purpose=JOIN_TOKEN_PURPOSE,
        object_id=registration.pk,
        version=registration.token_version,
    )


@lru_cache(maxsize=1)
def _join_path_template() -> str:
    # reverse() once: the dispatcher builds thousands of these links a second.
    return reverse("sessions_app:join", kwargs={"token": "TOKEN"})


def join_url(registration: Registration) -> str:
    """The registrant's personal link; it goes in e-mail bodies, never in a calendar."""
    return public_url(
        _join_path_template().replace("TOKEN", join_token(registration)),
        program=registration.session.program,
    )


@lru_cache(maxsize=4)
def _join_then_path_template(then: str) -> str:
    return reverse(f"sessions_app:join_{then}", kwargs={"token": "TOKEN"})


def cancel_url(registration: Registration) -> str:
    """The personal link to "cancel my registration" (the join token, then the cancel page)."""
    return public_url(
        _join_then_path_template("cancel").replace("TOKEN", join_token(registration)),
        program=registration.session.program,
    )


def personal_ics_url(registration: Registration) -> str:
    """The personal link to the registrant's own calendar entry (.ics, the invite's UID)."""
    return public_url(
        _join_then_path_template("calendar").replace("TOKEN", join_token(registration)),
        program=registration.session.program,
    )


def registration_for_token(token: str) -> Registration | None:
    """The registration a personal join link is for, if the link is still valid."""
    return token_object(
        token,
        queryset=Registration.objects.select_related(
            "session", "session__program", "session__module"
        ),
        purpose=JOIN_TOKEN_PURPOSE,
    )


def session_pages_path(session: Session) -> str:
    """Where a join link's credential is sent: the session's public pages, room too."""
    return reverse("sessions_app:public", kwargs={"code": session.code})


def registration_held(request: HttpRequest, session: Session) -> Registration | None:
    """The registration whose personal link this browser opened for `session`, still valid."""
    registration = held(
        request,
        kind=JOIN_LINK,
        scope=session.pk,
        queryset=Registration.objects.select_related(
            "session", "session__program", "session__module"
        ),
    )
    if registration is None or registration.session_id != session.pk:
        return None
    return registration


def feed_token(feed: CalendarFeed) -> str:
    return token_make(purpose=FEED_TOKEN_PURPOSE, object_id=feed.pk, version=feed.token_version)


def feed_url(feed: CalendarFeed) -> str:
    return public_url(reverse("sessions_app:calendar_feed", kwargs={"token": feed_token(feed)}))


def feed_for_token(token: str) -> CalendarFeed | None:
    """The calendar feed a subscription address is for (calendar apps like a `.ics` ending)."""
    return token_object(
        token.removesuffix(".ics"),
        queryset=CalendarFeed.objects.select_related("user"),
        purpose=FEED_TOKEN_PURPOSE,
    )
