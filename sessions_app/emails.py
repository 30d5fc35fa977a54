"""The e-mails sessions send, each rendered from current state when the dispatcher sends it.

A confirmation carries the personal join link in its body and the invite (METHOD:REQUEST)
as a calendar part and attachment; an update carries the same UID with the new SEQUENCE; a
cancellation carries METHOD:CANCEL. A message planned for an earlier schedule is void.

They answer the registrant's own registration, so none carries List-Unsubscribe (reminders do:
`sessions_app.reminders`). The first confirmation opens the registration's thread (its
Message-ID is named after the registration); every later confirmation, update and cancellation
replies to it (In-Reply-To, References), so mail clients show them together.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from programs.branding import program_email_brand
from reminders.emails import CalendarInvite, build_email, thread_headers
from reminders.models import Message
from reminders.registry import NotWanted, register
from reminders.unsubscribe import Stream, stream_register
from sessions_app.formatting import session_when, when_text
from sessions_app.ics import (
    google_calendar_url,
    invite_ics,
    organizer_name,
    outlook_calendar_url,
    session_public_url,
)
from sessions_app.models import HostReminderSetting, Registration, Session, WaitlistEntry
from sessions_app.reminders import (
    HOST_REMINDERS_STREAM,
    REMINDERS_STREAM,
    registrations_for_rendering,
)
from sessions_app.selectors import waitlist_place
from sessions_app.services import (
    CANCELLATION,
    CONFIRMATION,
    UPDATE,
    WAITLIST_CANCELLED,
    WAITLIST_MOVED,
    WAITLISTED,
    host_reminders_switch,
    registration_reminders_stop,
)
from sessions_app.tokens import cancel_url, join_url, personal_ics_url

stream_register(
    Stream(
        name=REMINDERS_STREAM,
        describe=lambda registration: f"reminders for {registration.session.title}",
        queryset=lambda: Registration.objects.select_related("session"),
        stop=lambda registration, now: registration_reminders_stop(
            registration=registration, now=now
        ),
    )
)
stream_register(
    Stream(
        name=HOST_REMINDERS_STREAM,
        describe=lambda setting: f"host reminders for the sessions of {setting.program.name}",
        queryset=lambda: HostReminderSetting.objects.select_related("program", "user"),
        stop=lambda setting, now: host_reminders_switch(
            user=setting.user, program=setting.program, is_on=False, now=now
        ),
        turn_back_on=lambda setting: reverse("sessions_app:email_settings"),
    )
)


def _registration(message: Message) -> Registration:
    registration = message.about
    if not isinstance(registration, Registration):
        raise NotWanted("the registration was removed", cancelled=True)
    return registration


def _email(
    *,
    template: str,
    registration: Registration,
    session: Session,
    method: str,
    extra: dict[str, object] | None = None,
    opens_thread: bool = False,
) -> EmailMessage:
    context = {
        **(extra or {}),
        "session": session,
        "registration": registration,
        "program": session.program,
        "when": session_when(session, viewer_zone=registration.time_zone),
        "host_name": organizer_name(session),
        "session_url": session_public_url(session),
        "join_url": join_url(registration) if method == "REQUEST" else "",
        "cancel_url": cancel_url(registration) if method == "REQUEST" else "",
        "google_calendar_url": google_calendar_url(session),
        "outlook_calendar_url": outlook_calendar_url(session),
        "ics_url": personal_ics_url(registration),
    }
    ics = invite_ics(session=session, registration=registration, method=method, now=timezone.now())
    return build_email(
        template=template,
        context=context,
        to_email=registration.email,
        to_name=registration.name,
        invite=CalendarInvite(ics=ics, method=method, filename=f"session-{session.code}.ics"),
        brand=program_email_brand(session.program),
        headers=thread_headers(key=registration_thread(registration), is_first=opens_thread),
    )


def registration_thread(registration: Registration) -> str:
    return f"registration-{registration.pk}"


@register(CONFIRMATION, about_queryset=registrations_for_rendering)
def render_session_confirmation(message: Message) -> EmailMessage:
    registration = _registration(message)
    session = registration.session
    if session.is_cancelled:
        raise NotWanted("the session was cancelled", cancelled=True)
    if session.is_over(now=timezone.now()):
        raise NotWanted("the session is over")
    return _email(
        template=CONFIRMATION,
        registration=registration,
        session=session,
        method="REQUEST",
        opens_thread=bool(message.payload.get("opens_thread")),
        extra={"from_waitlist": bool(message.payload.get("from_waitlist"))},
    )


def _check_latest_schedule(message: Message, session: Session) -> None:
    """A notice of a new time goes out only for the session's latest schedule, not cancelled."""
    if session.is_cancelled:
        raise NotWanted("the session was cancelled", cancelled=True)
    if message.schedule_sequence != session.sequence:
        raise NotWanted("the session was rescheduled again", cancelled=True)


@register(UPDATE, about_queryset=registrations_for_rendering)
def render_session_update(message: Message) -> EmailMessage:
    registration = _registration(message)
    session = registration.session
    _check_latest_schedule(message, session)
    return _email(
        template=UPDATE,
        registration=registration,
        session=session,
        method="REQUEST",
        extra=_what_changed(session, message.payload.get("previous"), registration),
    )


def _what_changed(
    session: Session, previous: object, registration: Registration
) -> dict[str, object]:
    """The schedule the registrant last heard of, and whether the start or only the end moved.

    Updates planned before the payload carried it have no `previous`: they say "a new time".
    """
    if not isinstance(previous, dict):
        return {"previous_when": "", "change": "time"}
    try:
        starts_at = datetime.fromisoformat(str(previous["starts_at"]))
        duration = int(previous["duration_minutes"])
        zone = str(previous["time_zone"])
        zoneinfo.ZoneInfo(zone)
    except (KeyError, TypeError, ValueError, zoneinfo.ZoneInfoNotFoundError):
        return {"previous_when": "", "change": "time"}
    return {
        "previous_when": when_text(starts_at, duration, zone, registration.time_zone),
        "change": "time" if starts_at != session.starts_at else "length",
    }


def _check_still_cancelled(message: Message, session: Session) -> None:
    """A cancellation notice goes out only while the session is cancelled, as it was then."""
    if not session.is_cancelled or message.schedule_sequence != session.sequence:
        raise NotWanted("the session is no longer cancelled", cancelled=True)


@register(CANCELLATION, about_queryset=registrations_for_rendering)
def render_session_cancellation(message: Message) -> EmailMessage:
    registration = _registration(message)
    session = registration.session
    _check_still_cancelled(message, session)
    return _email(
        template=CANCELLATION, registration=registration, session=session, method="CANCEL"
    )


def _waitlist_for_rendering():
    return WaitlistEntry.objects.prefetch_related("session__program", "session__created_by")


def _waiting_email(
    *, template: str, entry: WaitlistEntry, session: Session, tells_place: bool = True
) -> EmailMessage:
    """An e-mail to someone waiting, with their place in line as of now if it tells one."""
    return build_email(
        template=template,
        context={
            "entry": entry,
            "session": session,
            "program": session.program,
            "place": waitlist_place(entry=entry) if tells_place else None,
            "when": session_when(session, viewer_zone=entry.time_zone),
            "host_name": organizer_name(session),
            "session_url": session_public_url(session),
        },
        to_email=entry.email,
        to_name=entry.name,
        brand=program_email_brand(session.program),
    )


def _waiting_entry(message: Message) -> WaitlistEntry:
    entry = message.about
    if not isinstance(entry, WaitlistEntry):
        raise NotWanted("no longer on the waitlist", cancelled=True)
    return entry


@register(WAITLIST_MOVED, about_queryset=_waitlist_for_rendering)
def render_session_waitlist_moved(message: Message) -> EmailMessage:
    """ "The session you wait for moved; you are still number N" (the place of now)."""
    entry = _waiting_entry(message)
    session = entry.session
    _check_latest_schedule(message, session)
    if session.is_over(now=timezone.now()):
        raise NotWanted("the session is over")
    return _waiting_email(template=WAITLIST_MOVED, entry=entry, session=session)


@register(WAITLIST_CANCELLED, about_queryset=_waitlist_for_rendering)
def render_session_waitlist_cancelled(message: Message) -> EmailMessage:
    """ "The session you wait for is cancelled: you are off its waitlist"."""
    entry = _waiting_entry(message)
    session = entry.session
    _check_still_cancelled(message, session)
    # No place in line to tell: the list is closed (and no count query per e-mail).
    return _waiting_email(
        template=WAITLIST_CANCELLED, entry=entry, session=session, tells_place=False
    )


@register(WAITLISTED, about_queryset=_waitlist_for_rendering)
def render_session_waitlisted(message: Message) -> EmailMessage:
    """ "You're on the waitlist, number N": the place of now, which may be better than the
    place they joined at. An answer to their own registration: no List-Unsubscribe."""
    entry = _waiting_entry(message)
    session = entry.session
    if session.is_cancelled:
        raise NotWanted("the session was cancelled", cancelled=True)
    if session.is_over(now=timezone.now()):
        raise NotWanted("the session is over")
    return _waiting_email(template=WAITLISTED, entry=entry, session=session)
