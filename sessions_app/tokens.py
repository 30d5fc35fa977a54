"""The personal links of sessions: join links for registrants, calendar feeds for hosts."""

from __future__ import annotations

from functools import lru_cache

from django.urls import reverse

from programs.links import public_url
from programs.tokens import token_make, token_matches, token_object_id
from sessions_app.models import CalendarFeed, Registration

JOIN_TOKEN_PURPOSE = "join"
FEED_TOKEN_PURPOSE = "calendar-feed"


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


def registration_for_token(token: str) -> Registration | None:
    """The registration a personal join link is for, if the link is still valid."""
    registration_id = token_object_id(token)
    if registration_id is None:
        return None
    registration = (
        Registration.objects.select_related("session", "session__program", "session__module")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None or not token_matches(
        token=token,
        purpose=JOIN_TOKEN_PURPOSE,
        object_id=registration.pk,
        version=registration.token_version,
    ):
        return None
    return registration


def feed_token(feed: CalendarFeed) -> str:
    return token_make(purpose=FEED_TOKEN_PURPOSE, object_id=feed.pk, version=feed.token_version)


def feed_url(feed: CalendarFeed) -> str:
    return public_url(reverse("sessions_app:calendar_feed", kwargs={"token": feed_token(feed)}))


def feed_for_token(token: str) -> CalendarFeed | None:
    feed_id = token_object_id(token.removesuffix(".ics"))
    if feed_id is None:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(pk=feed_id).first()
    if feed is None or not token_matches(
        token=token.removesuffix(".ics"),
        purpose=FEED_TOKEN_PURPOSE,
        object_id=feed.pk,
        version=feed.token_version,
    ):
        return None
    return feed
