from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from sessions_app import codes, services
from sessions_app.models import (
    QuestionKind,
    Registration,
    RegistrationAnswer,
    RegistrationQuestion,
    Session,
    SessionState,
)
from sessions_app.services import CANCELLATION, UPDATE
from tests.factories import (
    ModuleFactory,
    RegistrationFactory,
    RegistrationQuestionFactory,
    SessionFactory,
    hosted_program,
    hosted_session,
)
from tests.sessions_app.invites import html_body, invite_of
from tests.support.replans import replans_run
from tests.support.sessions import session_change

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STARTS_AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)  # 18:30 in Berlin


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def _form(**overrides: object) -> dict[str, object]:
    data = {
        "title": "Evening review",
        "description": "Look back on the week.",
        "module": "",
        "time_zone": "America/New_York",
        "starts_on": "2026-12-01",
        "starts_time": "19:00",
        "duration_minutes": "45",
        "theme": "meeting",
        "is_registration_required": "on",
        "capacity": "",
        "co_host_emails": "",
    }
    data.update(overrides)
    return data


def test_the_session_form_marks_required_fields_in_words(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    page = host_client.get(
        reverse("sessions_app:session_create", kwargs={"program_id": program.pk})
    ).text
    assert re.search(r'<label for="id_title">Title <span[^>]*>\(required\)</span>:</label>', page)
    assert re.search(r'<label for="id_description">Description:</label>', page)


def test_scheduling_a_session_reads_the_time_in_the_chosen_zone(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    module = ModuleFactory(program=program)
    response = host_client.post(
        reverse("sessions_app:session_create", kwargs={"program_id": program.pk}),
        _form(module=str(module.pk), capacity="12"),
    )
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "sessions_app:dashboard", kwargs={"session_id": session.pk}
    )
    assert session.starts_at == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    assert session.time_zone == "America/New_York"
    assert session.ends_at == session.starts_at + timedelta(minutes=45)
    assert (session.module, session.capacity, session.created_by) == (module, 12, host)
    assert codes.session_code_normalise(session.code) == session.code

    page = host_client.get(response["Location"])
    assert "Tuesday 1 December 2026, 19:00 to 19:45 New York time" in page.text
    assert session.display_code in page.text
    share = host_client.get(
        reverse("sessions_app:session_share", kwargs={"session_id": session.pk})
    )
    assert f"https://convene.example/s/{session.code}/" in share.text


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"title": ""}, "This field is required."),
        ({"starts_on": "2026-11-19"}, "Choose a date and time in the future."),
        ({"starts_on": "not a date"}, "Enter a valid date."),
        # The last hour of year 9999 would overflow when the end is computed.
        ({"starts_on": "9999-12-31", "starts_time": "23:00"}, "Choose a date between 1900"),
        ({"duration_minutes": "2"}, "greater than or equal to 5"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"capacity": "0"}, "greater than or equal to 1"),
        ({"co_host_emails": "nobody@example.org"}, "No Convene account has the address"),
        # 02:30 does not exist in Berlin on the night clocks go forward.
        (
            {"time_zone": "Europe/Berlin", "starts_on": "2027-03-28", "starts_time": "02:30"},
            "does not exist on 28 March 2027 in Europe/Berlin",
        ),
    ],
)
def test_bad_session_input_shows_field_errors_and_writes_nothing(
    host, host_client: Client, overrides: dict[str, str], field_error: str
) -> None:
    program = hosted_program(user=host)
    response = host_client.post(
        reverse("sessions_app:session_create", kwargs={"program_id": program.pk}),
        _form(**overrides),
    )
    assert response.status_code == 400
    assert field_error in response.text
    assert Session.objects.count() == 0


def test_an_ambiguous_local_time_is_asked_about_and_the_answer_is_kept_when_editing(
    host, host_client: Client
) -> None:
    """02:30 happens twice in Berlin on 31 October 2027: the form asks which one is meant."""
    program = hosted_program(user=host)
    create = reverse("sessions_app:session_create", kwargs={"program_id": program.pk})
    data = _form(time_zone="Europe/Berlin", starts_on="2027-10-31", starts_time="02:30")
    asked = host_client.post(create, data)
    assert asked.status_code == 400
    assert "02:30 happens twice on 31 October 2027 in Europe/Berlin" in asked.text
    assert "Which 02:30?" in asked.text
    assert "The earlier one, before the clocks go back (CEST, UTC+2)" in asked.text
    assert "The later one, after the clocks go back (CET, UTC+1)" in asked.text
    assert Session.objects.count() == 0

    host_client.post(create, {**data, "starts_time_which": "second"})
    session = Session.objects.get()
    assert session.starts_at == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # 02:30 CET

    # The edit form shows the later one chosen, so saving it unchanged keeps the instant.
    edit = reverse("sessions_app:session_edit", kwargs={"session_id": session.pk})
    page = host_client.get(edit).text
    assert re.search(
        r'<input type="radio" name="starts_time_which" value="second"[^>]*checked', page
    )
    host_client.post(edit, {**data, "starts_time_which": "second", "title": "Renamed"})
    session.refresh_from_db()
    assert session.title == "Renamed"
    assert session.starts_at == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


def test_a_session_id_collision_draws_a_new_id(host, monkeypatch: pytest.MonkeyPatch) -> None:
    program = hosted_program(user=host)
    taken = SessionFactory(program=program).code
    drawn = iter([taken, taken, "ABCD2345"])
    monkeypatch.setattr(codes, "session_code_generate", lambda: next(drawn))
    session = services.session_create(
        program=program,
        created_by=host,
        title="Again",
        starts_at=STARTS_AT,
        time_zone="UTC",
    )
    assert session.code == "ABCD2345"
    assert Session.objects.count() == 2


def _registered_session(host, count: int = 3) -> Session:
    session = hosted_session(user=host, starts_at=STARTS_AT, time_zone="Europe/Berlin")
    for index in range(count):
        services.registration_create(
            session=session, email=f"person{index}@example.org", name=f"Person {index}", now=NOW
        )
    outbox_dispatch()
    mail.outbox = []
    return session


def test_rescheduling_sends_every_registrant_the_update_with_a_higher_sequence(
    host, host_client: Client
) -> None:
    session = _registered_session(host)
    url = reverse("sessions_app:session_edit", kwargs={"session_id": session.pk})
    form = host_client.get(url)
    assert 'value="18:30"' in form.text and 'value="2026-11-25"' in form.text

    response = host_client.post(
        url,
        _form(
            title=session.title,
            time_zone="Europe/Berlin",
            starts_on="2026-11-26",
            starts_time="08:15",
            duration_minutes="60",
        ),
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.sequence == 1
    assert session.starts_at == datetime(2026, 11, 26, 7, 15, tzinfo=UTC)

    replans_run()  # the worker's part: the updates are planned in the background
    assert outbox_dispatch().sent == 3
    assert sorted(email.to[0] for email in mail.outbox) == [
        f"Person {index} <person{index}@example.org>" for index in range(3)
    ]
    for sent in mail.outbox:
        assert "New time" in sent.subject
        assert "Thursday 26 November 2026, 08:15 to 09:15 Berlin time" in html_body(sent)
        assert (
            "Was: Wednesday 25 November 2026, 18:30 to 19:30 Berlin time\n"
            "Now: Thursday 26 November 2026, 08:15 to 09:15 Berlin time"
        ) in sent.body
        invite = invite_of(sent)
        assert invite.method == invite.part_method == "REQUEST"
        assert int(invite.event["SEQUENCE"]) == 1
        assert invite.event.decoded("DTSTART") == datetime(2026, 11, 26, 7, 15, tzinfo=UTC)
        registration = Registration.objects.get(email=re.search(r"<(.+)>", sent.to[0]).group(1))
        # The one entry the registrant's calendar holds (the confirmation's UID) moves.
        assert registration.calendar_uid == ""
        assert str(invite.event["UID"]) == f"session-{session.pk}@convene.example"


def test_editing_only_the_title_sends_nothing_and_keeps_the_sequence(
    host, host_client: Client
) -> None:
    session = _registered_session(host)
    host_client.post(
        reverse("sessions_app:session_edit", kwargs={"session_id": session.pk}),
        _form(
            title="A new title",
            time_zone="Europe/Berlin",
            starts_on="2026-11-25",
            starts_time="18:30",
            duration_minutes="60",
        ),
    )
    session.refresh_from_db()
    assert (session.title, session.sequence) == ("A new title", 0)
    assert outbox_dispatch().sent == 0


def _reschedule(session: Session, *, starts_at: datetime, duration_minutes: int) -> None:
    session_change(session, now=NOW, starts_at=starts_at, duration_minutes=duration_minutes)


def test_rescheduling_twice_before_sending_sends_only_the_latest_update(host) -> None:
    session = _registered_session(host, count=2)
    for hours in (1, 2):
        _reschedule(session, starts_at=STARTS_AT + timedelta(hours=hours), duration_minutes=60)
    statuses = sorted(
        Message.objects.filter(kind=UPDATE).values_list("schedule_sequence", "status")
    )
    assert statuses == [
        (1, MessageStatus.CANCELLED),
        (1, MessageStatus.CANCELLED),
        (2, MessageStatus.PENDING),
        (2, MessageStatus.PENDING),
    ]
    assert outbox_dispatch().sent == 2
    assert {int(invite_of(sent).event["SEQUENCE"]) for sent in mail.outbox} == {2}
    # Nobody heard of the first move: "was" is the schedule they were told at registration.
    for sent in mail.outbox:
        assert "Was: Wednesday 25 November 2026, 18:30 to 19:30 Berlin time" in sent.body
        assert "Now: Wednesday 25 November 2026, 20:30 to 21:30 Berlin time" in sent.body


def test_a_longer_session_is_announced_as_a_new_end_time(host) -> None:
    session = _registered_session(host, count=1)
    _reschedule(session, starts_at=session.starts_at, duration_minutes=90)
    assert outbox_dispatch().sent == 1
    sent = mail.outbox[0]
    assert sent.subject.startswith("New end time: ")
    assert "now ends at a different time" in sent.body
    assert "Now: Wednesday 25 November 2026, 18:30 to 20:00 Berlin time" in sent.body


def test_capacity_cannot_drop_below_the_registrations(host, host_client: Client) -> None:
    session = _registered_session(host, count=3)
    response = host_client.post(
        reverse("sessions_app:session_edit", kwargs={"session_id": session.pk}),
        _form(
            title=session.title,
            time_zone="Europe/Berlin",
            starts_on="2026-11-25",
            starts_time="18:30",
            capacity="2",
        ),
    )
    assert response.status_code == 400
    assert "3 people are registered already" in response.text


def test_cancelling_sends_method_cancel_to_every_registrant(host, host_client: Client) -> None:
    session = _registered_session(host)
    services.registration_create(session=session, email="late@example.org", name="Late", now=NOW)
    url = reverse("sessions_app:session_cancel", kwargs={"session_id": session.pk})
    assert "4 registrants will get an e-mail" in host_client.get(url).text

    response = host_client.post(url)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.state == SessionState.CANCELLED
    assert session.sequence == 1
    replans_run()
    # The late registrant's confirmation, still pending, is not sent any more.
    assert Message.objects.get(
        recipient_email="late@example.org", kind="session_confirmation"
    ).status == (MessageStatus.CANCELLED)

    assert outbox_dispatch().sent == 4
    assert {sent.to[0].split("<")[1][:-1] for sent in mail.outbox} == {
        "person0@example.org",
        "person1@example.org",
        "person2@example.org",
        "late@example.org",
    }
    for sent in mail.outbox:
        assert sent.subject.startswith("Cancelled:")
        invite = invite_of(sent)
        assert invite.method == invite.part_method == invite.attachment_method == "CANCEL"
        assert str(invite.event["STATUS"]) == "CANCELLED"
        assert int(invite.event["SEQUENCE"]) == 1
        assert "/join/" not in sent.body
    assert Message.objects.filter(kind=CANCELLATION, status=MessageStatus.SENT).count() == 4

    # Cancelled: the public page says so, and the dashboard offers no edit.
    public = Client().get(reverse("sessions_app:public", kwargs={"code": session.code}))
    assert "This session was cancelled." in public.text
    dashboard = host_client.get(
        reverse("sessions_app:dashboard", kwargs={"session_id": session.pk})
    )
    assert "Edit or reschedule" not in dashboard.text


def test_a_confirmation_pending_when_the_session_is_cancelled_is_not_sent(host) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT)
    services.registration_create(session=session, email="ada@example.org", name="Ada", now=NOW)
    services.session_cancel(session=session, now=NOW)
    replans_run()
    result = outbox_dispatch()
    assert [sent.subject.split(":")[0] for sent in mail.outbox] == ["Cancelled"]
    assert result.sent == 1


@pytest.mark.parametrize(
    "name",
    [
        "dashboard",
        "session_people",
        "session_questions",
        "session_emails",
        "session_room",
        "session_share",
        "session_edit",
        "session_cancel",
        "registrations_csv",
    ],
)
def test_a_host_cannot_see_another_programs_session(host_client: Client, name: str) -> None:
    theirs = hosted_session(starts_at=STARTS_AT)
    url = reverse(f"sessions_app:{name}", kwargs={"session_id": theirs.pk})
    assert host_client.get(url).status_code == 404
    assert host_client.post(url, _form()).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == SessionState.SCHEDULED
    assert theirs.title != "Evening review"


def test_a_host_cannot_change_another_programs_session(host, host_client: Client) -> None:
    theirs = hosted_session(starts_at=STARTS_AT)
    registration = RegistrationFactory(session=theirs)
    question = RegistrationQuestionFactory(session=theirs)
    posts = [
        reverse("sessions_app:participants_add", kwargs={"session_id": theirs.pk}),
        reverse(
            "sessions_app:registration_resend",
            kwargs={"session_id": theirs.pk, "registration_id": registration.pk},
        ),
        reverse("sessions_app:question_add", kwargs={"session_id": theirs.pk}),
        reverse(
            "sessions_app:question_delete",
            kwargs={"session_id": theirs.pk, "question_id": question.pk},
        ),
    ]
    for url in posts:
        assert (
            host_client.post(
                url, {"people": "x@example.org", "label": "Q", "kind": "short_text"}
            ).status_code
            == 404
        )
    mine = hosted_program(user=host)
    assert (
        host_client.post(
            reverse("sessions_app:session_create", kwargs={"program_id": theirs.program_id}),
            _form(),
        ).status_code
        == 404
    )
    assert Message.objects.count() == 0
    assert RegistrationQuestion.objects.filter(pk=question.pk).exists()
    assert Registration.objects.count() == 1
    assert not Session.objects.filter(program=mine).exists()


def test_a_co_host_manages_that_session_only(host_client: Client, host) -> None:
    shared = hosted_session(starts_at=STARTS_AT, title="Shared session")
    shared.co_hosts.add(host)
    other = SessionFactory(program=shared.program, starts_at=STARTS_AT, title="Not mine")
    assert (
        host_client.get(
            reverse("sessions_app:dashboard", kwargs={"session_id": shared.pk})
        ).status_code
        == 200
    )
    assert (
        host_client.get(
            reverse("sessions_app:dashboard", kwargs={"session_id": other.pk})
        ).status_code
        == 404
    )
    assert (
        host_client.get(
            reverse("programs:overview", kwargs={"program_id": shared.program_id})
        ).status_code
        == 404
    )
    listing = host_client.get(reverse("sessions_app:my_sessions"))
    assert "Shared session" in listing.text
    assert "Not mine" not in listing.text


def test_my_sessions_tabs_sort_sessions_by_time(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    SessionFactory(program=program, title="Next week", starts_at=NOW + timedelta(days=7))
    SessionFactory(program=program, title="Tomorrow", starts_at=NOW + timedelta(days=1))
    SessionFactory(program=program, title="Running now", starts_at=NOW - timedelta(minutes=10))
    SessionFactory(
        program=program,
        title="Live late",
        starts_at=NOW - timedelta(hours=5),
        state=SessionState.LIVE,
    )
    SessionFactory(program=program, title="Last week", starts_at=NOW - timedelta(days=7))
    SessionFactory(program=program, title="Yesterday", starts_at=NOW - timedelta(days=1))
    SessionFactory(
        program=program,
        title="Called off",
        starts_at=NOW + timedelta(days=2),
        state=SessionState.CANCELLED,
    )
    hosted_session(title="Someone else's", starts_at=NOW + timedelta(days=1))

    def titles(tab: str) -> list[str]:
        page = host_client.get(reverse("sessions_app:my_sessions"), {"tab": tab})
        assert page.status_code == 200
        return (
            re.findall(
                r"<strong>([^<]+)</strong>",
                page.text.split('class="session-tiles"')[1].split("</ul>")[0],
            )
            if 'class="session-tiles"' in page.text
            else []
        )

    assert titles("upcoming") == ["Tomorrow", "Next week"]
    assert titles("ongoing") == ["Live late", "Running now"]
    # Completed holds only sessions whose time is over; a cancelled one, even a future one,
    # is on the Cancelled tab.
    assert titles("completed") == ["Yesterday", "Last week"]
    assert titles("cancelled") == ["Called off"]
    nav = host_client.get(reverse("sessions_app:my_sessions")).text
    assert re.search(r'aria-current="page">(<svg[^>]*>.*?</svg>)?My Sessions', nav)
    assert "Mon 30 Nov 2026" not in nav  # sanity: times in each session's own zone
    assert "Sat 21 Nov 2026, 10:00 Berlin time" in nav


def test_the_people_page_searches_registrations(host, host_client: Client) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT)
    RegistrationFactory(session=session, name="Grace Hopper", email="grace@example.org")
    RegistrationFactory(session=session, name="Alan Turing", email="alan@example.org")
    url = reverse("sessions_app:session_people", kwargs={"session_id": session.pk})
    page = host_client.get(url, {"q": "GRACE"})
    assert "grace@example.org" in page.text
    assert "alan@example.org" not in page.text
    assert "Registrations (2)" in page.text
    assert "No registration matches" in host_client.get(url, {"q": "zzz"}).text


def test_csv_export_streams_every_registration_with_answers(host, host_client: Client) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT, time_zone="Europe/Berlin")
    question = RegistrationQuestionFactory(
        session=session, label="Goal", kind=QuestionKind.SHORT_TEXT
    )
    services.registration_create(
        session=session,
        email="ada@example.org",
        name="=HYPERLINK(1)",
        answers=[(question, "Sleep")],
        now=NOW,
    )
    services.registration_create(session=session, email="bob@example.org", name="Bob", now=NOW)
    old = RegistrationFactory(session=session, email="old@example.org", name="Old")
    RegistrationAnswer.objects.create(
        registration=old, question_label="Removed question", value="kept"
    )

    response = host_client.get(
        reverse("sessions_app:registrations_csv", kwargs={"session_id": session.pk})
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"registrations-{session.display_code}.csv" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # so Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Name",
        "E-mail",
        "Registered at (Europe/Berlin)",
        "How",
        "Goal",
        "Removed question",
    ]
    assert rows[1] == [
        "'=HYPERLINK(1)",
        "ada@example.org",
        "2026-11-20 10:00",
        "Registered themselves",
        "Sleep",
        "",
    ]
    assert rows[2][:2] == ["Bob", "bob@example.org"]
    assert rows[3][-1] == "kept"


def test_adding_participants_registers_them_and_sends_the_same_confirmation(
    host, host_client: Client
) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT, capacity=3)
    RegistrationFactory(session=session, email="known@example.org")
    url = reverse("sessions_app:participants_add", kwargs={"session_id": session.pk})
    response = host_client.post(
        url,
        {
            "people": "Grace Hopper <grace@example.org>\nalan@example.org, Alan Turing\n"
            "KNOWN@example.org\nthird@example.org"
        },
        follow=True,
    )
    assert "Added 2 people" in response.text
    assert "Already registered" in response.text and "KNOWN@example.org" in response.text
    assert "Not added (This session is full.): third@example.org" in response.text
    added = Registration.objects.filter(session=session, source="host").order_by("email")
    assert [(r.email, r.name, r.added_by) for r in added] == [
        ("alan@example.org", "Alan Turing", host),
        ("grace@example.org", "Grace Hopper", host),
    ]
    assert outbox_dispatch().sent == 2
    for sent in mail.outbox:
        assert "You're registered" in sent.subject
        assert "/join/" in sent.body
        assert invite_of(sent).method == "REQUEST"

    bad = host_client.post(url, {"people": "grace@example.org\nnot an address"})
    assert bad.status_code == 400
    assert "line 2 (not an address)" in bad.text
    # The errors show at the form's address; opened again, it is the People page.
    people = reverse("sessions_app:session_people", kwargs={"session_id": session.pk})
    again = host_client.get(url)
    assert again.status_code == 302 and again["Location"].startswith(people)
    assert Registration.objects.filter(session=session).count() == 3


def test_an_address_given_twice_is_added_once_and_a_cancelled_session_takes_nobody(
    host, host_client: Client
) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT)
    url = reverse("sessions_app:participants_add", kwargs={"session_id": session.pk})
    response = host_client.post(
        url, {"people": "ada@example.org\nAda <ADA@example.org>\nbob@example.org"}, follow=True
    )
    assert "Added 2 people" in response.text
    assert "Already registered" in response.text and "ADA@example.org" in response.text
    assert Registration.objects.filter(session=session).count() == 2
    assert Message.objects.filter(kind="session_confirmation").count() == 2

    services.session_cancel(session=session, now=NOW)
    refused = host_client.post(url, {"people": "carol@example.org\nada@example.org"}, follow=True)
    assert "Not added (This session was cancelled.): carol@example.org" in refused.text
    assert Registration.objects.filter(session=session).count() == 2


def test_adding_an_address_the_database_folds_onto_a_registered_one_is_not_an_error(
    requires_postgres, host, host_client: Client
) -> None:
    """PostgreSQL lower-cases "İ" to "i", Python to "i̇": the unique constraint decides."""
    session = hosted_session(user=host, starts_at=STARTS_AT)
    RegistrationFactory(session=session, email="ilker@example.org")
    url = reverse("sessions_app:participants_add", kwargs={"session_id": session.pk})
    response = host_client.post(url, {"people": "İlker@example.org"}, follow=True)
    assert response.status_code == 200
    assert "Already registered" in response.text
    again = services.registration_create(
        session=session, email="İlker@example.org", name="İlker", now=NOW
    )
    assert not again.created
    assert Registration.objects.filter(session=session).count() == 1


def test_resending_a_link_sends_the_same_link_and_a_new_link_revokes_the_old(
    host, host_client: Client
) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT)
    registration = services.registration_create(
        session=session, email="ada@example.org", name="Ada", now=NOW
    ).registration
    outbox_dispatch()
    url = reverse(
        "sessions_app:registration_resend",
        kwargs={"session_id": session.pk, "registration_id": registration.pk},
    )

    def link(sent) -> str:
        return re.search(r"https://convene\.example(/join/\S+/)", sent.body).group(1)

    host_client.post(url)
    outbox_dispatch()
    assert link(mail.outbox[1]) == link(mail.outbox[0])

    host_client.post(url, {"revoke": "1"})
    outbox_dispatch()
    assert link(mail.outbox[2]) != link(mail.outbox[0])
    assert Client().get(link(mail.outbox[0])).status_code == 404
    assert Client().get(link(mail.outbox[2])).status_code == 302


def test_registration_questions_are_added_and_removed_on_the_questions_page(
    host, host_client: Client
) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT)
    add = reverse("sessions_app:question_add", kwargs={"session_id": session.pk})
    bad = host_client.post(add, {"label": "Level", "kind": "single_choice", "choices": "Only one"})
    assert bad.status_code == 400
    assert "needs at least two choices" in bad.text
    current = f'<a href="/sessions/{session.pk}/questions/" aria-current="page">Questions</a>'
    assert current in bad.text
    host_client.post(
        add,
        {"label": "Level", "kind": "single_choice", "choices": "Low\nHigh\n", "is_required": "on"},
    )
    host_client.post(add, {"label": "Anything else?", "kind": "long_text", "choices": "ignored"})
    questions = list(session.questions.order_by("position"))
    assert [(q.label, q.choices, q.is_required) for q in questions] == [
        ("Level", "Low\nHigh", True),
        ("Anything else?", "", False),
    ]
    page = Client().get(reverse("sessions_app:register", kwargs={"code": session.code}))
    assert "Level" in page.text and "Anything else?" in page.text

    host_client.post(
        reverse(
            "sessions_app:question_delete",
            kwargs={"session_id": session.pk, "question_id": questions[0].pk},
        )
    )
    assert list(session.questions.values_list("label", flat=True)) == ["Anything else?"]


def test_program_overview_shows_upcoming_then_past_session_tiles(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    session = SessionFactory(
        program=program, title="Kick-off", starts_at=STARTS_AT, time_zone="Asia/Tokyo"
    )
    SessionFactory(program=program, title="Long gone", starts_at=NOW - timedelta(days=3))
    page = host_client.get(reverse("programs:overview", kwargs={"program_id": program.pk}))
    assert "Kick-off" in page.text
    # In the program's zone (the host chose none), the session's own beside it.
    assert "Wed 25 Nov 2026, 18:30 Berlin time</time>" in page.text
    assert "· Thu 26 Nov, 02:30 in Tokyo" in page.text
    assert session.display_code in page.text
    assert reverse("sessions_app:dashboard", kwargs={"session_id": session.pk}) in page.text
    assert (
        page.text.index("Kick-off")
        < page.text.index("<h3>Past</h3>")
        < page.text.index("Long gone")
    )
    assert reverse("sessions_app:session_create", kwargs={"program_id": program.pk}) in page.text


def test_host_pages_need_a_signed_in_host(client: Client) -> None:
    session = hosted_session(starts_at=STARTS_AT)
    for url in (
        reverse("sessions_app:my_sessions"),
        reverse("sessions_app:dashboard", kwargs={"session_id": session.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"state": SessionState.LIVE}, "This session is live"),
        ({"starts_at": NOW - timedelta(days=2)}, "This session is over"),
    ],
)
def test_a_live_or_past_session_cannot_be_moved(
    host, host_client: Client, fields: dict[str, object], error: str
) -> None:
    fields.setdefault("starts_at", NOW - timedelta(minutes=5))
    session = hosted_session(user=host, time_zone="UTC", **fields)
    response = host_client.post(
        reverse("sessions_app:session_edit", kwargs={"session_id": session.pk}),
        _form(time_zone="UTC", starts_on="2026-12-01", starts_time="10:00"),
    )
    assert response.status_code == 400
    assert error in response.text
    session.refresh_from_db()
    assert session.sequence == 0
    cancel = host_client.post(
        reverse("sessions_app:session_cancel", kwargs={"session_id": session.pk})
    )
    assert cancel.status_code == 400
    assert "Only a session that has not started yet can be cancelled." in cancel.text


def test_a_nul_character_in_the_registration_search_is_ignored(
    requires_postgres, host, host_client: Client
) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT)
    RegistrationFactory(session=session, name="Grace Hopper", email="grace@example.org")
    url = reverse("sessions_app:session_people", kwargs={"session_id": session.pk})
    page = host_client.get(url, {"q": "\x00grace"})
    assert page.status_code == 200
    assert "grace@example.org" in page.text
