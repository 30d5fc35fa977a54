"""One calendar entry per person and session, whatever they download or receive."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from reminders.dispatcher import outbox_dispatch
from sessions_app import services
from sessions_app.models import Registration
from tests.factories import hosted_session
from tests.sessions_app.invites import invite_of
from tests.support.replans import replans_run
from tests.support.sessions import session_change

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STARTS_AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def _uids(body: bytes) -> list[str]:
    return [str(event["UID"]) for event in Calendar.from_ical(body).walk("VEVENT")]


def _invite_uid() -> str:
    outbox_dispatch()
    [sent] = mail.outbox
    mail.outbox.clear()
    return str(invite_of(sent).event["UID"])


def test_the_pages_ics_the_personal_ics_and_the_invite_name_one_entry() -> None:
    session = hosted_session(starts_at=STARTS_AT, time_zone="Europe/Berlin")
    visitor = Client()
    page_ics = visitor.get(reverse("sessions_app:ics", kwargs={"code": session.code}))
    services.registration_create(session=session, email="ada@example.org", name="Ada", now=NOW)
    outbox_dispatch()
    [confirmation] = mail.outbox
    mail.outbox.clear()
    invite_uid = str(invite_of(confirmation).event["UID"])

    # The "Add to calendar (.ics)" button of the e-mail: the personal link, then the person's own entry.
    link = re.search(r"https://convene\.example(/join/[^\s]+/calendar/)", confirmation.body)
    personal_ics = visitor.get(link.group(1), follow=True)
    assert personal_ics["Content-Type"].startswith("text/calendar")

    assert _uids(page_ics.content) == [invite_uid] == _uids(personal_ics.content)

    # The entry moves with the reschedule and goes with the cancellation: the same UID.
    session_change(session, now=NOW, starts_at=STARTS_AT + timedelta(hours=1))
    assert _invite_uid() == invite_uid
    session.refresh_from_db()
    services.session_cancel(session=session, now=NOW)
    replans_run()
    outbox_dispatch()
    [cancellation] = mail.outbox
    assert invite_of(cancellation).method == "CANCEL"
    assert str(invite_of(cancellation).event["UID"]) == invite_uid


def test_a_registration_invited_under_its_own_uid_keeps_it_everywhere() -> None:
    session = hosted_session(starts_at=STARTS_AT, time_zone="Europe/Berlin")
    services.registration_create(session=session, email="ada@example.org", name="Ada", now=NOW)
    legacy = f"session-{session.pk}-registration-1@convene.example"
    Registration.objects.update(calendar_uid=legacy)
    assert _invite_uid() == legacy
    visitor = Client()
    registration = Registration.objects.get()
    services.registration_resend_link(registration=registration, now=NOW)
    outbox_dispatch()
    link = re.search(r"https://convene\.example(/join/[^\s]+/calendar/)", mail.outbox[-1].body)
    assert _uids(visitor.get(link.group(1), follow=True).content) == [legacy]


def test_the_personal_ics_needs_the_personal_link() -> None:
    session = hosted_session(starts_at=STARTS_AT, time_zone="Europe/Berlin")
    response = Client().get(reverse("sessions_app:my_calendar", kwargs={"code": session.code}))
    assert response.status_code == 403
