"""Every page of `tests.support.screens` at 1280 and 390 px, from the demo data, as the demo
host or a signed-out visitor (a browser context of its own for each page and width): no axe-core
violation, nothing wider than the screen, and a PNG of each (`make screenshots` keeps them in
var/screenshots/; otherwise they go to a temporary folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from config.management.commands.load_demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_ZONE
from tests.support.axe import axe_violations
from tests.support.layout import page_widths
from tests.support.screens import HEIGHTS, SCREENS, WIDTHS, Screen, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_page_is_accessible_at_both_widths(live_server, browser, tmp_path: Path) -> None:
    """One demo load for all the pages (it is the slow part); every page's problems listed."""
    call_command("load_demo", verbosity=0)
    client = Client()
    assert client.login(username=DEMO_EMAIL, password=DEMO_PASSWORD)
    folder = Path(os.environ["SCREENSHOTS_DIR"]) if os.environ.get("SCREENSHOTS_DIR") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    for screen in SCREENS:
        problems.update(_check(screen, live_server.url, browser, client, folder))
    assert problems == {}


def _check(
    screen: Screen, base: str, browser, client: Client, folder: Path
) -> dict[str, list[str]]:
    path = screen.path()
    problems: dict[str, list[str]] = {}
    for width in WIDTHS:
        # A browser in the demo programs' zone, as the demo host's and most visitors' would be.
        context = browser.new_context(
            viewport={"width": width, "height": HEIGHTS[width]}, timezone_id=DEMO_ZONE
        )
        if screen.signed_in:
            context.add_cookies(
                [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
            )
        page = context.new_page()
        # A personal link answers with a redirect; the page it lands on is what counts.
        response = page.goto(f"{base}{path}")
        if screen.then is not None and response is not None and response.ok:
            response = screen.then(page)
        status = response.status if response is not None else "nothing"
        violations = [] if status == 200 else [f"answered {status} at {page.url}"]
        page.screenshot(path=str(screenshot_path(screen, width, folder)), full_page=True)
        violations += axe_violations(page)
        # Wide tables and charts scroll inside their own focusable regions; the page itself
        # must not scroll sideways.
        document_width = page_widths(page, width=width)[0]
        if document_width != width:
            violations.append(f"the page is {document_width} px wide")
        if violations:
            problems[f"{screen.name} ({path}) at {width} px"] = violations
        context.close()
    return problems
