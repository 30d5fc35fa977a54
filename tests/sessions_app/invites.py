"""Reading the calendar invite of a sent e-mail the way a mail client does: from its MIME."""

from __future__ import annotations

import email
from dataclasses import dataclass
from email.message import Message as MimeMessage

from django.core.mail import EmailMessage
from icalendar import Calendar, Event


@dataclass
class Invite:
    calendar: Calendar
    event: Event
    part_method: str
    attachment_method: str
    attachment: bytes
    mime: MimeMessage

    @property
    def method(self) -> str:
        return str(self.calendar["METHOD"])


def invite_of(sent: EmailMessage) -> Invite:
    mime = email.message_from_bytes(sent.message().as_bytes())
    alternatives = [
        part for part in mime.walk() if part.get_content_type() == "multipart/alternative"
    ]
    assert len(alternatives) == 1, "the invite belongs inside one multipart/alternative"
    calendar_parts = [
        part for part in alternatives[0].get_payload() if part.get_content_type() == "text/calendar"
    ]
    assert len(calendar_parts) == 1
    part = calendar_parts[0]
    attachments = [part for part in mime.walk() if part.get_filename()]
    assert len(attachments) == 1
    attachment = attachments[0]
    assert attachment.get_filename().endswith(".ics")
    body = part.get_payload(decode=True)
    # The same document twice (the text part's line ends are the transport's to choose).
    assert attachment.get_payload(decode=True).splitlines() == body.splitlines()
    calendar = Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return Invite(
        calendar=calendar,
        event=events[0],
        part_method=part.get_param("method"),
        attachment_method=attachment.get_param("method"),
        attachment=attachment.get_payload(decode=True),
        mime=mime,
    )


def text_body(sent: EmailMessage) -> str:
    return sent.body


def html_body(sent: EmailMessage) -> str:
    return next(content for content, mimetype in sent.alternatives if mimetype == "text/html")
