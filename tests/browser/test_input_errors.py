"""A pasted control character is refused next to its field, on a page that still fits."""

from __future__ import annotations

import os

import pytest

from sessions_app.models import Registration
from tests.factories import SessionFactory, hosted_program
from tests.support.layout import page_widths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_a_control_character_in_the_name_is_refused_next_to_the_field(
    live_server, browser, width: int
) -> None:
    session = SessionFactory(program=hosted_program(), title="Morning focus")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{session.code}/register/")
    page.get_by_label("E-mail address").fill("ada@example.org")
    # A text input drops typed line breaks; a paste or a script can still put a bell in it.
    page.get_by_label("Your name").evaluate("input => { input.value = 'Ada\\u0007 Lovelace' }")
    page.get_by_role("button", name="Register").click()

    error = page.get_by_text("Remove the invisible control character (U+0007) from this text.")
    error.wait_for()
    name_box = page.get_by_label("Your name").bounding_box()
    error_box = error.bounding_box()
    assert abs(error_box["y"] - name_box["y"]) < 120  # beside the field, not at the top
    assert page_widths(page, width=width) == [width]
    if directory := os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=f"{directory}/registration-refused-{width}.png", full_page=True)
    assert not Registration.objects.exists()
    context.close()
