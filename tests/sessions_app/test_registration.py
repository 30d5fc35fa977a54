from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from sessions_app.models import QuestionKind, Registration, RegistrationAnswer, SessionState
from sessions_app.services import CONFIRMATION
from tests.factories import RegistrationFactory, RegistrationQuestionFactory, hosted_session
from tests.sessions_app.invites import html_body, invite_of

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# 18:30 in Berlin (UTC+1 in winter)
STARTS_AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def _session(**fields):
    fields.setdefault("starts_at", STARTS_AT)
    fields.setdefault("time_zone", "Europe/Berlin")
    fields.setdefault("title", "Morning focus")
    return hosted_session(**fields)


def _level_question(session):
    return RegistrationQuestionFactory(
        session=session,
        label="Level",
        kind=QuestionKind.SINGLE_CHOICE,
        choices="Beginner\nAdvanced",
        is_required=True,
    )


def _register(client: Client, session, **data) -> object:
    payload = {"email": "ada@example.org", "name": "Ada Lovelace", **data}
    return client.post(reverse("sessions_app:register", kwargs={"code": session.code}), payload)


def test_registering_writes_a_row_plans_the_confirmation_and_sends_an_invite(
    client: Client,
) -> None:
    session = _session(duration_minutes=45)
    response = _register(client, session)

    assert response.status_code == 302
    assert response["Location"] == reverse("sessions_app:registered", kwargs={"code": session.code})
    registration = Registration.objects.get()
    assert (registration.email, registration.name) == ("ada@example.org", "Ada Lovelace")
    message = Message.objects.get(kind=CONFIRMATION)
    assert (message.kind, message.topic, message.status) == (
        CONFIRMATION,
        f"session:{session.pk}",
        MessageStatus.PENDING,
    )
    assert message.schedule_sequence == session.sequence == 0
    assert mail.outbox == []  # only the dispatcher sends

    assert outbox_dispatch().sent == 1
    [sent] = mail.outbox
    assert sent.to == ["Ada Lovelace <ada@example.org>"]
    assert "Morning focus" in sent.subject
    when = "Wednesday 25 November 2026, 18:30 to 19:15 Berlin time"
    assert when in sent.body and when in html_body(sent)
    # The join link, and the same token leading to "cancel" and to the personal .ics.
    join_links = re.findall(r"https://convene\.example/join/[^\s\"</]+/(?=[\s\"<])", sent.body)
    assert len(join_links) == 1
    assert join_links[0] in html_body(sent)

    invite = invite_of(sent)
    assert invite.method == "REQUEST"
    assert invite.part_method == "REQUEST"
    assert invite.attachment_method == "REQUEST"
    event = invite.event
    assert str(event["UID"]) == f"session-{session.pk}@convene.example"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == STARTS_AT
    assert event.decoded("DTEND") == STARTS_AT + timedelta(minutes=45)
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert str(event["ATTENDEE"]) == "mailto:ada@example.org"
    assert str(event["ORGANIZER"]) == "mailto:rsvp@convene.example"  # CALENDAR_REPLY_EMAIL
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert event["ATTENDEE"].params["RSVP"] == "TRUE"
    assert event["ORGANIZER"].params["CN"]
    # The calendar never carries the personal link: calendars get shared.
    assert "/join/" not in invite.attachment.decode()
    assert f"/s/{session.code}/" in invite.attachment.decode()


def test_the_invite_part_sits_in_multipart_alternative_with_the_same_file_attached(
    client: Client,
) -> None:
    session = _session()
    _register(client, session)
    outbox_dispatch()
    invite = invite_of(mail.outbox[0])
    mime = invite.mime
    assert mime.get_content_type() == "multipart/mixed"
    alternative = next(part for part in mime.walk() if part.is_multipart() and part is not mime)
    assert alternative.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in alternative.get_payload()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    calendar_part = alternative.get_payload()[2]
    assert calendar_part["Content-Type"].startswith("text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"


def _confirmations() -> int:
    return Message.objects.filter(kind=CONFIRMATION).count()


def _registered_text(client: Client, response) -> str:
    """The main content of the page the registration form leads to, whitespace folded."""
    assert response.status_code == 302
    page = client.get(response["Location"]).text
    main = page[page.index("<main") : page.index("</main>")]
    return " ".join(main.split())


def test_registering_again_in_another_case_sends_the_confirmation_again_only(
    client: Client,
) -> None:
    session = _session()
    _register(client, session, email="Ada@Example.org")
    outbox_dispatch()
    with time_machine.travel(NOW + timedelta(minutes=6), tick=False):
        response = _register(client, session, email="ADA@example.ORG", name="Someone Else")
        text = _registered_text(client, response)
        outbox_dispatch()
        # Again at once: no third e-mail within the resend window, so nobody floods an inbox.
        _register(client, session, email="ada@example.org")
        outbox_dispatch()
    assert "We are sending the confirmation, with your personal join link" in text
    assert Registration.objects.count() == 1
    assert Registration.objects.get().name == "Ada Lovelace"
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["Ada Lovelace <Ada@Example.org>"]
    assert _confirmations() == 2


def test_registering_again_while_the_confirmation_is_pending_adds_no_second_one(
    client: Client,
) -> None:
    session = _session()
    goal = RegistrationQuestionFactory(session=session, label="Your goal?")
    first = _register(client, session, **{f"question_{goal.pk}": "Sleep better"})
    first_text = _registered_text(client, first)
    # The page itself says the registration is done, and keeps the calendar buttons.
    assert "<h2>You're registered — check your inbox for the invite</h2>" in first_text
    assert "Check your e-mail" not in first_text
    assert (
        "Add to calendar (.ics)" in first_text and "Google Calendar (separate entry)" in first_text
    )
    with time_machine.travel(NOW + timedelta(seconds=10), tick=False):
        again = _register(client, session, name="Ada King", **{f"question_{goal.pk}": "Run faster"})
        text = _registered_text(client, again)
    # The page says what happens to a repeat, but is the same page a new address gets: the
    # form does not tell a stranger who is registered.
    assert text == first_text
    assert "If that address was already registered for this session" in text
    assert "the details given the first time stand (what was just entered is not saved)" in text
    assert _confirmations() == 1
    registration = Registration.objects.get()
    assert registration.name == "Ada Lovelace"
    assert [answer.value for answer in registration.answers.all()] == ["Sleep better"]
    outbox_dispatch()
    assert len(mail.outbox) == 1


def test_registering_again_minutes_after_the_confirmation_left_sends_nothing_new(
    client: Client,
) -> None:
    session = _session()
    first_text = _registered_text(client, _register(client, session))
    outbox_dispatch()
    with time_machine.travel(NOW + timedelta(minutes=4), tick=False):
        text = _registered_text(client, _register(client, session))
        outbox_dispatch()
    assert text == first_text
    assert _confirmations() == 1
    assert len(mail.outbox) == 1


def test_a_full_session_says_so_and_registers_nobody(client: Client) -> None:
    session = _session(capacity=2)
    RegistrationFactory.create_batch(2, session=session)
    page = client.get(reverse("sessions_app:register", kwargs={"code": session.code}))
    assert "This session is full" in page.text
    assert "<form" not in page.text.split("</header>")[1].split("Session page")[0]

    response = _register(client, session)
    assert response.status_code == 409
    assert "This session is full" in response.text
    assert Registration.objects.count() == 2
    assert Message.objects.count() == 0


def test_someone_already_registered_gets_the_link_again_even_when_full(client: Client) -> None:
    session = _session(capacity=1)
    RegistrationFactory(session=session, email="ada@example.org")
    response = _register(client, session, email="ADA@example.org")
    assert response.status_code == 302
    assert Message.objects.filter(kind=CONFIRMATION).count() == 1


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"email": ""}, "This field is required."),
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 201}, "at most 200 characters"),
        ({"email": "a" * 250 + "@example.org"}, "at most 254 characters"),
    ],
)
def test_bad_input_shows_field_errors_and_writes_nothing(
    client: Client, data: dict[str, str], field_error: str
) -> None:
    session = _session()
    response = _register(client, session, **data)
    assert response.status_code == 400
    assert field_error in response.text
    assert 'aria-invalid="true"' in response.text
    assert Registration.objects.count() == 0
    assert Message.objects.count() == 0


def test_required_questions_must_be_answered_and_answers_keep_the_question_text(
    client: Client,
) -> None:
    session = _session()
    goal = RegistrationQuestionFactory(
        session=session, label="Your goal?", kind=QuestionKind.LONG_TEXT, is_required=True
    )
    level = _level_question(session)
    topics = RegistrationQuestionFactory(
        session=session, label="Topics", kind=QuestionKind.CHECKBOX, choices="Sleep\nFocus"
    )
    consent = RegistrationQuestionFactory(
        session=session, label="I agree to the rules", kind=QuestionKind.CHECKBOX, is_required=True
    )

    page = client.get(reverse("sessions_app:register", kwargs={"code": session.code}))
    assert "Your goal?" in page.text and "Beginner" in page.text

    missing = _register(client, session, **{f"question_{level.pk}": "Beginner"})
    assert missing.status_code == 400
    assert missing.text.count("This field is required.") == 2  # goal and consent
    bad_choice = _register(
        client,
        session,
        **{
            f"question_{goal.pk}": "Sleep",
            f"question_{level.pk}": "Expert",
            f"question_{consent.pk}": "on",
        },
    )
    assert bad_choice.status_code == 400
    assert "Select a valid choice" in bad_choice.text
    too_long = _register(
        client,
        session,
        **{
            f"question_{goal.pk}": "x" * 5001,
            f"question_{level.pk}": "Beginner",
            f"question_{consent.pk}": "on",
        },
    )
    assert too_long.status_code == 400
    assert Registration.objects.count() == 0

    ok = client.post(
        reverse("sessions_app:register", kwargs={"code": session.code}),
        {
            "email": "ada@example.org",
            "name": "Ada",
            f"question_{goal.pk}": "Sleep better",
            f"question_{level.pk}": "Advanced",
            f"question_{topics.pk}": ["Sleep", "Focus"],
            f"question_{consent.pk}": "on",
        },
    )
    assert ok.status_code == 302
    goal.label = "What is your goal this week?"
    goal.save()
    answers = {
        answer.question_label: answer.value
        for answer in RegistrationAnswer.objects.filter(registration__session=session)
    }
    assert answers == {
        "Your goal?": "Sleep better",
        "Level": "Advanced",
        "Topics": "Sleep; Focus",
        "I agree to the rules": "Yes",
    }


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"state": SessionState.CANCELLED}, "This session was cancelled."),
        ({"starts_at": NOW - timedelta(hours=3)}, "This session is over."),
        ({"state": SessionState.ENDED}, "This session is over."),
    ],
)
def test_cancelled_and_past_sessions_say_so_and_take_no_registration(
    client: Client, fields: dict[str, object], text: str
) -> None:
    session = _session(**fields)
    for name in ("public", "register"):
        page = client.get(reverse(f"sessions_app:{name}", kwargs={"code": session.code}))
        assert page.status_code == 200
        assert text in page.text
        assert 'name="email"' not in page.text
    response = _register(client, session)
    assert text in response.text
    assert Registration.objects.count() == 0
    assert Message.objects.count() == 0


def _join_link(sent) -> str:
    return re.search(r"https://convene\.example(/join/[^\s]+/)", sent.body).group(1)


def test_the_personal_link_becomes_a_cookie_and_lands_on_the_registration_page(
    client: Client,
) -> None:
    session = _session()
    _register(client, session)
    outbox_dispatch()
    link = _join_link(mail.outbox[0])

    visitor = Client()
    response = visitor.get(link)
    assert response.status_code == 302
    assert response["Referrer-Policy"] == "no-referrer"
    target = reverse("sessions_app:my_registration", kwargs={"code": session.code})
    assert response["Location"] == target
    cookie = response.cookies[f"convene_join_{session.pk}"]
    assert cookie["httponly"] and cookie["path"] == f"/s/{session.code}/"
    assert "/join/" not in response["Location"]

    page = visitor.get(target)
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer"
    assert "You're registered" in page.text
    assert "ada@example.org" in page.text
    assert "Wednesday 25 November 2026, 18:30 to 19:30 Berlin time" in page.text
    assert "10 minutes before the start" in page.text
    assert reverse("sessions_app:my_calendar", kwargs={"code": session.code}) in page.text

    stranger = Client()
    assert stranger.get(target).status_code == 403


def test_a_revoked_or_tampered_link_no_longer_works(client: Client, host_client: Client) -> None:
    session = _session()
    _register(client, session)
    outbox_dispatch()
    link = _join_link(mail.outbox[0])
    tampered = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
    assert Client().get(tampered).status_code == 404

    registration = Registration.objects.get()
    registration.token_version += 1
    registration.save()
    response = Client().get(link)
    assert response.status_code == 404
    assert "This link does not work" in response.text


def test_names_and_titles_beyond_ascii_survive_the_invite(client: Client) -> None:
    session = _session(title="Café talk · 東京")
    _register(client, session, name="Zoë Ødegaard", email="zoe@example.org")
    outbox_dispatch()
    [sent] = mail.outbox
    invite = invite_of(sent)
    assert str(invite.event["SUMMARY"]) == "Café talk · 東京"
    assert invite.event["ATTENDEE"].params["CN"] == "Zoë Ødegaard"
    assert "Café talk · 東京" in sent.subject
    assert sent.body.startswith("Hello Zoë Ødegaard,")


def test_a_confirmation_not_sent_before_the_session_ended_is_skipped(client: Client) -> None:
    session = _session()
    _register(client, session)
    with time_machine.travel(STARTS_AT + timedelta(hours=2), tick=False):
        result = outbox_dispatch()
    assert result.sent == 0
    assert Message.objects.get(kind=CONFIRMATION).status == MessageStatus.SKIPPED
    assert mail.outbox == []


def test_the_database_refuses_the_same_address_twice_in_any_case() -> None:
    session = _session()
    RegistrationFactory(session=session, email="ada@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationFactory(session=session, email="ADA@Example.ORG")
    RegistrationFactory(session=_session(), email="ADA@Example.ORG")  # another session: fine


def _label(page_text: str, field_id: str) -> str:
    """The text of the label (or legend) that names the field with this id."""
    match = re.search(
        rf'<label for="{field_id}">(.*?)</label>'
        rf'|<legend>((?:(?!</legend>).)*)</legend>\s*<div id="{field_id}"',
        page_text,
        re.S,
    )
    assert match, field_id
    return re.sub(r"<[^>]+>", "", match.group(1) or match.group(2)).strip()


def test_the_registration_form_marks_required_fields_in_words(client: Client) -> None:
    session = _session()
    goal = RegistrationQuestionFactory(session=session, label="Your goal?", is_required=True)
    level = _level_question(session)
    note = RegistrationQuestionFactory(session=session, label="Anything else", is_required=False)
    topics = RegistrationQuestionFactory(
        session=session, label="Topics", kind=QuestionKind.CHECKBOX, choices="Sleep\nFocus"
    )
    page = client.get(reverse("sessions_app:register", kwargs={"code": session.code})).text

    assert _label(page, "id_email") == "E-mail address (required):"
    assert _label(page, "id_name") == "Your name (required):"
    assert _label(page, f"id_question_{goal.pk}") == "Your goal? (required)"
    assert _label(page, f"id_question_{level.pk}") == "Level (required):"
    assert _label(page, f"id_question_{note.pk}") == "Anything else:"
    assert _label(page, f"id_question_{topics.pk}") == "Topics:"
    # The browser still knows which inputs are required.
    assert re.search(r'<input type="email" name="email"[^>]* required', page)
    assert not re.search(rf'name="question_{note.pk}"[^>]* required', page)
