"""A Chromium whose zone is Asia/Tokyo: the first visit detects it and shows Tokyo times with the
session's zone beside them; the zone picker filters as one types."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from programs.timezones import DETECTED_COOKIE
from tests.factories import hosted_program, hosted_session
from tests.support.layout import page_widths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = [(390, 844), (1280, 900)]
SHOTS = os.environ.get("SCREENSHOT_DIR", "")
STARTS_AT = datetime(2030, 11, 25, 17, 30, tzinfo=UTC)  # 18:30 in Berlin, 02:30 in Tokyo


def _shot(page, name: str, width: int) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_a_tokyo_browser_is_detected_on_its_first_visit(
    live_server, browser, width, height
) -> None:
    program = hosted_program(time_zone="Europe/Berlin")
    session = hosted_session(
        user=program.host_roles.get().user,
        starts_at=STARTS_AT,
        time_zone="Europe/Berlin",
        title="Deep work",
    )
    context = browser.new_context(
        viewport={"width": width, "height": height}, timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{session.code}/")
    # The very first page comes in the session's zone (the server cannot know the browser's
    # yet); without a reload, its times and its footer turn to Tokyo's.
    page.get_by_text("Tokyo time (Asia/Tokyo, UTC+09:00), your browser's zone").wait_for()
    when = page.locator(".session-public-head .when")
    tokyo = (
        "Tuesday 26 November 2030, 02:30 to 03:30 Tokyo time · "
        "Monday 25 November, 18:30 to 19:30 in Berlin"
    )
    assert " ".join(when.inner_text().split()) == tokyo
    assert when.locator("time").get_attribute("datetime") == "2030-11-26T02:30+09:00"
    assert "Berlin time" not in page.locator("main").inner_text()
    cookie = {c["name"]: c["value"] for c in context.cookies()}[DETECTED_COOKIE]
    assert cookie == "Asia/Tokyo"
    assert page_widths(page, width=width) == [width]
    _shot(page, "zone-session-tokyo", width)
    # What the server renders once it knows the zone is, to the letter, what was put in place.
    page.reload()
    page.get_by_text("Tokyo time (Asia/Tokyo, UTC+09:00), your browser's zone").wait_for()
    assert " ".join(when.inner_text().split()) == tokyo

    # A second page needs no reload: it comes in Tokyo time at once.
    page.goto(f"{live_server.url}/s/{session.code}/register/")
    assert "Tokyo time" in page.locator(".when").inner_text()

    # The zone switcher: the detected zone first, filtered by typing.
    page.get_by_role("link", name="Change time zone").click()
    select = page.get_by_label("Show times in")
    assert select.input_value() == "Asia/Tokyo"
    page.get_by_label("Filter the time zones").fill("new york")
    shown = page.eval_on_selector_all(
        "select[data-zone-picker] option:not([hidden])", "options => options.map(o => o.value)"
    )
    assert shown == ["America/New_York"]
    assert select.input_value() == "America/New_York"  # the only match is picked
    _shot(page, "zone-picker", width)
    page.get_by_role("button", name="Show times in this zone").click()
    page.get_by_text("New York time (America/New_York, UTC-05:00), the zone you chose").wait_for()
    assert "New York time" in page.locator(".when").inner_text()
    context.close()


def test_without_javascript_the_sessions_zone_is_used_and_said(live_server, browser) -> None:
    session = hosted_session(starts_at=STARTS_AT, time_zone="Europe/Berlin", title="Deep work")
    context = browser.new_context(timezone_id="Asia/Tokyo", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{session.code}/")
    page.get_by_text("Berlin time (Europe/Berlin, UTC+01:00), the session's zone").wait_for()
    assert (
        "Monday 25 November 2030, 18:30 to 19:30 Berlin time" in page.locator(".when").inner_text()
    )
    context.close()


def test_a_first_registration_page_turns_to_tokyo_without_losing_what_is_typed(
    live_server, browser
) -> None:
    session = hosted_session(starts_at=STARTS_AT, time_zone="Europe/Berlin", title="Deep work")
    context = browser.new_context(timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{session.code}/register/")
    page.evaluate("window.sameDocument = true")  # gone if the page were loaded again
    page.get_by_label("Name").fill("Aiko Tanaka")
    page.get_by_text("Tokyo time (Asia/Tokyo, UTC+09:00), your browser's zone").wait_for()
    assert "02:30 to 03:30 Tokyo time" in page.locator(".when").inner_text()
    assert page.get_by_label("Name").input_value() == "Aiko Tanaka"
    assert page.evaluate("window.sameDocument === true")
    context.close()


def test_a_first_page_of_many_times_asks_in_parts_a_real_server_takes(live_server, browser) -> None:
    """Each request's line stays under gunicorn's 4,094 bytes, and every time turns."""
    from datetime import timedelta

    from django.test import Client

    program = hosted_program(time_zone="Europe/Berlin")
    host = program.host_roles.get().user
    for day in range(30):
        hosted_session(
            user=host,
            starts_at=STARTS_AT + timedelta(days=day),
            time_zone="Europe/Berlin",
            title=f"Deep work {day}",
        )
    client = Client()
    client.force_login(host)
    context = browser.new_context(timezone_id="Asia/Tokyo")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{live_server.url}/sessions/")
    page.get_by_text("Tokyo time (Asia/Tokyo, UTC+09:00), your browser's zone").wait_for()
    parts = [url for url in asked if "/time-zone/times/" in url]
    assert len(parts) >= 2
    assert all(len(f"GET {url.split(live_server.url, 1)[1]} HTTP/1.1") < 4094 for url in parts)
    spans = page.locator("span.local-time")
    assert spans.count() >= 25  # a page of My Sessions
    assert all("Tokyo time" in text for text in spans.all_inner_texts())
    context.close()
