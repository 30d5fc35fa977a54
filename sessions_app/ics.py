"""Calendar documents for sessions, built with `icalendar`.

- One calendar entry per person and session: the invite e-mailed to a registrant, the page's
  "Add to calendar (.ics)" and the registrant's own download all carry the same UID (the
  session's; registrations invited before that keep the UID of their own their calendars hold,
  `Registration.calendar_uid`). SEQUENCE is the session's `sequence`; the invite's METHOD is
  REQUEST (confirmation, update) or CANCEL (with STATUS:CANCELLED), so the one entry moves with
  every reschedule and goes on cancellation. ORGANIZER is the host's name with the address
  calendars reply to (`CALENDAR_REPLY_EMAIL`); the attendee is NEEDS-ACTION with RSVP=TRUE.
- The host's subscription feed carries one event per session (the session's UID).
- Times are UTC. No calendar ever holds a personal join link: calendars get shared and
  published, so the link lives only in the e-mail body. The event links the public session page.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event, vCalAddress, vText

from programs.links import public_url
from sessions_app.models import Registration, Session

PRODID = "-//Convene//Sessions//EN"


def uid_domain() -> str:
    """The domain of Convene's calendar UIDs (the public site's host name)."""
    return _domain()


def _domain() -> str:
    return urlsplit(settings.PUBLIC_BASE_URL).hostname or "convene.invalid"


def session_uid(*, session: Session, registration: Registration | None = None) -> str:
    """The UID of the session's entry in a calendar: the same for everyone, whatever they
    downloaded or received, except for registrants whose calendars hold an older UID."""
    if registration is not None and registration.calendar_uid:
        return registration.calendar_uid
    return f"session-{session.pk}@{_domain()}"


@lru_cache(maxsize=1)
def _public_path_template() -> str:
    return reverse("sessions_app:public", kwargs={"code": "CODE"})


def session_public_url(session: Session) -> str:
    return public_url(
        _public_path_template().replace("CODE", session.code), program=session.program
    )


def organizer_name(session: Session) -> str:
    creator = session.created_by
    if creator is not None and creator.get_full_name():
        return creator.get_full_name()
    return session.program.brand_name or session.program.name


def organizer_address() -> str:
    """Where calendars send their replies (iTIP REPLY): an address Convene receives."""
    return settings.CALENDAR_REPLY_EMAIL or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _organizer(session: Session) -> vCalAddress:
    address = organizer_address()
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["CN"] = vText(organizer_name(session))
    return organizer


def _event(*, session: Session, uid: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", session.ends_at.astimezone(UTC))
    event.add("sequence", session.sequence)
    event.add("summary", session.title)
    url = session_public_url(session)
    description = f"{session.description}\n\n{url}".strip() if session.description else url
    event.add("description", description)
    event.add("url", url)
    event.add("location", url)
    event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
    event.add("organizer", _organizer(session))
    return event


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    return calendar


def invite_ics(
    *, session: Session, registration: Registration, method: str, now: datetime
) -> bytes:
    """The invite e-mailed to one registrant: METHOD REQUEST or CANCEL."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported METHOD {method!r}")
    calendar = _calendar(method)
    event = _event(
        session=session, uid=session_uid(session=session, registration=registration), now=now
    )
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params["CN"] = vText(registration.name)
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    # The calendar asks the person, and sends their answer to the ORGANIZER (which Convene
    # reads back: sessions_app.calendar_replies).
    attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
    attendee.params["RSVP"] = vText("TRUE")
    event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    return calendar.to_ical()


def registration_ics(*, session: Session, registration: Registration, now: datetime) -> bytes:
    """A registrant's own download: their calendar entry under the invite's UID (PUBLISH)."""
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", session.title)
    calendar.add_component(
        _event(
            session=session, uid=session_uid(session=session, registration=registration), now=now
        )
    )
    return calendar.to_ical()


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(session: Session) -> str:
    """Google Calendar's "add event" form, filled in (Google ties it to no invite's UID)."""
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": session.title,
            "dates": f"{_utc_stamp(session.starts_at)}/{_utc_stamp(session.ends_at)}",
            "details": session_public_url(session),
            "location": session_public_url(session),
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"


def outlook_calendar_url(session: Session) -> str:
    """Outlook on the web's "new event" form, filled in."""
    query = urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": session.title,
            "startdt": session.starts_at.astimezone(UTC).isoformat(),
            "enddt": session.ends_at.astimezone(UTC).isoformat(),
            "body": session_public_url(session),
            "location": session_public_url(session),
        }
    )
    return f"https://outlook.live.com/calendar/0/deeplink/compose?{query}"


def sessions_ics(*, sessions: Iterable[Session], now: datetime, name: str = "") -> bytes:
    """A published calendar (download or subscription feed) of sessions, one event each."""
    calendar = _calendar("PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    for session in sessions:
        calendar.add_component(_event(session=session, uid=session_uid(session=session), now=now))
    return calendar.to_ical()
