from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from sessions_app import services
from sessions_app.models import CalendarFeed, SessionState
from tests.factories import ModuleFactory, SessionFactory, hosted_program, hosted_session

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STARTS_AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_session_page_by_direct_link_shows_time_in_the_sessions_zone(client: Client) -> None:
    session = hosted_session(
        title="Deep work", starts_at=STARTS_AT, time_zone="America/Los_Angeles", capacity=10
    )
    page = client.get(reverse("sessions_app:public", kwargs={"code": session.code}))
    assert page.status_code == 200
    assert "Deep work" in page.text
    assert "Wednesday 25 November 2026, 09:30 to 10:30 Los Angeles time" in page.text
    assert session.display_code in page.text
    assert reverse("sessions_app:register", kwargs={"code": session.code}) in page.text
    assert reverse("sessions_app:ics", kwargs={"code": session.code}) in page.text


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{dashed}", " {spaced} ", "{dashed_lower}"])
def test_a_session_id_is_found_in_any_case_with_dashes_and_spaces(
    client: Client, typed: str
) -> None:
    session = hosted_session(starts_at=STARTS_AT)
    code = session.code
    text = typed.format(
        code=code,
        lower=code.lower(),
        dashed=session.display_code,
        spaced=f"{code[:4]} {code[4:]}",
        dashed_lower=session.display_code.lower(),
    )
    response = client.get(reverse("sessions_app:lookup"), {"code": text})
    assert response.status_code == 302
    public = reverse("sessions_app:public", kwargs={"code": code})
    assert response["Location"] == f"{public}?via=id"
    direct = client.get(reverse("sessions_app:public", kwargs={"code": session.display_code}))
    assert direct.status_code == 302


def test_an_unknown_session_id_gets_a_clear_404(client: Client) -> None:
    response = client.get(reverse("sessions_app:lookup"), {"code": "ZZZZ-9999"})
    assert response.status_code == 404
    assert "No session has this ID" in response.text
    assert client.get(reverse("sessions_app:lookup")).status_code == 200


def test_a_branded_host_name_shows_only_its_own_programs_sessions(client: Client) -> None:
    branded = hosted_program(brand_name="Habit Lab", start_host_name="start.habitlab.example")
    own = SessionFactory(program=branded, starts_at=STARTS_AT, title="Own session")
    other = hosted_session(starts_at=STARTS_AT, title="Another program's session")
    host = {"HTTP_HOST": "start.habitlab.example"}

    assert client.get(f"/s/{own.code}/", **host).status_code == 200
    for path in (f"/s/{other.code}/", f"/s/{other.code}/register/"):
        response = client.get(path, **host)
        assert response.status_code == 404
        assert "Another program's session" not in response.text
    lookup = client.get(reverse("sessions_app:lookup"), {"code": other.code}, **host)
    assert lookup.status_code == 404
    assert client.get(f"/s/{other.code}/").status_code == 200


@override_settings(SESSION_LOOKUP_MISSES=3, SESSION_LOOKUP_WINDOW_SECONDS=600)
def test_guessing_session_ids_is_rate_limited_with_a_clear_429(client: Client) -> None:
    session = hosted_session(starts_at=STARTS_AT)
    for guess in ("AAAA1111", "AAAA1112", "AAAA1113"):
        assert client.get(reverse("sessions_app:lookup"), {"code": guess}).status_code == 404
    response = client.get(reverse("sessions_app:lookup"), {"code": "AAAA1114"})
    assert response.status_code == 429
    assert "Too many tries" in response.text
    assert int(response["Retry-After"]) > 0
    # While blocked, even a real ID answers 429, so guessing teaches nothing more.
    for name in ("public", "register", "ics", "my_registration"):
        blocked = client.get(reverse(f"sessions_app:{name}", kwargs={"code": session.code}))
        assert blocked.status_code == 429
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert (
        other.get(reverse("sessions_app:public", kwargs={"code": session.code})).status_code == 200
    )
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        assert (
            client.get(reverse("sessions_app:public", kwargs={"code": session.code})).status_code
            == 200
        )


def test_the_ics_download_holds_the_session_and_no_personal_link(client: Client) -> None:
    session = hosted_session(title="Deep work", starts_at=STARTS_AT, duration_minutes=30)
    services.registration_create(session=session, email="ada@example.org", name="Ada", now=NOW)
    response = client.get(reverse("sessions_app:ics", kwargs={"code": session.code}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Deep work"
    assert event.decoded("DTSTART") == STARTS_AT
    assert event.decoded("DTEND") == STARTS_AT + timedelta(minutes=30)
    assert str(event["UID"]) == f"session-{session.pk}@convene.example"
    assert "/join/" not in response.content.decode()
    assert "ATTENDEE" not in response.content.decode()


def test_the_host_calendar_feed_lists_hosted_and_co_hosted_sessions(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host)
    mine = SessionFactory(program=program, title="Mine", starts_at=STARTS_AT)
    SessionFactory(
        program=program, title="Cancelled one", starts_at=STARTS_AT, state=SessionState.CANCELLED
    )
    SessionFactory(program=program, title="Long ago", starts_at=NOW - timedelta(days=200))
    co_hosted = hosted_session(title="Co-hosted", starts_at=STARTS_AT)
    co_hosted.co_hosts.add(host)
    hosted_session(title="Not mine", starts_at=STARTS_AT)
    services.registration_create(session=mine, email="ada@example.org", name="Ada", now=NOW)

    assert 'id="feed-url"' not in host_client.get(reverse("sessions_app:my_sessions")).text
    assert host_client.post(reverse("sessions_app:calendar_feed_create")).status_code == 302
    page = host_client.get(reverse("sessions_app:my_sessions"))
    feed_url = re.search(
        r'id="feed-url" type="url" value="https://convene\.example([^"]+)"', page.text
    ).group(1)
    response = Client().get(feed_url)
    assert response.status_code == 200
    body = response.content.decode()
    events = {
        str(event["SUMMARY"]): event
        for event in Calendar.from_ical(response.content).walk("VEVENT")
    }
    assert set(events) == {"Mine", "Cancelled one", "Co-hosted"}
    assert str(events["Cancelled one"]["STATUS"]) == "CANCELLED"
    assert "/join/" not in body and "ada@example.org" not in body

    reset = host_client.post(reverse("sessions_app:calendar_feed_reset"))
    assert reset.status_code == 302
    assert Client().get(feed_url).status_code == 404
    new_page = host_client.get(reverse("sessions_app:my_sessions"))
    new_url = re.search(
        r'id="feed-url" type="url" value="https://convene\.example([^"]+)"', new_page.text
    ).group(1)
    assert new_url != feed_url
    assert Client().get(new_url).status_code == 200


def test_the_feed_url_rejects_bad_tokens(client: Client) -> None:
    assert client.get("/calendar/1-" + "A" * 43 + ".ics").status_code == 404
    assert client.get("/calendar/nonsense.ics").status_code == 404


def test_registering_is_rate_limited_per_address(client: Client) -> None:
    session = hosted_session(starts_at=STARTS_AT)
    url = reverse("sessions_app:register", kwargs={"code": session.code})
    statuses = [client.post(url, {"email": "bad", "name": "x"}).status_code for _ in range(61)]
    assert statuses[:60] == [400] * 60
    assert statuses[60] == 429


def test_my_sessions_writes_nothing_and_the_host_asks_for_the_calendar_address(
    host, host_client: Client
) -> None:
    url = reverse("sessions_app:my_sessions")
    with CaptureQueriesContext(connection) as queries:
        page = host_client.get(url)
    assert [query for query in queries.captured_queries if "INSERT" in query["sql"].upper()] == []
    assert "Get my calendar address" in page.text
    assert not CalendarFeed.objects.exists()

    create = reverse("sessions_app:calendar_feed_create")
    assert host_client.get(create).status_code == 405
    first = host_client.post(create, follow=True)
    assert "Your calendar address is ready" in first.text
    address = re.search(r'id="feed-url" type="url" value="([^"]+)"', first.text).group(1)
    # Asking again (a second tab, a double click) keeps the address.
    again = host_client.post(create, follow=True)
    assert re.search(r'id="feed-url" type="url" value="([^"]+)"', again.text).group(1) == address
    assert CalendarFeed.objects.get(user=host).token_version == 1


def test_a_typed_session_id_is_the_way_in_its_commitment_records(client: Client) -> None:
    module = ModuleFactory(is_activated=True)
    session = SessionFactory(program=module.program, module=module, starts_at=STARTS_AT)
    start = reverse("commitments:session", kwargs={"code": session.code})
    typed = client.get(reverse("sessions_app:lookup"), {"code": session.display_code}, follow=True)
    assert f'href="{start}?via=id"' in typed.text
    # The dashed ID in the address keeps the marker through the redirect to the canonical one.
    dashed = client.get(
        reverse("sessions_app:public", kwargs={"code": session.display_code}) + "?via=id",
        follow=True,
    )
    assert f'href="{start}?via=id"' in dashed.text
    shared = client.get(reverse("sessions_app:public", kwargs={"code": session.code}))
    assert f'href="{start}?via=link"' in shared.text
