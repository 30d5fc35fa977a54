"""The host pages by task: one page per task with the same navigation, questions set on the
create form, the tabs of My Sessions and the status badges wherever a session is listed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import DataError
from django.test import Client
from django.urls import reverse

from sessions_app import rooms, services
from sessions_app.models import AttendanceStatus, Session, SessionState
from tests.factories import (
    AttendanceFactory,
    ModuleFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
    hosted_program,
    hosted_session,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

PAGES = {
    "dashboard": "Overview",
    "session_people": "People",
    "session_questions": "Questions",
    "session_emails": "E-mails",
    "session_room": "Room &amp; recordings",
    "session_share": "Share",
}


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def _url(name: str, session: Session) -> str:
    return reverse(f"sessions_app:{name}", kwargs={"session_id": session.pk})


def _create_form(**overrides: object) -> dict[str, object]:
    data = {
        "title": "Evening review",
        "time_zone": "Europe/Berlin",
        "starts_on": "2026-12-01",
        "starts_time": "19:00",
        "duration_minutes": "60",
        "theme": "meeting",
        "is_registration_required": "on",
        "questions-TOTAL_FORMS": "3",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "20",
    }
    for index in range(3):
        data[f"questions-{index}-kind"] = "short_text"
    data.update(overrides)
    return data


def _tile_titles(page: str) -> list[str]:
    if 'class="session-tiles"' not in page:
        return []
    tiles = page.split('class="session-tiles"')[1].split("</ul>")[0]
    return re.findall(r"<strong>([^<]+)</strong>", tiles)


def test_every_session_page_names_itself_as_the_current_one(host, host_client: Client) -> None:
    session = hosted_session(user=host, starts_at=NOW + timedelta(days=2), title="Review")
    for name, label in PAGES.items():
        page = host_client.get(_url(name, session))
        assert page.status_code == 200, name
        nav = page.text.split('aria-label="Session pages"')[1].split("</nav>")[0]
        assert nav.count('aria-current="page"') == 1
        assert f'<a href="{_url(name, session)}" aria-current="page">{label}</a>' in nav
        for other in PAGES:
            assert f'href="{_url(other, session)}"' in nav
        assert '<span class="badge">Upcoming</span>' in page.text


def test_each_part_of_the_old_dashboard_is_on_its_page(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    session = SessionFactory(
        program=program,
        starts_at=NOW + timedelta(days=2),
        module=ModuleFactory(program=program, is_activated=True),
    )
    RegistrationFactory(session=session, email="ada@example.org")

    def text(name: str) -> str:
        return host_client.get(_url(name, session)).text

    overview, people, questions = (
        text("dashboard"),
        text("session_people"),
        text("session_questions"),
    )
    emails, room, share = text("session_emails"), text("session_room"), text("session_share")
    assert "Details" in overview and "Live room" in overview and "Start the session" in overview
    assert "Edit or reschedule" in overview and "ada@example.org" not in overview
    assert "Registrations (1)" in people and "ada@example.org" in people
    assert "Add participants" in people and "Guests who came" in people
    assert "Add a question" in questions and "Registrations (1)" not in questions
    assert 'id="messages-heading">E-mails</h2>' in emails
    assert "Live room" in room and "Attach recording" in room
    assert "Attach recording" not in overview
    assert "For participants: the registration page" in share
    assert "For people who missed it: the Session ID and QR code" in share
    assert "For guests: the guest link" in share
    # One link per purpose, each named by who it is for: no "Direct link" any more.
    for page in (overview, people, questions, emails, room, share):
        assert "Direct link" not in page


def test_an_open_session_shares_its_session_page_for_participants(
    host, host_client: Client
) -> None:
    session = hosted_session(
        user=host, starts_at=NOW + timedelta(days=2), is_registration_required=False
    )
    share = host_client.get(_url("session_share", session)).text
    assert "For participants: the session page" in share
    assert f"https://convene.example/s/{session.code}/<" in share.replace('"', "<")
    assert "This session has no module, so nobody can make a commitment from it." in share


def test_questions_set_on_the_create_form_are_asked_on_the_registration_page(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host)
    form = host_client.get(
        reverse("sessions_app:session_create", kwargs={"program_id": program.pk})
    )
    assert "Registration questions (optional)" in form.text
    assert form.text.count("<legend>Question ") == 3
    response = host_client.post(
        reverse("sessions_app:session_create", kwargs={"program_id": program.pk}),
        _create_form(
            **{
                "questions-0-label": "Your team",
                "questions-0-is_required": "on",
                # The second is left empty: skipped.
                "questions-2-label": "Level",
                "questions-2-kind": "single_choice",
                "questions-2-choices": "Beginner\nAdvanced",
            }
        ),
    )
    assert response.status_code == 302
    session = Session.objects.get()
    questions = list(session.questions.order_by("position"))
    assert [(q.label, q.kind, q.choices, q.is_required) for q in questions] == [
        ("Your team", "short_text", "", True),
        ("Level", "single_choice", "Beginner\nAdvanced", False),
    ]
    page = Client().get(reverse("sessions_app:register", kwargs={"code": session.code}))
    assert "Your team" in page.text and "Advanced" in page.text
    assert "2 on the registration page" in host_client.get(response["Location"]).text


def test_a_bad_question_on_the_create_form_schedules_nothing_and_keeps_the_input(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host)
    response = host_client.post(
        reverse("sessions_app:session_create", kwargs={"program_id": program.pk}),
        _create_form(
            **{
                "questions-0-label": "Level",
                "questions-0-kind": "single_choice",
                "questions-0-choices": "Only one",
            }
        ),
    )
    assert response.status_code == 400
    assert "A single-choice question needs at least two choices." in response.text
    assert 'value="Evening review"' in response.text
    assert not Session.objects.exists()


def test_a_session_and_its_questions_are_created_together_or_not_at_all(
    requires_postgres, host
) -> None:
    program = hosted_program(user=host)
    with pytest.raises(DataError):
        services.session_create(
            program=program,
            created_by=host,
            title="Evening review",
            starts_at=NOW + timedelta(days=1),
            time_zone="UTC",
            questions=[
                services.NewQuestion(label="Fine", kind="short_text"),
                services.NewQuestion(label="x" * 5000, kind="short_text"),
            ],
        )
    assert not Session.objects.exists()


def test_my_sessions_badges_each_session_and_keeps_cancelled_ones_apart(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host)
    SessionFactory(program=program, title="Next week", starts_at=NOW + timedelta(days=7))
    SessionFactory(
        program=program,
        title="Called off",
        starts_at=NOW + timedelta(days=2),
        state=SessionState.CANCELLED,
    )
    SessionFactory(
        program=program,
        title="Called off long ago",
        starts_at=NOW - timedelta(days=20),
        state=SessionState.CANCELLED,
    )
    SessionFactory(program=program, title="Running now", starts_at=NOW - timedelta(minutes=10))
    SessionFactory(
        program=program, title="On air", starts_at=NOW - timedelta(minutes=5), state="live"
    )
    SessionFactory(program=program, title="Not closed", starts_at=NOW - timedelta(days=1))
    SessionFactory(
        program=program,
        title="Done",
        starts_at=NOW - timedelta(days=2),
        state=SessionState.COMPLETED,
    )

    def tab(name: str) -> str:
        page = host_client.get(reverse("sessions_app:my_sessions"), {"tab": name})
        assert page.status_code == 200
        return page.text

    upcoming, ongoing = tab("upcoming"), tab("ongoing")
    completed, cancelled = tab("completed"), tab("cancelled")
    assert _tile_titles(upcoming) == ["Next week"]
    assert '<span class="badge">Upcoming</span>' in upcoming
    assert _tile_titles(ongoing) == ["Running now", "On air"]
    assert '<span class="badge warn">Ongoing</span>' in ongoing
    assert '<span class="badge on">Live</span>' in ongoing
    # Only sessions whose time is over, each with its status.
    assert _tile_titles(completed) == ["Not closed", "Done"]
    assert '<span class="badge off">Ended</span>' in completed
    assert '<span class="badge on">Completed</span>' in completed
    assert _tile_titles(cancelled) == ["Called off", "Called off long ago"]
    assert cancelled.count('<span class="badge bad">Cancelled</span>') == 2
    assert 'href="?tab=cancelled"' in upcoming


def test_the_program_overview_badges_a_live_session(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    SessionFactory(program=program, title="On air", starts_at=NOW - timedelta(minutes=5))
    SessionFactory(program=program, title="Later", starts_at=NOW + timedelta(days=1))
    Session.objects.filter(title="On air").update(state=SessionState.LIVE)
    page = host_client.get(reverse("programs:overview", kwargs={"program_id": program.pk})).text
    assert '<span class="badge on">Live</span>' in page
    assert '<span class="badge">Upcoming</span>' in page


def test_mark_complete_on_the_ongoing_tab_closes_the_session_for_everyone(
    host, host_client: Client
) -> None:
    live = hosted_session(user=host, title="On air", starts_at=NOW - timedelta(minutes=5))
    rooms.session_start(session=live, now=NOW - timedelta(minutes=4))
    inside = AttendanceFactory(session=live, status=AttendanceStatus.IN_ROOM)
    unattended = SessionFactory(
        program=live.program, title="Drop-in", starts_at=NOW - timedelta(minutes=10)
    )
    later = SessionFactory(program=live.program, title="Later", starts_at=NOW + timedelta(days=1))
    ongoing = host_client.get(reverse("sessions_app:my_sessions"), {"tab": "ongoing"}).text
    assert ongoing.count(">Mark complete<") == 2
    # A live room is closed for everyone in it: the browser asks first.
    assert 'data-confirm="This ends the meeting for everyone in the room. Mark “On air”' in ongoing
    for session in (live, unattended):
        response = host_client.post(
            reverse("sessions_app:host_complete", kwargs={"session_id": session.pk}),
            {"back": "ongoing"},
        )
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('sessions_app:my_sessions')}?tab=ongoing"
    refused = host_client.post(
        reverse("sessions_app:host_complete", kwargs={"session_id": later.pk}), follow=True
    )
    assert "Only a session that has begun can be marked complete." in refused.text
    for session, state in ((live, "completed"), (unattended, "completed"), (later, "scheduled")):
        session.refresh_from_db()
        assert session.state == state
    inside.refresh_from_db()
    assert inside.status == AttendanceStatus.LEFT
    assert (
        _tile_titles(host_client.get(reverse("sessions_app:my_sessions"), {"tab": "ongoing"}).text)
        == []
    )
    completed = host_client.get(reverse("sessions_app:my_sessions"), {"tab": "completed"}).text
    assert _tile_titles(completed) == ["On air", "Drop-in"]
    assert completed.count('<span class="badge on">Completed</span>') == 2


def test_a_live_session_inside_its_time_offers_end_not_complete_on_its_pages(
    host, host_client: Client
) -> None:
    live = hosted_session(user=host, starts_at=NOW - timedelta(minutes=5))
    rooms.session_start(session=live, now=NOW - timedelta(minutes=4))
    page = host_client.get(_url("dashboard", live)).text
    assert "End meeting for all" in page
    assert ">Mark complete<" not in page
    assert '<span class="badge on">Live</span>' in page


def test_the_session_pages_answer_404_to_another_host(host_client: Client) -> None:
    theirs = hosted_session(user=UserFactory(), starts_at=NOW + timedelta(days=1))
    for name in PAGES:
        assert host_client.get(_url(name, theirs)).status_code == 404
