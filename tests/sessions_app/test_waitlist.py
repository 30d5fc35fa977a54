"""The waitlist: a freed seat goes to the first person waiting, exactly, even under a race."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reminders.dispatcher import outbox_dispatch
from reminders.models import Message
from sessions_app import services
from sessions_app.models import Registration, WaitlistEntry
from tests.factories import UserFactory, hosted_session
from tests.factories.core import TEST_PASSWORD
from tests.sessions_app.invites import invite_of
from tests.support.concurrency import run_at_once


def _full_session(*, capacity: int = 2, waiting: int = 3, **fields):
    session = hosted_session(
        starts_at=timezone.now() + timedelta(days=2), capacity=capacity, has_waitlist=True, **fields
    )
    now = timezone.now()
    for index in range(capacity):
        services.registration_create(
            session=session, email=f"seat{index}@example.org", name=f"Seat {index}", now=now
        )
    places = [
        services.registration_create(
            session=session, email=f"wait{index}@example.org", name=f"Wait {index}", now=now
        )
        for index in range(waiting)
    ]
    assert [place.place for place in places] == list(range(1, waiting + 1))
    return session


@pytest.mark.django_db
def test_a_cancellation_registers_the_first_waiting_who_gets_the_confirmation_with_the_invite():
    session = _full_session()
    outbox_dispatch()
    mail.outbox.clear()
    seat = Registration.objects.get(email="seat0@example.org")

    services.registration_cancel(registration=seat, now=timezone.now())

    assert set(session.registrations.values_list("email", flat=True)) == {
        "seat1@example.org",
        "wait0@example.org",
    }
    assert list(session.waitlist.values_list("email", flat=True)) == [
        "wait1@example.org",
        "wait2@example.org",
    ]
    outbox_dispatch()
    [confirmation] = mail.outbox
    assert confirmation.to == ["Wait 0 <wait0@example.org>"]
    assert "you're registered" in confirmation.body.lower()
    assert invite_of(confirmation).method == "REQUEST"


@pytest.mark.django_db
def test_the_page_of_a_full_session_offers_the_waitlist_and_tells_the_place(client: Client):
    session = _full_session(waiting=1)
    url = reverse("sessions_app:register", kwargs={"code": session.code})
    page = client.get(url)
    assert "Join the waitlist" in page.text
    response = client.post(url, {"email": "late@example.org", "name": "Late"})
    assert response.status_code == 200
    assert "You're on the waitlist" in response.text and "number 2 in line" in response.text
    # Asking again keeps the place.
    again = client.post(url, {"email": "LATE@example.org", "name": "Late"})
    assert "number 2 in line" in again.text
    assert session.waitlist.count() == 2


@pytest.mark.django_db
def test_a_full_session_without_a_waitlist_still_turns_people_away(client: Client):
    session = hosted_session(starts_at=timezone.now() + timedelta(days=2), capacity=1)
    services.registration_create(
        session=session, email="a@example.org", name="A", now=timezone.now()
    )
    with pytest.raises(services.SessionFull):
        services.registration_create(
            session=session, email="b@example.org", name="B", now=timezone.now()
        )
    assert not WaitlistEntry.objects.exists()


@pytest.mark.django_db
def test_hosts_see_and_reorder_the_waitlist_and_removing_a_registrant_promotes():
    host = UserFactory()
    session = _full_session(user=host)
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    dashboard = reverse("sessions_app:session_people", kwargs={"session_id": session.pk})
    page = client.get(dashboard).text
    assert "Waitlist (3)" in page
    assert page.index("wait0@example.org") < page.index("wait1@example.org")
    last = WaitlistEntry.objects.get(email="wait2@example.org")
    change = reverse(
        "sessions_app:waitlist_change", kwargs={"session_id": session.pk, "entry_id": last.pk}
    )
    assert client.post(change, {"action": "up"}).status_code == 302
    assert client.post(change, {"action": "up"}).status_code == 302
    assert list(session.waitlist.values_list("email", flat=True)) == [
        "wait2@example.org",
        "wait0@example.org",
        "wait1@example.org",
    ]
    assert client.post(change, {"action": "sideways"}).status_code == 400
    seat = Registration.objects.get(email="seat1@example.org")
    remove = reverse(
        "sessions_app:registration_remove",
        kwargs={"session_id": session.pk, "registration_id": seat.pk},
    )
    client.post(remove)
    assert session.registrations.filter(email="wait2@example.org").exists()
    # Another host's session: not found.
    stranger = Client()
    other = UserFactory()
    assert stranger.login(username=other.email, password=TEST_PASSWORD)
    assert stranger.post(change, {"action": "up"}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_twenty_cancels_and_twenty_registrations_at_once_give_no_seat_twice(
    requires_postgres: None, transactional_db: None
) -> None:
    session = _full_session(capacity=20, waiting=10)
    seats = list(session.registrations.order_by("id"))

    def act(index: int) -> str:
        now = timezone.now()
        if index < 20:
            services.registration_cancel(registration=seats[index], now=now)
            return "cancelled"
        outcome = services.registration_create(
            session=session, email=f"new{index}@example.org", name=f"New {index}", now=now
        )
        return "waiting" if isinstance(outcome, services.Waitlisted) else "registered"

    outcomes = run_at_once(act, range(40))

    assert all(isinstance(outcome, str) for outcome in outcomes), outcomes
    registered = list(session.registrations.values_list("email", flat=True))
    waiting = list(session.waitlist.values_list("email", flat=True))
    assert len(registered) == 20  # capacity exact: 30 wanted the 20 seats
    assert len(set(registered)) == 20 and not set(registered) & set(waiting)
    assert not any(email.startswith("seat") for email in registered)
    # Everyone who was waiting before the race got a seat before any newcomer waited.
    assert {f"wait{index}@example.org" for index in range(10)} <= set(registered)
    assert len(registered) + len(waiting) == 30
    confirmations = Message.objects.filter(
        topic=f"session:{session.pk}", kind="session_confirmation"
    )
    # One confirmation per registration ever made: the 20 first seats and the 20 since.
    assert confirmations.count() == 40
    assert sorted(set(confirmations.values_list("recipient_email", flat=True))) == sorted(
        {f"seat{index}@example.org" for index in range(20)} | set(registered)
    )


@pytest.mark.django_db
def test_joining_the_waitlist_keeps_the_answers_and_e_mails_the_place(client: Client):
    session = _full_session(waiting=1)
    question = services.question_create(
        session=session, label="What do you want to work on?", kind="short_text"
    )
    outbox_dispatch()
    mail.outbox.clear()
    url = reverse("sessions_app:register", kwargs={"code": session.code})
    answer = {f"question_{question.pk}": "My thesis"}
    client.post(url, {"email": "late@example.org", "name": "Late", **answer})
    client.post(url, {"email": "late@example.org", "name": "Late", **answer})  # again

    outbox_dispatch()
    [waitlisted] = mail.outbox  # once, however often they ask
    assert waitlisted.to == ["Late <late@example.org>"]
    assert waitlisted.subject == f"You're on the waitlist for {session.title}: number 2"
    assert "you are number 2 in line" in waitlisted.body
    assert "registered at once with the answers you gave" in waitlisted.body
    assert waitlisted.message()["List-Unsubscribe"] is None  # an answer to their own action
    assert not [p for p in waitlisted.message().walk() if p.get_content_type() == "text/calendar"]
    entry = WaitlistEntry.objects.get(email="late@example.org")
    assert list(entry.answers.values_list("question_label", "value")) == [
        ("What do you want to work on?", "My thesis")
    ]


@pytest.mark.django_db
def test_the_seat_comes_with_the_answers_given_on_the_waitlist_as_they_were_asked():
    session = _full_session(capacity=1, waiting=0)
    question = services.question_create(session=session, label="Your goal?", kind="short_text")
    now = timezone.now()
    outcome = services.registration_create(
        session=session,
        email="late@example.org",
        name="Late",
        now=now,
        answers=[(question, "Ship")],
    )
    assert isinstance(outcome, services.Waitlisted) and outcome.place == 1
    # The host rewords the question while Late waits: the answer keeps the text it answered.
    question.label = "Your goal this month?"
    question.save()
    outbox_dispatch()
    mail.outbox.clear()

    services.registration_cancel(
        registration=Registration.objects.get(email="seat0@example.org"), now=now
    )

    registration = Registration.objects.get(email="late@example.org")
    assert list(registration.answers.values_list("question_id", "question_label", "value")) == [
        (question.pk, "Your goal?", "Ship")
    ]
    outbox_dispatch()
    [confirmation] = mail.outbox
    assert confirmation.subject.startswith("A place freed up: you're registered for")
    assert "a place freed up in" in confirmation.body and "it is yours" in confirmation.body
    assert "/join/" in confirmation.body  # the personal join link
    invite = invite_of(confirmation)
    assert invite.method == "REQUEST"
    assert str(invite.event["UID"]) == f"session-{session.pk}@convene.example"


@pytest.mark.django_db
def test_a_place_e_mail_not_sent_yet_is_dropped_when_the_person_leaves_the_list():
    _full_session(waiting=2)
    entry = WaitlistEntry.objects.get(email="wait1@example.org")
    services.waitlist_remove(entry=entry, now=timezone.now())
    services.registration_cancel(
        registration=Registration.objects.get(email="seat0@example.org"), now=timezone.now()
    )
    outbox_dispatch()
    # wait0 was registered before their place e-mail went: they get the confirmation only;
    # wait1 left the list before theirs went (and seat0's confirmation went with the seat).
    assert sorted((sent.to[0], sent.subject.split(":")[0]) for sent in mail.outbox) == [
        ("Seat 1 <seat1@example.org>", "You're registered"),
        ("Wait 0 <wait0@example.org>", "A place freed up"),
    ]


def _waiting_mail(kind_words: str) -> dict[str, str]:
    """{recipient: text} of the e-mails sent whose subject holds `kind_words`."""
    from email.utils import parseaddr

    return {
        parseaddr(email.to[0])[1]: email.body
        for email in mail.outbox
        if kind_words in email.subject
    }


@pytest.mark.django_db
def test_those_waiting_are_told_a_new_time_with_their_place_and_only_the_last_one():
    from tests.support.sessions import session_change

    session = _full_session(title="Pricing feedback")
    outbox_dispatch()
    mail.outbox.clear()
    now = timezone.now()
    session_change(session, now=now, starts_at=session.starts_at + timedelta(hours=3))
    session.refresh_from_db()
    # Moved again before the first notice went out: only the last time is told.
    session_change(session, now=now, starts_at=session.starts_at + timedelta(hours=1))
    session.refresh_from_db()
    outbox_dispatch()
    told = _waiting_mail("New time for Pricing feedback")
    assert set(told) == {"wait0@example.org", "wait1@example.org", "wait2@example.org"}
    assert "number 2 in line" in told["wait1@example.org"]
    # The last time, in the session's zone.
    local = session.starts_at.astimezone(ZoneInfo(session.time_zone))
    assert f"{local:%H:%M}" in told["wait1@example.org"]
    assert len(mail.outbox) == 2 + 3  # the two registrants' updates, one notice per person waiting


@pytest.mark.django_db
def test_those_waiting_are_told_a_cancellation_and_the_hosts_list_says_so(client: Client):
    session = _full_session(title="Pricing feedback", waiting=2)
    host = session.program.host_roles.get().user
    mail.outbox.clear()  # "you're on the waitlist" never went out: replaced by the cancellation
    services.session_cancel(session=session, now=timezone.now())
    from tests.support.replans import replans_run

    replans_run()
    outbox_dispatch()
    told = _waiting_mail("Cancelled: Pricing feedback (you were on the waitlist)")
    assert set(told) == {"wait0@example.org", "wait1@example.org"}
    assert "its waitlist is closed" in told["wait0@example.org"]
    assert not [email for email in mail.outbox if "on the waitlist for" in email.subject]
    assert client.login(username=host.email, password=TEST_PASSWORD)
    page = client.get(reverse("sessions_app:session_people", args=[session.pk]))
    assert "nobody here will get a place; each was told by e-mail" in page.content.decode()
    assert "Wait 0" in page.content.decode() and "Move Wait 1 up" not in page.content.decode()


@pytest.mark.django_db
def test_someone_waiting_hears_in_the_zone_they_joined_from_and_keeps_it_with_the_seat():
    from programs.timezones import DETECTED_COOKIE

    session = _full_session(capacity=1, waiting=0, time_zone="Pacific/Kiritimati")
    outbox_dispatch()
    mail.outbox.clear()
    tokyo = Client()
    tokyo.cookies[DETECTED_COOKIE] = "Asia/Tokyo"
    url = reverse("sessions_app:register", kwargs={"code": session.code})
    tokyo.post(url, {"email": "carol@example.org", "name": "Carol"})
    outbox_dispatch()
    [waitlisted] = mail.outbox
    assert "Tokyo time" in waitlisted.body and "in Kiritimati" in waitlisted.body

    services.registration_cancel(
        registration=Registration.objects.get(email="seat0@example.org"), now=timezone.now()
    )
    seat = Registration.objects.get(email="carol@example.org")
    assert seat.time_zone == "Asia/Tokyo"
    mail.outbox.clear()
    outbox_dispatch()
    [confirmation] = [email for email in mail.outbox if "carol@example.org" in email.to[0]]
    assert "Tokyo time" in confirmation.body


@pytest.mark.django_db
def test_a_cancelled_sessions_waitlist_stays_as_it_was_told():
    host = UserFactory()
    session = _full_session(user=host)
    services.session_cancel(session=session, now=timezone.now())
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    last = WaitlistEntry.objects.get(email="wait2@example.org")
    change = reverse(
        "sessions_app:waitlist_change", kwargs={"session_id": session.pk, "entry_id": last.pk}
    )
    for action in ("up", "remove"):
        page = client.post(change, {"action": action}, follow=True)
        assert page.status_code == 200
        assert "its waitlist is closed: the people on it were told" in page.text
    assert list(session.waitlist.values_list("email", flat=True)) == [
        "wait0@example.org",
        "wait1@example.org",
        "wait2@example.org",
    ]
