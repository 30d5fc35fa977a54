"""The pages still work under the Content-Security-Policy: nothing inline runs, and the
browser reports no violation (the conftest fails a test on any console error or violation)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from guests.services import guest_link_for
from sessions_app.models import Registration
from tests.factories import (
    TEST_PASSWORD,
    ModuleFactory,
    RegistrationFactory,
    UserFactory,
    hosted_session,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Set SCREENSHOT_DIR to keep the pages for a look.
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR", "")


def _signed_in(browser, live_server, user, **options):
    client = Client()
    client.force_login(user)
    context = browser.new_context(**options)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context


def _shoot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_share_panel_copies_and_shows_the_qr_code_under_the_policy(
    live_server, browser, width: int
) -> None:
    from playwright.sync_api import expect

    host = UserFactory()
    session = hosted_session(user=host, starts_at=timezone.now() + timedelta(days=2))
    session.module = ModuleFactory(program=session.program, is_activated=True)
    session.save()
    guest_link_for(session=session)
    RegistrationFactory(session=session, name="Ada Lovelace", email="ada@example.org")
    context = _signed_in(browser, live_server, host, viewport={"width": width, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/sessions/{session.pk}/share/")
    page.get_by_role("button", name="Copy Session ID").click()
    expect(page.get_by_text("Copied.").first).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == session.display_code
    qr = page.get_by_role("img", name="QR code of the commitment link")
    expect(qr).to_be_visible()
    # Not wait_for_function: its string predicate is an eval, which the policy refuses.
    for _ in range(50):
        if qr.evaluate("image => image.complete && image.naturalWidth"):
            break
        page.wait_for_timeout(100)
    assert qr.evaluate("image => image.naturalWidth") > 0
    _shoot(page, f"session-share-{width}")
    context.close()


def test_removing_a_registrant_asks_first_without_inline_script(live_server, browser) -> None:
    from playwright.sync_api import expect

    host = UserFactory()
    session = hosted_session(user=host, starts_at=timezone.now() + timedelta(days=2))
    guest_link_for(session=session)
    RegistrationFactory(session=session, name="Ada Lovelace", email="ada@example.org")
    context = _signed_in(browser, live_server, host)
    page = context.new_page()
    page.goto(f"{live_server.url}/sessions/{session.pk}/people/")
    asked: list[str] = []

    def dismiss(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Remove ada@example.org").click()
    assert asked == ["Remove ada@example.org from this session?"]
    assert Registration.objects.filter(session=session).count() == 1

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove ada@example.org").click()
    expect(page.get_by_role("button", name="Remove ada@example.org")).to_have_count(0)
    assert Registration.objects.filter(session=session).count() == 0
    context.close()


def test_a_branded_start_page_gets_its_colour_through_the_nonce(live_server, browser) -> None:
    session = hosted_session()
    program = session.program
    program.brand_name = "Learn"
    program.brand_colour = "#7c2d12"
    program.start_host_name = "localhost"
    program.save()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    # The live server listens on localhost: that is the branded host name here.
    page.goto(live_server.url.replace("127.0.0.1", "localhost") + "/start/")
    brand = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()"
    )
    assert brand == "#7c2d12"
    _shoot(page, "branded-start-390")
    context.close()


def test_the_admins_session_page_works_under_the_policy(live_server, browser) -> None:
    from playwright.sync_api import expect

    session = hosted_session(starts_at=timezone.now() + timedelta(days=2))
    staff = UserFactory(is_staff=True, is_superuser=True)
    context = _signed_in(browser, live_server, staff, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/sessions_app/session/{session.pk}/change/")
    expect(page.get_by_label("Title:")).to_have_value(session.title)
    # The admin's own scripts (calendar shortcuts, autocomplete) run from static files.
    expect(page.get_by_role("link", name="Today").first).to_be_visible()
    _shoot(page, "admin-session-1280")
    context.close()


def test_the_waiting_room_and_the_room_under_the_policy(live_server, browser, settings) -> None:
    from playwright.sync_api import expect

    settings.VIDEO_PROVIDER_BASE_URL = "http://127.0.0.1:9"
    host = UserFactory(first_name="Hanna", last_name="Host")
    session = hosted_session(user=host, starts_at=timezone.now() + timedelta(minutes=5))
    guest_link_for(session=session)
    registration = RegistrationFactory(session=session, name="Ada Attendee")
    from sessions_app.tokens import join_token

    attendee = browser.new_context(viewport={"width": 390, "height": 844})
    page = attendee.new_page()
    page.goto(f"{live_server.url}/join/{join_token(registration)}/")
    page.get_by_role("link", name="Join the session").click()
    page.get_by_role("button", name="Join the session").click()
    expect(page.get_by_role("heading", name="Waiting for host")).to_be_visible()
    _shoot(page, "waiting-390")

    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    host_context = _signed_in(browser, live_server, host, viewport={"width": 1280, "height": 900})
    host_page = host_context.new_page()
    host_page.goto(f"{live_server.url}/sessions/{session.pk}/")
    host_page.get_by_role("button", name="Start the session").click()
    expect(host_page.get_by_test_id("room-frame")).to_be_visible()
    # The attendee's htmx heartbeat moves them in; the provider frame is allowed to load.
    expect(page.get_by_test_id("room-frame")).to_be_visible(timeout=5000)
    _shoot(host_page, "host-room-1280")
    host_context.close()
    attendee.close()


def test_the_dev_outbox_shows_a_styled_email_under_the_policy(
    live_server, browser, settings
) -> None:
    from playwright.sync_api import expect

    from reminders.dispatcher import outbox_dispatch
    from reminders.models import CapturedEmail
    from sessions_app import services

    settings.EMAIL_BACKEND = "reminders.backends.CapturingEmailBackend"
    session = hosted_session(title="Evening circle", starts_at=timezone.now() + timedelta(days=2))
    services.registration_create(
        session=session, email="ada@example.org", name="Ada", now=timezone.now()
    )
    outbox_dispatch()
    captured = CapturedEmail.objects.get()
    staff = UserFactory(is_staff=True)
    context = _signed_in(browser, live_server, staff, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/dev/outbox/{captured.pk}/")
    preview = page.frame_locator("iframe.email-preview")
    expect(preview.get_by_text("Evening circle").first).to_be_visible()
    # The e-mail's inline styles apply inside the preview (its page allows them, and only it).
    button = preview.locator("a[href*='/join/']").first
    expect(button).to_be_visible()
    assert button.evaluate("a => getComputedStyle(a).backgroundColor") != "rgba(0, 0, 0, 0)"
    _shoot(page, "dev-outbox-1280")
    context.close()
