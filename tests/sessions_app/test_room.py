"""Live rooms: entry times, waiting for host, start/end/leave/remove/complete, the provider."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions_app.media.jitsi import room_name as jitsi_room_name
from sessions_app.models import Attendance, AttendanceStatus, Session, SessionState, SessionTheme
from sessions_app.tokens import join_token
from tests.factories import RegistrationFactory, hosted_session
from tests.sessions_app.room_support import (
    attendee_client,
    enter,
    heartbeat_url,
    host_room_url,
    open_host_room,
    poll_url,
    prejoin_url,
    room_url,
)

pytestmark = pytest.mark.django_db

STARTS_AT = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.fixture
def session(host):
    return hosted_session(
        user=host, title="Evening circle", starts_at=STARTS_AT, time_zone="Europe/Berlin"
    )


@pytest.fixture
def registration(session):
    return RegistrationFactory(session=session, name="Ada Lovelace", email="ada@example.org")


def _start(host_client: Client, session) -> None:
    response = host_client.post(
        reverse("sessions_app:host_start", kwargs={"session_id": session.pk})
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.state == SessionState.LIVE


@time_machine.travel(STARTS_AT - timedelta(minutes=20), tick=False)
def test_joining_early_shows_when_the_room_opens_in_the_viewers_and_the_sessions_zone(
    registration,
) -> None:
    client = attendee_client(registration)
    mine = client.get(
        reverse("sessions_app:my_registration", kwargs={"code": registration.session.code})
    )
    assert "The room opens at" in mine.text
    page = client.get(prejoin_url(registration.session))
    assert page.status_code == 200
    text = " ".join(page.text.split())
    # No zone known for this browser: the session's, said in the footer.
    shown = html.unescape(re.sub(r"<[^>]+>", "", text))
    assert "The room opens at Wednesday 25 November 2026, 17:50 Berlin time, 10 minutes" in shown
    assert "Berlin time (Europe/Berlin, UTC+01:00), the session's zone." in shown
    assert "Join the session" not in text
    refused = client.post(prejoin_url(registration.session), {"name": "Ada"})
    assert "The room opens at" in refused.text
    assert not Attendance.objects.exists()


@time_machine.travel(STARTS_AT - timedelta(minutes=20), tick=False)
def test_the_opening_time_follows_the_zone_the_viewer_chose(registration) -> None:
    client = attendee_client(registration)
    client.post(reverse("programs:set_time_zone"), {"time_zone": "America/New_York", "next": "/"})
    page = client.get(prejoin_url(registration.session))
    text = " ".join(page.text.split())
    assert (
        "The room opens at Wednesday 25 November 2026, 11:50 New York time · 17:50 in Berlin"
        in (re.sub(r"<[^>]+>", "", text))
    )


@time_machine.travel(STARTS_AT - timedelta(minutes=10), tick=False)
def test_joining_on_time_prefills_the_name_and_waits_for_the_host(registration) -> None:
    client = attendee_client(registration)
    mine = client.get(
        reverse("sessions_app:my_registration", kwargs={"code": registration.session.code})
    )
    assert prejoin_url(registration.session) in mine.text
    page = client.get(prejoin_url(registration.session))
    assert page.status_code == 200
    assert 'value="Ada Lovelace"' in page.text
    assert "Join with my camera on" in page.text
    assert page["Referrer-Policy"] == "same-origin"
    enter(client, registration.session, name="Ada L.", camera_on="on")
    waiting = client.get(room_url(registration.session))
    assert "Waiting for host" in waiting.text
    assert 'hx-trigger="load, every 1s"' in waiting.text
    assert "<iframe" not in waiting.text
    attendance = Attendance.objects.get()
    assert (attendance.name, attendance.role, attendance.status) == (
        "Ada L.",
        "attendee",
        "waiting",
    )
    assert attendance.registration == registration


def test_waiting_attendees_are_placed_in_once_a_host_starts(
    registration, host_client: Client
) -> None:
    session = registration.session
    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        client = enter(attendee_client(registration), session)
        url = poll_url(client.get(room_url(session)).text)
        assert client.post(url).status_code == 204
        _start(host_client, session)
        moved = client.post(url)
        assert moved.status_code == 200
        assert moved["HX-Redirect"] == room_url(session)
        in_room = client.get(room_url(session))
        # The room page's first beat puts them in; then it has nothing to say until the
        # state changes again.
        assert client.post(poll_url(in_room.text)).status_code == 204
    assert "<iframe" in in_room.text
    assert "Waiting for host" not in in_room.text
    attendance = Attendance.objects.get(registration=registration)
    assert attendance.status == AttendanceStatus.IN_ROOM
    assert attendance.joined_at == STARTS_AT - timedelta(minutes=5)


def test_cancelling_moves_waiting_people_out_at_their_next_poll(
    registration, host_client: Client, django_capture_on_commit_callbacks
) -> None:
    session = registration.session
    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        client = enter(attendee_client(registration), session)
        url = poll_url(client.get(room_url(session)).text)
        assert client.post(url).status_code == 204  # the poll has cached "scheduled"
        with django_capture_on_commit_callbacks(execute=True):
            cancelled = host_client.post(
                reverse("sessions_app:session_cancel", kwargs={"session_id": session.pk})
            )
        assert cancelled.status_code == 302
        moved = client.post(url)
        assert moved.status_code == 200
        assert moved["HX-Redirect"] == room_url(session)
        assert "This session was cancelled" in client.get(room_url(session)).text


def test_joining_after_the_start_goes_straight_in(registration, host_client: Client) -> None:
    session = registration.session
    with time_machine.travel(STARTS_AT + timedelta(minutes=20), tick=False):
        _start(host_client, session)
        client = enter(attendee_client(registration), session)
        page = client.get(room_url(session))
    assert "<iframe" in page.text
    assert Attendance.objects.get(registration=registration).status == "in_room"


@pytest.mark.parametrize(
    ("state", "moment", "expected"),
    [
        (SessionState.SCHEDULED, STARTS_AT + timedelta(hours=2), "This session is over"),
        (SessionState.ENDED, STARTS_AT + timedelta(minutes=30), "This session is over"),
        (SessionState.CANCELLED, STARTS_AT - timedelta(minutes=5), "This session was cancelled"),
    ],
)
def test_late_ended_and_cancelled_sessions_say_so(registration, state, moment, expected) -> None:
    session = registration.session
    session.state = state
    session.save()
    with time_machine.travel(moment, tick=False):
        client = attendee_client(registration)
        page = client.get(prejoin_url(session))
        posted = client.post(prejoin_url(session), {"name": "Ada"})
    assert page.status_code == 410
    assert expected in page.text
    assert posted.status_code == 410
    assert not Attendance.objects.exists()


def test_waiting_past_the_end_without_a_start_moves_the_attendee_out(registration) -> None:
    session = registration.session
    with time_machine.travel(STARTS_AT, tick=False):
        client = enter(attendee_client(registration), session)
        url = poll_url(client.get(room_url(session)).text)
        assert client.post(url).status_code == 204
    with time_machine.travel(session.ends_at + timedelta(seconds=1), tick=False):
        assert client.post(url)["HX-Redirect"] == room_url(session)
        assert "The session has ended" in client.get(room_url(session)).text


def test_an_unknown_or_revoked_link_says_it_does_not_work(client: Client, registration) -> None:
    token = join_token(registration)
    registration.token_version += 1
    registration.save()
    for bad in (token, "zz-" + "a" * 43, "nonsense"):
        page = client.get(reverse("sessions_app:join", kwargs={"token": bad}))
        assert page.status_code == 404
        assert "This link does not work" in page.text


@time_machine.travel(STARTS_AT, tick=False)
def test_without_a_personal_link_a_registration_only_session_asks_for_it(
    client: Client, session
) -> None:
    page = client.get(prejoin_url(session))
    assert page.status_code == 403
    assert "Open the personal link in your confirmation e-mail" in page.text


@time_machine.travel(STARTS_AT - timedelta(minutes=2), tick=False)
def test_an_open_session_is_joined_from_its_page_with_a_name(client: Client, host) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT, is_registration_required=False)
    public = client.get(reverse("sessions_app:public", kwargs={"code": session.code}))
    assert prejoin_url(session) in public.text
    form = client.get(prejoin_url(session))
    assert form.status_code == 200
    blank = client.post(prejoin_url(session), {"name": "   "})
    assert blank.status_code == 400
    assert "Type the name others should see." in blank.text
    enter(client, session, name="Grace")
    assert "Waiting for host" in client.get(room_url(session)).text
    assert Attendance.objects.get().name == "Grace"


def test_end_for_all_asks_first_and_moves_everyone_to_the_closing_page(
    registration, host_client: Client
) -> None:
    session = registration.session
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        client = enter(attendee_client(registration), session)
        url = poll_url(client.get(room_url(session)).text)
        end_url = reverse("sessions_app:host_end", kwargs={"session_id": session.pk})
        confirm = host_client.get(end_url)
        assert "End “Evening circle” for everyone?" in confirm.text
        session.refresh_from_db()
        assert session.state == SessionState.LIVE
        assert host_client.post(end_url).status_code == 302
        moved = client.post(url)
        after = client.get(room_url(session))
    session.refresh_from_db()
    assert (session.state, session.ended_at) == (SessionState.ENDED, STARTS_AT)
    assert moved["HX-Redirect"] == room_url(session)
    assert "The session has ended" in after.text
    attendance = Attendance.objects.get(registration=registration)
    assert (attendance.status, attendance.left_at) == ("left", STARTS_AT)


def test_a_host_leaving_does_not_end_the_session(registration, host_client: Client) -> None:
    session = registration.session
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        assert "End meeting for all" in open_host_room(host_client, session)
        client = enter(attendee_client(registration), session)
        url = poll_url(client.get(room_url(session)).text)
        left = host_client.post(
            reverse("sessions_app:host_leave", kwargs={"session_id": session.pk})
        )
        assert left.status_code == 302
        assert client.post(url).status_code == 204
    session.refresh_from_db()
    assert session.state == SessionState.LIVE
    host_attendance = Attendance.objects.get(role="host")
    assert (host_attendance.status, host_attendance.left_at) == ("left", STARTS_AT)


def test_an_attendee_leaving_can_rejoin(registration, host_client: Client) -> None:
    session = registration.session
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        client = enter(attendee_client(registration), session)
        client.get(room_url(session))
        client.post(reverse("sessions_app:room_leave", kwargs={"code": session.code}))
        assert "You left the room" in client.get(room_url(session)).text
        enter(client, session)
        assert "<iframe" in client.get(room_url(session)).text


def test_a_removed_participant_is_moved_out_and_cannot_rejoin(
    registration, host_client: Client
) -> None:
    session = registration.session
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        client = enter(attendee_client(registration), session)
        url = poll_url(client.get(room_url(session)).text)
        attendance = Attendance.objects.get(registration=registration)
        people = host_client.get(
            reverse("sessions_app:host_people", kwargs={"session_id": session.pk})
        )
        assert "Ada" in people.text
        host_client.post(
            reverse(
                "sessions_app:host_remove",
                kwargs={"session_id": session.pk, "attendance_id": attendance.pk},
            )
        )
        assert client.post(url)["HX-Redirect"] == room_url(session)
        out = client.get(room_url(session))
        again = client.post(prejoin_url(session), {"name": "Ada again"})
        # A fresh browser with the same personal link is the same registration: still out.
        other = attendee_client(registration).post(prejoin_url(session), {"name": "Ada"})
    assert out.status_code == 403
    assert "A host removed you from this session" in out.text
    assert again.status_code == 403
    assert other.status_code == 403
    attendance.refresh_from_db()
    assert attendance.status == AttendanceStatus.REMOVED


def test_the_host_sees_who_is_in_the_room_and_who_is_waiting(host, host_client: Client) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT)
    waiting = RegistrationFactory(session=session, name="Wendy Waiting")
    gone = RegistrationFactory(session=session, name="Gina Gone")
    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        enter(attendee_client(waiting), session, name="Wendy Waiting")
        enter(attendee_client(gone), session, name="Gina Gone")
    with time_machine.travel(STARTS_AT, tick=False):
        Attendance.objects.filter(name="Wendy Waiting").update(last_seen_at=STARTS_AT)
        open_host_room(host_client, session)
        page = host_client.get(
            reverse("sessions_app:host_people", kwargs={"session_id": session.pk})
        )
    text = " ".join(page.text.split())
    assert "In the room (1)" in text  # the host
    assert "Waiting (1)" in text
    assert "Wendy Waiting" in text
    assert "Gina Gone" not in text  # not seen by the poll for over a minute


def test_opening_the_host_room_writes_nothing_until_its_first_heartbeat(
    host, host_client: Client
) -> None:
    host.first_name, host.last_name = "Hanna", "Host"
    host.save()
    session = hosted_session(user=host, starts_at=STARTS_AT)
    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        with CaptureQueriesContext(connection) as queries:
            page = host_client.get(host_room_url(session))
        assert page.status_code == 200
        writes = [
            query["sql"]
            for query in queries
            if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        ]
        assert writes == []
        assert not Attendance.objects.exists()
        assert "Nobody yet." in page.text
        people_url = reverse("sessions_app:host_people", kwargs={"session_id": session.pk})
        # The heartbeat is a POST that needs the CSRF token the page carries.
        csrf_client = Client(enforce_csrf_checks=True)
        csrf_client.force_login(host)
        assert csrf_client.post(heartbeat_url(page.text)).status_code == 403
        assert not Attendance.objects.exists()
        beat = host_client.post(heartbeat_url(page.text))
        assert beat.status_code == 204
        assert beat["HX-Trigger"] == "room-people"  # the people list refreshes at once
        people = " ".join(host_client.get(people_url).text.split())
    assert "In the room (1)" in people
    assert "Hanna Host" in people
    attendance = Attendance.objects.get()
    assert (attendance.role, attendance.status) == ("host", AttendanceStatus.IN_ROOM)
    assert attendance.last_seen_at == STARTS_AT - timedelta(minutes=5)


def test_the_host_heartbeat_follows_the_sessions_state(host, host_client: Client) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT)
    with time_machine.travel(STARTS_AT, tick=False):
        beat = heartbeat_url(open_host_room(host_client, session))
        assert "HX-Trigger" not in host_client.post(beat)  # already present
        _start(host_client, session)
        moved = host_client.post(beat)  # the page still shows "not started"
    assert moved["HX-Redirect"] == host_room_url(session)
    assert Attendance.objects.count() == 1


@time_machine.travel(STARTS_AT, tick=False)
def test_the_state_endpoint_costs_at_most_one_query_and_refuses_forged_ids(registration) -> None:
    session = registration.session
    client = enter(attendee_client(registration), session)
    url = poll_url(client.get(room_url(session)).text)
    anonymous = Client()  # the endpoint needs no cookie at all
    with CaptureQueriesContext(connection) as first:
        response = anonymous.post(url)
    assert response.status_code == 204
    assert len(first) <= 1
    with CaptureQueriesContext(connection) as second:
        assert anonymous.post(url).status_code == 204
    assert len(second) == 0  # served from the cache
    attendance = Attendance.objects.get()
    prefix = f"/room/state/{session.pk}/{attendance.pk}/"
    assert url.startswith(prefix)
    forged = url.replace(prefix, f"/room/state/{session.pk}/{attendance.pk + 1}/")
    assert anonymous.post(forged).status_code == 404
    assert anonymous.post(url.replace("/waiting/", "/bogus/")).status_code == 404


@pytest.mark.parametrize("who", ["attendee", "host"])
def test_the_heartbeat_refreshes_last_seen_at_most_every_few_seconds(
    who: str, registration, host_client: Client
) -> None:
    session = registration.session
    with time_machine.travel(STARTS_AT, tick=False):
        if who == "host":
            client = host_client
            url = heartbeat_url(open_host_room(client, session))
        else:
            client = enter(attendee_client(registration), session)
            url = poll_url(client.get(room_url(session)).text)
    with time_machine.travel(STARTS_AT + timedelta(seconds=5), tick=False):
        client.post(url)
    assert Attendance.objects.get().last_seen_at == STARTS_AT
    with time_machine.travel(STARTS_AT + timedelta(seconds=30), tick=False):
        client.post(url)
    assert Attendance.objects.get().last_seen_at == STARTS_AT + timedelta(seconds=30)


@override_settings(VIDEO_PROVIDER_BASE_URL="https://video.example.org")
def test_the_room_embeds_the_provider_with_an_unguessable_name_and_no_token(
    registration, host_client: Client
) -> None:
    session = registration.session
    other = hosted_session(starts_at=STARTS_AT)
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        client = enter(attendee_client(registration), session, name="Ada", microphone_on="on")
        page = client.get(room_url(session))
    name = jitsi_room_name(session)
    assert name != jitsi_room_name(other)
    assert session.code not in name and str(session.pk) != name[-len(str(session.pk)) :]
    assert f'src="https://video.example.org/{name}#userInfo.displayName=%22Ada%22' in page.text
    assert "config.startWithVideoMuted=true" in page.text  # camera left off at pre-join
    assert "config.startWithAudioMuted=false" in page.text
    assert 'allow="camera; microphone;' in page.text
    assert join_token(registration) not in page.text
    assert 'referrerpolicy="no-referrer"' in page.text


def test_the_webinar_theme_asks_only_for_the_name_and_shows_a_stage(host, host_client) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT, theme=SessionTheme.WEBINAR)
    registration = RegistrationFactory(session=session)
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        client = attendee_client(registration)
        form = client.get(prejoin_url(session))
        enter(client, session)
        page = client.get(room_url(session))
        host_page = host_client.get(host_room_url(session))
    assert "camera" not in form.text.lower().replace("your camera and microphone stay off", "")
    assert "config.disableInitialGUM=true" in page.text
    assert 'allow="autoplay; fullscreen"' in page.text
    assert "microphone" not in page.text.split("<iframe")[1].split(">")[0]
    assert 'allow="camera; microphone;' in host_page.text


def test_mark_complete_closes_ended_and_past_sessions_only(host, host_client: Client) -> None:
    now = STARTS_AT + timedelta(days=1)
    ended = hosted_session(
        user=host, starts_at=STARTS_AT, state=SessionState.ENDED, title="Ended one"
    )
    past = hosted_session(user=host, starts_at=STARTS_AT, title="Past one")
    future = hosted_session(user=host, starts_at=now + timedelta(days=1), title="Future one")
    with time_machine.travel(now, tick=False):
        dashboard = host_client.get(
            reverse("sessions_app:dashboard", kwargs={"session_id": past.pk})
        )
        assert "Mark complete" in dashboard.text
        future_page = host_client.get(
            reverse("sessions_app:dashboard", kwargs={"session_id": future.pk})
        )
        assert "Mark complete" not in future_page.text
        for session in (ended, past, future):
            host_client.post(
                reverse("sessions_app:host_complete", kwargs={"session_id": session.pk})
            )
        completed = host_client.get(reverse("sessions_app:my_sessions"), {"tab": "completed"})
    for session, state in ((ended, "completed"), (past, "completed"), (future, "scheduled")):
        session.refresh_from_db()
        assert session.state == state
    assert "Ended one" in completed.text and "Past one" in completed.text
    assert "Future one" not in completed.text


def test_an_ended_session_moves_to_the_completed_tab(registration, host_client: Client) -> None:
    session = registration.session
    with time_machine.travel(STARTS_AT, tick=False):
        _start(host_client, session)
        ongoing = host_client.get(reverse("sessions_app:my_sessions"), {"tab": "ongoing"})
        assert session.title in ongoing.text
        host_client.post(reverse("sessions_app:host_end", kwargs={"session_id": session.pk}))
        ongoing = host_client.get(reverse("sessions_app:my_sessions"), {"tab": "ongoing"})
        completed = host_client.get(reverse("sessions_app:my_sessions"), {"tab": "completed"})
    assert session.title not in ongoing.text
    assert session.title in completed.text


@time_machine.travel(STARTS_AT, tick=False)
def test_the_dashboard_starts_the_session_and_a_co_host_may_too(host, session) -> None:
    from tests.factories import TEST_PASSWORD, UserFactory

    co_host = UserFactory()
    session.co_hosts.add(co_host)
    client = Client()
    client.login(username=co_host.email, password=TEST_PASSWORD)
    page = client.get(reverse("sessions_app:dashboard", kwargs={"session_id": session.pk}))
    assert "Start the session" in page.text
    _start(client, session)
    assert session.started_at == STARTS_AT


@time_machine.travel(STARTS_AT - timedelta(minutes=2), tick=False)
def test_a_visitor_of_an_open_session_is_out_once_registration_becomes_required(
    client: Client, host
) -> None:
    session = hosted_session(user=host, starts_at=STARTS_AT, is_registration_required=False)
    enter(client, session, name="Grace")
    assert client.get(room_url(session)).status_code == 200
    Session.objects.filter(pk=session.pk).update(is_registration_required=True)
    assert client.get(room_url(session)).status_code == 403
