"""Reminders a day, an hour and 30 minutes before: planned, moved, cancelled, sent on time."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from sessions_app.models import Session
from sessions_app.reminders import REMINDER_KINDS
from sessions_app.services import (
    participants_add,
    registration_cancel,
    registration_create,
    session_cancel,
    session_create,
)
from tests.factories import UserFactory, hosted_program
from tests.support.replans import replans_run
from tests.support.sessions import session_change

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _session(*, starts_at: datetime, **fields) -> Session:
    """Created through the service, as a host does, so the hosts' reminders are planned."""
    host = UserFactory(email="host@example.org", first_name="Hana", last_name="Host")
    return session_create(
        program=hosted_program(user=host),
        created_by=host,
        title="Morning focus",
        starts_at=starts_at,
        time_zone="Europe/Berlin",
        now=min(timezone.now(), starts_at - timedelta(minutes=1)),
        **fields,
    )


def _register(session: Session, email: str, *, now: datetime):
    return registration_create(
        session=session, email=email, name=email.split("@")[0].title(), now=now
    ).registration


def _reschedule(session: Session, *, starts_at: datetime, now: datetime, **changes) -> None:
    session_change(session, now=now, starts_at=starts_at, **changes)


def _pending(kind_prefix: str = "session_reminder") -> dict[str, datetime]:
    return {
        message.kind: message.due_at
        for message in Message.objects.filter(
            kind__startswith=kind_prefix, status=MessageStatus.PENDING
        )
    }


def _sent_at(moment: datetime) -> list[str]:
    """Dispatch at `moment` and return the subjects sent then."""
    before = len(mail.outbox)
    with time_machine.travel(moment, tick=False):
        outbox_dispatch()
    return [email.subject for email in mail.outbox[before:]]


@pytest.mark.parametrize(
    ("local_start", "day_before_hours"),
    [
        (datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN), 24),
        (datetime(2026, 3, 29, 9, 0, tzinfo=BERLIN), 23),  # clocks go forward that night
        (datetime(2026, 10, 25, 9, 0, tzinfo=BERLIN), 25),  # clocks go back that night
    ],
)
def test_each_reminder_goes_out_at_its_moment_and_not_before(
    local_start: datetime, day_before_hours: int
) -> None:
    starts_at = local_start.astimezone(UTC)
    now = starts_at - timedelta(days=5)
    with time_machine.travel(now, tick=False):
        session = _session(starts_at=starts_at)
        _register(session, "ada@example.org", now=now)
    outbox_dispatch(now=now)  # the confirmation
    mail.outbox.clear()

    day_before = datetime(
        local_start.year, local_start.month, local_start.day - 1, 9, 0, tzinfo=BERLIN
    )
    assert _pending() == {
        "session_reminder_day": day_before,
        "session_reminder_hour": starts_at - timedelta(hours=1),
        "session_reminder_30min": starts_at - timedelta(minutes=30),
    }
    assert starts_at - day_before == timedelta(hours=day_before_hours)

    second = timedelta(seconds=1)
    assert _sent_at(day_before - second) == []
    assert sorted(_sent_at(day_before)) == [
        "Reminder: Morning focus starts tomorrow",
        "You host Morning focus tomorrow",
    ]
    assert _sent_at(starts_at - timedelta(hours=1) - second) == []
    assert sorted(_sent_at(starts_at - timedelta(hours=1))) == [
        "Reminder: Morning focus starts in an hour",
        "You host Morning focus in an hour",
    ]
    sent = _sent_at(starts_at - timedelta(minutes=30))
    assert sent.count("Reminder: Morning focus starts in 30 minutes") == 1
    assert _sent_at(starts_at + timedelta(hours=2)) == []  # nothing more, nothing twice


def test_a_reminder_carries_the_personal_link_and_the_time_in_the_sessions_zone() -> None:
    starts_at = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    now = starts_at - timedelta(days=5)
    with time_machine.travel(now, tick=False):
        session = _session(starts_at=starts_at)
        _register(session, "ada@example.org", now=now)
    outbox_dispatch(now=now)
    mail.outbox.clear()
    _sent_at(starts_at - timedelta(hours=1))
    reminder = next(email for email in mail.outbox if email.to == ["Ada <ada@example.org>"])
    assert "https://convene.example/join/" in reminder.body
    assert "09:00" in reminder.body and "Berlin time" in reminder.body
    host_reminder = next(email for email in mail.outbox if "host@example.org" in email.to[0])
    assert f"https://convene.example/sessions/{session.pk}/" in host_reminder.body
    assert "/join/" not in host_reminder.body


def test_rescheduling_moves_every_pending_reminder_and_sends_none_at_the_old_time() -> None:
    old_start = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    new_start = old_start + timedelta(days=7, hours=2)
    now = old_start - timedelta(days=5)
    with time_machine.travel(now, tick=False):
        session = _session(starts_at=old_start)
        for index in range(3):
            _register(session, f"p{index}@example.org", now=now)
        _reschedule(session, starts_at=new_start, now=now)
    outbox_dispatch(now=now)
    mail.outbox.clear()

    pending = Message.objects.filter(kind__in=REMINDER_KINDS, status=MessageStatus.PENDING)
    assert pending.count() == 3 * 3 + 2
    assert all(message.schedule_sequence == 1 for message in pending)
    assert not pending.filter(due_at__lt=new_start - timedelta(days=1, hours=1)).exists()
    for old_moment in (
        old_start - timedelta(days=1),
        old_start - timedelta(hours=1),
        old_start - timedelta(minutes=30),
    ):
        assert _sent_at(old_moment) == []
    sent = _sent_at(new_start - timedelta(minutes=30))
    assert sent.count("Reminder: Morning focus starts in 30 minutes") == 3
    assert sent.count("Reminder: Morning focus starts tomorrow") == 3
    assert "11:00" in mail.outbox[-1].body  # the new time


def test_rescheduling_after_a_reminder_went_out_plans_the_new_schedules_reminders() -> None:
    old_start = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    now = old_start - timedelta(days=5)
    with time_machine.travel(now, tick=False):
        session = _session(starts_at=old_start)
        _register(session, "ada@example.org", now=now)
    assert (
        len(_sent_at(old_start - timedelta(days=1))) == 3
    )  # confirmation, reminder, host reminder
    later = old_start - timedelta(hours=20)
    with time_machine.travel(later, tick=False):
        _reschedule(session, starts_at=old_start + timedelta(days=2), now=later)
    assert "Reminder: Morning focus starts tomorrow" in _sent_at(old_start + timedelta(days=1))


def test_cancelling_the_session_cancels_its_reminders() -> None:
    starts_at = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    now = starts_at - timedelta(days=5)
    with time_machine.travel(now, tick=False):
        session = _session(starts_at=starts_at)
        _register(session, "ada@example.org", now=now)
        session_cancel(session=session, now=now)
        replans_run()
    assert not Message.objects.filter(
        kind__in=REMINDER_KINDS, status=MessageStatus.PENDING
    ).exists()
    assert (
        Message.objects.filter(kind__in=REMINDER_KINDS, status=MessageStatus.CANCELLED).count() == 5
    )
    for moment in (
        starts_at - timedelta(days=1),
        starts_at - timedelta(hours=1),
        starts_at - timedelta(minutes=30),
    ):
        assert not [
            subject
            for subject in _sent_at(moment)
            if "Reminder" in subject or "You host" in subject
        ]


@pytest.mark.parametrize(
    ("minutes_before", "expected"),
    [
        (60 * 30, {"session_reminder_day", "session_reminder_hour", "session_reminder_30min"}),
        (90, {"session_reminder_hour", "session_reminder_30min"}),
        (45, {"session_reminder_30min"}),
        (20, set()),
    ],
)
def test_a_late_registration_gets_only_the_reminders_still_ahead(
    minutes_before: int, expected: set[str]
) -> None:
    starts_at = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    session = _session(starts_at=starts_at)
    now = starts_at - timedelta(minutes=minutes_before)
    with time_machine.travel(now, tick=False):
        _register(session, "late@example.org", now=now)
    assert set(_pending()) == expected


def test_people_a_host_adds_get_the_confirmation_and_reminders_of_a_self_registration() -> None:
    starts_at = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    now = starts_at - timedelta(days=5)
    with time_machine.travel(now, tick=False):
        session = _session(starts_at=starts_at)
        _register(session, "self@example.org", now=now)
        participants_add(
            session=session,
            people=[("added@example.org", "Added"), ("second@example.org", "Second")],
            added_by=UserFactory(),
            now=now,
        )

    def planned(email: str) -> set[tuple]:
        return set(
            Message.objects.filter(recipient_email=email).values_list(
                "kind", "status", "due_at", "expires_at", "schedule_sequence", "topic"
            )
        )

    assert planned("added@example.org") == planned("self@example.org")
    assert planned("second@example.org") == planned("self@example.org")
    assert {row[0] for row in planned("added@example.org")} == {
        "session_confirmation",
        "session_reminder_day",
        "session_reminder_hour",
        "session_reminder_30min",
    }

    def received(email: str) -> list[str]:
        return [sent.subject for sent in mail.outbox if f"<{email}>" in sent.to[0]]

    with time_machine.travel(now, tick=False):
        outbox_dispatch(now=now)
    for moment in (
        datetime(2026, 6, 9, 9, 0, tzinfo=BERLIN),
        starts_at - timedelta(hours=1),
        starts_at - timedelta(minutes=30),
    ):
        _sent_at(moment)
    assert len(received("self@example.org")) == 4
    assert received("added@example.org") == received("self@example.org")
    confirmation = next(sent for sent in mail.outbox if "<added@example.org>" in sent.to[0])
    assert "/join/" in confirmation.body


def test_switching_a_reminder_off_cancels_it_and_back_on_plans_it() -> None:
    starts_at = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    now = starts_at - timedelta(days=5)
    with time_machine.travel(now, tick=False):
        session = _session(starts_at=starts_at)
        _register(session, "ada@example.org", now=now)
        _reschedule(session, starts_at=starts_at, now=now, remind_day_before=False)
        assert set(_pending()) == {"session_reminder_hour", "session_reminder_30min"}
        assert set(_pending("host_reminder")) == {"host_reminder_hour"}
        session.refresh_from_db()
        _reschedule(session, starts_at=starts_at, now=now, remind_day_before=True)
        assert "session_reminder_day" in _pending()


def test_cancelling_a_registration_cancels_its_reminders_only() -> None:
    starts_at = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    now = starts_at - timedelta(days=5)
    with time_machine.travel(now, tick=False):
        session = _session(starts_at=starts_at)
        leaving = _register(session, "leaving@example.org", now=now)
        _register(session, "staying@example.org", now=now)
        registration_cancel(registration=leaving, now=now)
    pending = Message.objects.filter(
        kind__startswith="session_reminder", status=MessageStatus.PENDING
    )
    assert set(pending.values_list("recipient_email", flat=True)) == {"staying@example.org"}
    sent = _sent_at(starts_at - timedelta(minutes=30))
    assert sent.count("Reminder: Morning focus starts in 30 minutes") == 1


def test_a_message_planned_for_an_earlier_schedule_is_never_sent() -> None:
    """Checked when the dispatcher sends, not only when planning: a stale row is cancelled."""
    starts_at = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    now = starts_at - timedelta(days=5)
    with time_machine.travel(now, tick=False):
        session = _session(starts_at=starts_at)
        _register(session, "ada@example.org", now=now)
    stale = Message.objects.get(kind="session_reminder_hour")
    # As if the schedule moved on without this row being reconciled (a crash between the two).
    Session.objects.filter(pk=session.pk).update(sequence=5)
    _sent_at(stale.due_at)
    stale.refresh_from_db()
    assert stale.status == MessageStatus.CANCELLED
    assert "earlier schedule" in stale.events.get(status="cancelled").detail


def test_co_hosts_get_host_reminders_too() -> None:
    starts_at = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    now = starts_at - timedelta(days=5)
    co_host = UserFactory(email="co@example.org")
    with time_machine.travel(now, tick=False):
        session = _session(starts_at=starts_at)
        session.co_hosts.add(co_host)
        _reschedule(session, starts_at=starts_at, now=now)
    recipients = set(
        Message.objects.filter(kind="host_reminder_day").values_list("recipient_email", flat=True)
    )
    assert recipients == {"host@example.org", "co@example.org"}


def test_a_participant_cancels_from_their_registration_page(client: Client) -> None:
    starts_at = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    now = starts_at - timedelta(days=5)
    with time_machine.travel(now, tick=False):
        session = _session(starts_at=starts_at)
        registration = _register(session, "ada@example.org", now=now)
        from sessions_app.tokens import join_token

        client.get(reverse("sessions_app:join", kwargs={"token": join_token(registration)}))
        page = client.get(
            reverse("sessions_app:cancel_registration", kwargs={"code": session.code})
        )
        assert "Cancel your registration" in page.text
        done = client.post(
            reverse("sessions_app:cancel_registration", kwargs={"code": session.code}), follow=True
        )
    assert "no longer registered" in done.text
    assert not session.registrations.exists()
    assert not Message.objects.filter(
        status=MessageStatus.PENDING, kind__startswith="session_reminder"
    ).exists()


def test_subjects_and_text_bodies_are_not_html_escaped() -> None:
    starts_at = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    now = starts_at - timedelta(days=5)
    with time_machine.travel(now, tick=False):
        session = _session(starts_at=starts_at)
        Session.objects.filter(pk=session.pk).update(title="Q&A with Tom's team")
        _register(session, "ada@example.org", now=now)
    sent = _sent_at(starts_at - timedelta(minutes=30))
    assert "Reminder: Q&A with Tom's team starts in 30 minutes" in sent
    assert "Q&A with Tom's team" in mail.outbox[-1].body


def test_a_session_started_early_sends_no_more_reminders() -> None:
    starts_at = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    now = starts_at - timedelta(days=5)
    with time_machine.travel(now, tick=False):
        session = _session(starts_at=starts_at)
        _register(session, "ada@example.org", now=now)
    _sent_at(starts_at - timedelta(hours=2))
    Session.objects.filter(pk=session.pk).update(state="live")
    sent = _sent_at(starts_at - timedelta(minutes=30))
    assert not [subject for subject in sent if "Reminder" in subject or "You host" in subject]
    assert Message.objects.get(kind="session_reminder_hour").status == MessageStatus.SKIPPED
