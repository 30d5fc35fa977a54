"""An attendee waits for the host; a host in another browser starts; the attendee is moved in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from guests.services import guest_link_for
from tests.factories import TEST_PASSWORD, RegistrationFactory, UserFactory, hosted_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_waiting_attendee_is_placed_in_the_room_when_the_host_starts(
    live_server, browser, settings
) -> None:
    from playwright.sync_api import expect

    # No network in tests: the provider "origin" is a closed local port.
    settings.VIDEO_PROVIDER_BASE_URL = "http://127.0.0.1:9"
    host = UserFactory(first_name="Hanna", last_name="Host")
    session = hosted_session(
        user=host, title="Morning circle", starts_at=timezone.now() + timedelta(minutes=5)
    )
    guest_link_for(session=session)  # as session_create does
    registration = RegistrationFactory(session=session, name="Ada Attendee")
    from sessions_app.tokens import join_token

    attendee = browser.new_context(viewport={"width": 390, "height": 844})
    page = attendee.new_page()
    page.goto(f"{live_server.url}/join/{join_token(registration)}/")
    assert "/join/" not in page.url  # the token is gone from the address bar
    page.get_by_role("link", name="Join the session").click()
    expect(page.get_by_label("Your name as others see it")).to_have_value("Ada Attendee")
    page.get_by_role("button", name="Join the session").click()
    expect(page.get_by_role("heading", name="Waiting for host")).to_be_visible()

    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    host_context = browser.new_context()
    host_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    host_context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    host_page = host_context.new_page()
    host_page.goto(f"{live_server.url}/sessions/{session.pk}/share/")
    host_page.get_by_role("button", name="Copy guest link").click()
    expect(host_page.get_by_text("Copied.")).to_be_visible()
    host_page.goto(f"{live_server.url}/sessions/{session.pk}/")
    host_page.get_by_role("button", name="Start the session").click()

    frame = page.get_by_test_id("room-frame")
    expect(frame).to_be_visible(timeout=3000)
    expect(page.get_by_role("heading", name="Waiting for host")).to_have_count(0)
    assert frame.get_attribute("src").startswith("http://127.0.0.1:9/convene-")
    expect(host_page.get_by_role("button", name="Leave the room")).to_be_visible()
    # Both pages' POST heartbeats (CSRF header from base.html) record who is in the room.
    people = host_page.get_by_role("complementary", name="Participants")
    expect(people).to_contain_text("In the room (2)", timeout=8000)
    expect(people).to_contain_text("Ada Attendee")
    host_context.close()
    attendee.close()
