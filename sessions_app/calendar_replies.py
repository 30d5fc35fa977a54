"""RSVP read back from calendars: iTIP REPLY messages (RFC 5546) to the invite's ORGANIZER.

Mail to `CALENDAR_REPLY_EMAIL` reaches django-anymail's inbound webhook (routed, with the
shared secret, by `reminders.views.webhooks.inbound_webhook`); `on_inbound` hands every calendar part
of it to `calendar_reply_record`, which matches the reply by UID and attendee address:

1. METHOD must be REPLY, the UID one of Convene's invites (the session's, or a registration's
   own older one), the ATTENDEE the registration's address, and the mail's sender that same
   address: anything else is forged or unknown, changes nothing and is logged.
2. A SEQUENCE older than the session's answers an invite that was superseded (a reschedule):
   it changes nothing and is logged.
3. DECLINED cancels the registration (the seat is freed for the waitlist, pending reminders
   are cancelled) and leaves a `CalendarDecline` for the hosts; ACCEPTED and TENTATIVE are
   recorded on the registration and shown on the registrations list.
"""

from __future__ import annotations

import enum
import logging
import re
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from anymail.signals import AnymailInboundEvent
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from icalendar import Calendar, Component

from sessions_app.ics import uid_domain
from sessions_app.models import CalendarAnswer, CalendarDecline, Registration, Session
from sessions_app.services import registration_cancel

logger = logging.getLogger(__name__)

CALENDAR_TYPES = ("text/calendar", "application/ics")
ANSWERS = {"ACCEPTED": CalendarAnswer.ACCEPTED, "TENTATIVE": CalendarAnswer.TENTATIVE}


class ReplyOutcome(enum.StrEnum):
    DECLINED = "declined"
    RECORDED = "recorded"
    NOT_A_REPLY = "not-a-reply"
    UNKNOWN = "unknown"
    FORGED = "forged"
    STALE = "stale"


def _address(value: object) -> str:
    return str(value or "").removeprefix("mailto:").removeprefix("MAILTO:").strip().lower()


def _registration_for(*, uid: str, attendee: str) -> Registration | None:
    match = re.fullmatch(rf"session-(\d+)@{re.escape(uid_domain())}", uid)
    by_uid = Q(calendar_uid=uid)
    if match:
        by_uid |= Q(session_id=int(match[1]), calendar_uid="")
    return (
        Registration.objects.select_related("session")
        .annotate(email_lower=Lower("email"))
        .filter(by_uid, email_lower=attendee)
        .first()
    )


def calendar_reply_record(*, ics: bytes, sender: str, now: datetime) -> ReplyOutcome:
    """Apply one iTIP document mailed back by `sender`; see the module's contract."""
    try:
        calendar = Calendar.from_ical(ics)
    except ValueError:
        logger.info("calendar reply from %s: not iCalendar", sender)
        return ReplyOutcome.NOT_A_REPLY
    if str(calendar.get("METHOD", "")).upper() != "REPLY":
        return ReplyOutcome.NOT_A_REPLY
    outcome = ReplyOutcome.NOT_A_REPLY
    for event in calendar.walk("VEVENT"):
        outcome = _event_reply_record(event=event, sender=_address(sender), now=now)
    return outcome


@transaction.atomic
def _event_reply_record(*, event: Component, sender: str, now: datetime) -> ReplyOutcome:
    uid = str(event.get("UID", ""))
    attendees = event.get("ATTENDEE")
    attendee = attendees[0] if isinstance(attendees, list) else attendees
    address = _address(attendee)
    registration = _registration_for(uid=uid, attendee=address) if address else None
    if registration is None:
        logger.info("calendar reply for unknown UID %r / attendee %r: ignored", uid, address)
        return ReplyOutcome.UNKNOWN
    if sender != address:
        logger.warning(
            "calendar reply for %r sent by %r, not by the attendee %r: ignored",
            uid,
            sender,
            address,
        )
        return ReplyOutcome.FORGED
    session = Session.objects.select_for_update().get(pk=registration.session_id)
    sequence = int(event.get("SEQUENCE", 0))
    if sequence < session.sequence:
        logger.info(
            "calendar reply for %r at SEQUENCE %s, the invite is at %s: ignored",
            uid,
            sequence,
            session.sequence,
        )
        return ReplyOutcome.STALE
    partstat = str(attendee.params.get("PARTSTAT", "")).upper()
    if partstat == "DECLINED":
        CalendarDecline.objects.create(
            session=session, email=registration.email, name=registration.name, declined_at=now
        )
        registration_cancel(registration=registration, now=now)
        return ReplyOutcome.DECLINED
    answer = ANSWERS.get(partstat)
    if answer is None:
        logger.info("calendar reply for %r with PARTSTAT %r: ignored", uid, partstat)
        return ReplyOutcome.NOT_A_REPLY
    Registration.objects.filter(pk=registration.pk).update(
        calendar_answer=answer, calendar_answered_at=now
    )
    return ReplyOutcome.RECORDED


def on_inbound(sender: object, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    """django-anymail's inbound signal: every calendar part of the mail is a possible reply."""
    message = event.message
    if message is None:
        return
    _, from_address = parseaddr(str(message.get("From", "")))
    for part in message.walk():
        if part.get_content_type() in CALENDAR_TYPES:
            payload = part.get_payload(decode=True)
            if payload:
                calendar_reply_record(ics=payload, sender=from_address, now=timezone.now())
