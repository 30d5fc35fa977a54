"""In a real browser: the open round's page updates itself (htmx polling) as members answer."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from programs.rounds import opt_in_answer, round_schedule
from tests.factories import TEST_PASSWORD, MemberFactory, UserFactory, hosted_program
from tests.support.browser_watch import BrowserReport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if settings.REQUIRE_SERVICES or os.environ.get("CI"):
            pytest.fail(f"Chromium is missing at {CHROMIUM}")
        pytest.skip(f"Chromium is missing at {CHROMIUM}")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        report = BrowserReport()
        page = report.watch_page(browser.new_page(viewport={"width": 390, "height": 844}))
        yield page
        browser.close()
        report.assert_clean()
        # Database work done while Playwright's loop is set lives in its own connection, which
        # Django's teardown would not see; close it here so the test database can be dropped.
        from django.db import connections

        connections.close_all()


def test_the_open_round_page_shows_new_opt_ins_without_a_reload(live_server, browser_page) -> None:
    host = UserFactory()
    program = hosted_program(user=host)
    people = [MemberFactory(program=program) for _ in range(3)]
    now = timezone.now()
    round_ = round_schedule(
        program=program, opt_in_at=now, match_at=now + timedelta(days=2), time_zone="UTC", now=now
    )
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", host.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/programs/{program.pk}/rounds/{round_.pk}/")
    opt_ins = page.locator("#round-live dt:text-is('Opt-ins') + dd")
    assert opt_ins.inner_text() == "0"

    opt_in_answer(round_=round_, member=people[0], answer="yes", now=timezone.now())
    opt_in_answer(round_=round_, member=people[1], answer="yes", now=timezone.now())
    page.wait_for_function(
        """() => [...document.querySelectorAll('#round-live dt')]
            .find((dt) => dt.textContent === 'Opt-ins').nextElementSibling.textContent === '2'""",
        timeout=15_000,
    )
    assert "2 yes so far" in page.locator("#round-live figcaption").inner_text()
    assert page.locator("#round-live dt:text-is('No answer yet') + dd").inner_text() == "1"
