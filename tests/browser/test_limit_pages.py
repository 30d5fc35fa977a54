"""The pages a limited visitor meets, at desktop and phone width: the guessing limit's "wait N
seconds" and the registration form's per-mailbox refusal."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import hosted_session
from tests.support.layout import page_widths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_a_guesser_sees_how_many_seconds_to_wait(
    live_server, browser, settings, width: int, height: int
) -> None:
    settings.SESSION_LOOKUP_MISSES = 2
    settings.SESSION_LOOKUP_WINDOW_SECONDS = 40
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    for guess in ("QQQQ0001", "QQQQ0002"):
        page.goto(f"{live_server.url}/s/{guess}/")
    response = page.goto(f"{live_server.url}/s/QQQQ0003/")
    assert response.status == 429
    text = page.get_by_role("main").inner_text()
    assert "Too many tries" in text
    assert "second" in text
    assert page_widths(page, width=width) == [width]
    page.screenshot(path=str(SHOTS / f"too-many-{width}.png"), full_page=True)
    context.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_a_mailbox_that_heard_from_us_enough_is_refused_with_a_clear_message(
    live_server, browser, settings, width: int, height: int
) -> None:
    settings.MAIL_PER_MAILBOX_PER_HOUR = 1
    session = hosted_session(starts_at=timezone.now() + timedelta(days=3), title="Deep work")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    for address in ("victim+1@example.org", "victim+2@example.org"):
        page.goto(f"{live_server.url}/s/{session.code}/register/")
        page.get_by_label("E-mail").fill(address)
        page.get_by_label("Name").fill("Someone")
        page.get_by_role("button", name="Register").click()
    alert = page.get_by_role("alert")
    assert "several e-mails to this address in the last hour" in alert.inner_text()
    assert page_widths(page, width=width) == [width]
    page.screenshot(path=str(SHOTS / f"register-refused-{width}.png"), full_page=True)
    context.close()
