"""RSVP from calendars: iTIP REPLY built with vobject (not the library Convene writes invites
with), delivered in Postmark's inbound webhook shape."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
import time_machine
import vobject
from dateutil import tz
from django.core import mail
from django.test import Client
from django.urls import reverse

from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from sessions_app import services
from sessions_app.models import CalendarDecline, Registration
from tests.factories import hosted_session
from tests.factories.core import TEST_PASSWORD
from tests.sessions_app.invites import invite_of
from tests.support.sessions import session_change

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STARTS_AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
WEBHOOK = reverse("reminders:inbound_webhook", kwargs={"provider": "postmark"})
CREDENTIALS = "Basic " + base64.b64encode(b"tracker:s3cret").decode()


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _reply(*, uid: str, attendee: str, partstat: str, sequence: int) -> bytes:
    """What Gmail, Outlook or Apple Calendar send when the attendee answers (RFC 5546 REPLY)."""
    calendar = vobject.iCalendar()
    calendar.add("method").value = "REPLY"
    calendar.add("prodid").value = "-//Google Inc//Google Calendar 70.9054//EN"
    event = calendar.add("vevent")
    event.add("uid").value = uid
    # vobject names UTC only through dateutil's zone.
    event.add("dtstamp").value = NOW.replace(tzinfo=tz.tzutc())
    event.add("dtstart").value = STARTS_AT.replace(tzinfo=tz.tzutc())
    event.add("sequence").value = str(sequence)
    event.add("organizer").value = "mailto:rsvp@convene.example"
    person = event.add("attendee")
    person.value = f"mailto:{attendee}"
    person.params["PARTSTAT"] = [partstat]
    person.params["CN"] = ["Ada"]
    return calendar.serialize().encode()


def _postmark_inbound(*, sender: str, ics: bytes) -> dict[str, object]:
    raw = EmailMessage()
    raw["From"] = sender
    raw["To"] = "rsvp@convene.example"
    raw["Subject"] = "Declined: Morning focus"
    raw.set_content("Ada has declined this invitation.")
    raw.add_alternative(ics.decode(), subtype="calendar", params={"method": "REPLY"})
    return {
        "FromFull": {"Email": sender, "Name": "Ada"},
        "ToFull": [{"Email": "rsvp@convene.example", "Name": ""}],
        "Subject": "Declined: Morning focus",
        "MessageID": "a1b2c3",
        "RawEmail": raw.as_string(),
        "Headers": [],
        "Attachments": [],
    }


def _post(payload: dict[str, object], **headers: str) -> int:
    response = Client().post(
        WEBHOOK,
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=headers.get("auth", CREDENTIALS),
    )
    return response.status_code


def _registered(capacity: int | None = None, **fields):
    session = hosted_session(
        starts_at=STARTS_AT, time_zone="Europe/Berlin", capacity=capacity, **fields
    )
    services.registration_create(session=session, email="Ada@Example.org", name="Ada", now=NOW)
    outbox_dispatch()
    [confirmation] = mail.outbox
    mail.outbox.clear()
    return session, Registration.objects.get(session=session), invite_of(confirmation)


def _pending_reminders(registration: Registration) -> int:
    return Message.objects.filter(
        object_id=registration.pk,
        kind__startswith="session_reminder",
        status=MessageStatus.PENDING,
    ).count()


def test_decline_in_the_calendar_frees_the_seat_cancels_reminders_and_the_host_sees_it() -> None:
    session, registration, invite = _registered(capacity=1, has_waitlist=True)
    services.registration_create(session=session, email="next@example.org", name="Next", now=NOW)
    assert _pending_reminders(registration) == 3
    ics = _reply(
        uid=str(invite.event["UID"]),
        attendee="ada@example.org",
        partstat="DECLINED",
        sequence=int(invite.event["SEQUENCE"]),
    )
    assert _post(_postmark_inbound(sender="Ada <ada@example.org>", ics=ics)) == 200

    assert not Registration.objects.filter(pk=registration.pk).exists()
    assert _pending_reminders(registration) == 0
    # The freed seat went to the first person waiting.
    assert list(session.registrations.values_list("email", flat=True)) == ["next@example.org"]
    host = session.program.host_roles.get().user
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    page = client.get(
        reverse("sessions_app:session_people", kwargs={"session_id": session.pk})
    ).text
    assert "Declined from their calendar (1)" in page and "Ada@Example.org" in page


@pytest.mark.parametrize(
    ("partstat", "shown"),
    [("ACCEPTED", "Accepted in their calendar"), ("TENTATIVE", "Maybe (tentative")],
)
def test_accept_and_tentative_are_shown_on_the_registrations_list(partstat, shown) -> None:
    session, registration, invite = _registered()
    ics = _reply(
        uid=str(invite.event["UID"]), attendee="ada@example.org", partstat=partstat, sequence=0
    )
    assert _post(_postmark_inbound(sender="ada@example.org", ics=ics)) == 200
    registration.refresh_from_db()
    assert registration.calendar_answer == partstat.lower()
    host = session.program.host_roles.get().user
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    page = client.get(
        reverse("sessions_app:session_people", kwargs={"session_id": session.pk})
    ).text
    assert shown in page


def test_forged_unknown_and_stale_replies_change_nothing(caplog) -> None:
    session, registration, invite = _registered()
    uid = str(invite.event["UID"])
    forged = _reply(uid=uid, attendee="ada@example.org", partstat="DECLINED", sequence=0)
    assert _post(_postmark_inbound(sender="mallory@example.org", ics=forged)) == 200
    unknown = _reply(
        uid="session-999999@convene.example",
        attendee="ada@example.org",
        partstat="DECLINED",
        sequence=0,
    )
    assert _post(_postmark_inbound(sender="ada@example.org", ics=unknown)) == 200
    stranger = _reply(uid=uid, attendee="bob@example.org", partstat="DECLINED", sequence=0)
    assert _post(_postmark_inbound(sender="bob@example.org", ics=stranger)) == 200
    # Rescheduled: the SEQUENCE 0 invite was superseded; a reply to it is stale.
    session_change(session, now=NOW, starts_at=STARTS_AT + timedelta(hours=1))
    stale = _reply(uid=uid, attendee="ada@example.org", partstat="DECLINED", sequence=0)
    assert _post(_postmark_inbound(sender="ada@example.org", ics=stale)) == 200

    registration.refresh_from_db()
    assert registration.calendar_answer == ""
    assert not CalendarDecline.objects.exists()
    assert _pending_reminders(registration) == 3
    logged = caplog.text
    assert "not by the attendee" in logged
    assert "unknown UID" in logged
    assert "SEQUENCE 0, the invite is at 1" in logged


def test_the_inbound_webhook_needs_the_shared_secret_and_a_routed_provider(settings) -> None:
    _, registration, invite = _registered()
    ics = _reply(
        uid=str(invite.event["UID"]), attendee="ada@example.org", partstat="DECLINED", sequence=0
    )
    payload = _postmark_inbound(sender="ada@example.org", ics=ics)
    assert _post(payload, auth="Basic " + base64.b64encode(b"tracker:wrong").decode()) == 401
    other = reverse("reminders:inbound_webhook", kwargs={"provider": "mailgun"})
    assert Client().post(other, data="{}", content_type="application/json").status_code == 404
    # A mail without a calendar part is read and changes nothing.
    assert _post({"nonsense": True}) == 200
    assert Registration.objects.filter(pk=registration.pk).exists()
