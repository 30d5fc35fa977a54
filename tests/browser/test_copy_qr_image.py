"""The share panel's "Copy QR image" puts the PNG itself on the clipboard, and a "Copied."
never stays stale: it clears when something else is copied, and after a few seconds."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import ModuleFactory, UserFactory, hosted_session
from tests.support.axe import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOT_DIR", "")

READ_CLIPBOARD = """async () => {
  const items = await navigator.clipboard.read();
  const blob = await items[0].getType("image/png");
  const bytes = new Uint8Array(await blob.arrayBuffer());
  return {types: items[0].types, size: blob.size, head: Array.from(bytes.slice(0, 8))};
}"""
PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10]


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_copy_qr_image_writes_a_png_and_the_copied_status_clears(
    live_server, browser, width: int, height: int
) -> None:
    from playwright.sync_api import expect

    host = UserFactory()
    session = hosted_session(user=host, starts_at=timezone.now() + timedelta(days=2))
    session.module = ModuleFactory(program=session.program, is_activated=True)
    session.save()
    client = Client()
    client.force_login(host)
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/sessions/{session.pk}/share/")
    page.get_by_role("button", name="Copy Session ID").click()
    code_status = page.locator("dd", has_text=session.display_code).get_by_role("status")
    expect(code_status).to_have_text("Copied.")

    page.get_by_role("button", name="Copy QR image").click()
    image_status = page.get_by_role("status").filter(has_text="QR image copied.")
    expect(image_status).to_be_visible()
    # The Session ID's "Copied." went when the image was copied: the clipboard holds the image.
    expect(code_status).to_have_text("")
    copied = page.evaluate(READ_CLIPBOARD)
    assert copied["types"] == ["image/png"]
    assert copied["size"] > 200 and copied["head"] == PNG_SIGNATURE
    assert axe_violations(page) == []
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/share-panel-qr-copied-{width}.png", full_page=True)
    # And it clears by itself after a few seconds.
    expect(page.get_by_text("QR image copied.")).to_have_count(0, timeout=8000)
    context.close()
