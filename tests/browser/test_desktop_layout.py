"""The host room laid out at desktop width (the phone-width rules must not be the only ones)
and at phone width (nothing wider than the screen)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from sessions_app.rooms import session_start
from tests.factories import TEST_PASSWORD, UserFactory, hosted_session
from tests.support.layout import page_widths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _host_room(live_server, browser, settings, *, width: int, height: int):
    """A live session's host room, opened by its host in a browser of the given size."""
    settings.VIDEO_PROVIDER_BASE_URL = "http://127.0.0.1:9"
    host = UserFactory()
    session = hosted_session(user=host, starts_at=timezone.now() + timedelta(minutes=5))
    session_start(session=session, now=timezone.now())
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/sessions/{session.pk}/room/")
    return context, page


def test_the_host_room_at_desktop_width_shows_a_wide_stage_beside_the_people(
    live_server, browser, settings
) -> None:
    context, page = _host_room(live_server, browser, settings, width=1280, height=900)
    frame = page.get_by_test_id("room-frame").bounding_box()
    people = page.get_by_role("complementary", name="Participants").bounding_box()
    # Without the room rules the iframe keeps the browser's default 300 x 150 box and the
    # people list drops below it.
    assert frame["width"] > 600
    assert people["x"] > frame["x"] + frame["width"]
    context.close()


def test_the_host_room_fits_a_phone_screen(live_server, browser, settings) -> None:
    context, page = _host_room(live_server, browser, settings, width=390, height=844)
    widths = page_widths(page, width=390)
    assert widths == [390], widths
    context.close()
