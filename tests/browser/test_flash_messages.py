"""A flash message is announced by a live region holding a plain list: axe-core finds nothing
on a page showing one, at phone and desktop width."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from tests.factories import TEST_PASSWORD, UserFactory, hosted_program
from tests.support.axe import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOT_DIR", "")


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_a_page_with_a_flash_message_has_no_axe_violations(
    live_server, browser, width, height
) -> None:
    host = UserFactory()
    program = hosted_program(user=host, name="Book Circle")
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/programs/{program.pk}/members/")
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("E-mail").fill("ada@example.org")
    page.get_by_role("button", name="Add member").click()
    status = page.get_by_role("status").filter(has_text="Ada Lovelace added to the roster.")
    status.wait_for()
    assert status.get_by_role("listitem").count() == 1
    assert axe_violations(page) == []
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/flash-message-{width}.png", full_page=True)
    context.close()
