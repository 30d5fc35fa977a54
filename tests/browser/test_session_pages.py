"""The session's host pages by task in Chromium: the Share page's links, each copied, lead where
their labels say; every page is axe-clean and fits a phone at 390 px and a desktop at 1280 px."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guests.services import guest_link_for
from sessions_app.models import Registration, WaitlistEntry
from tests.factories import ModuleFactory, RegistrationQuestionFactory, UserFactory, hosted_session
from tests.support.axe import axe_violations
from tests.support.layout import page_widths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Set SCREENSHOT_DIR to keep the pages for a look.
SHOTS = os.environ.get("SCREENSHOT_DIR", "")


def _shoot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _signed_in(browser, live_server, user, **options):
    client = Client()
    client.force_login(user)
    context = browser.new_context(**options)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context


def _workshop(host):
    session = hosted_session(
        user=host,
        title="Habits workshop",
        starts_at=timezone.now() + timedelta(days=2),
        time_zone="Europe/Berlin",
        capacity=10,
        has_waitlist=True,
    )
    session.module = ModuleFactory(program=session.program, is_activated=True)
    session.save()
    guest_link_for(session=session)
    RegistrationQuestionFactory(session=session, label="What do you want to practise?")
    Registration.objects.bulk_create(
        Registration(session=session, email=f"person{n}@example.org", name=f"Person {n}")
        for n in range(3)
    )
    WaitlistEntry.objects.create(
        session=session, email="late@example.org", name="Late Comer", position=1
    )
    return session


def test_each_link_copied_from_the_share_page_leads_where_its_label_says(
    live_server, browser, settings
) -> None:
    import zxingcpp
    from PIL import Image
    from playwright.sync_api import expect

    settings.PUBLIC_BASE_URL = live_server.url
    host = UserFactory()
    session = _workshop(host)
    context = _signed_in(browser, live_server, host, viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/sessions/{session.pk}/share/")
    expect(page.get_by_role("link", name="Share", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    # Strangers: each copied link is opened in a browser that is not signed in.
    visitor = browser.new_context(viewport={"width": 390, "height": 844})

    def copied(button: str) -> str:
        page.get_by_role("button", name=button).click()
        expect(page.get_by_role("button", name=button).locator("..")).to_contain_text("Copied.")
        return page.evaluate("navigator.clipboard.readText()")

    def opened(url: str):
        assert url.startswith(live_server.url), url
        visit = visitor.new_page()
        visit.goto(url)
        return visit

    # For participants: the registration page.
    registration = opened(copied("Copy registration page link"))
    expect(registration.get_by_role("heading", name="Register")).to_be_visible()
    expect(registration.get_by_label("E-mail address")).to_be_visible()
    expect(registration.get_by_label("What do you want to practise?")).to_be_visible()

    # For people who missed it: the Session ID, typed on the start page, …
    code = copied("Copy Session ID")
    assert code == session.display_code
    start = opened(copied("Copy start page link"))
    expect(start.get_by_role("heading", name="Join a session")).to_be_visible()
    start.get_by_label("Session ID").fill(code)
    start.get_by_role("button", name="Continue").click()
    expect(start.get_by_role("link", name="Create your commitment")).to_be_visible()
    # The Session ID typed on the start page is recorded as the way in (`?via=id`).
    assert start.url == f"{live_server.url}/start/{session.code}/?via=id"

    # … or the commitment link, which the QR code carries too.
    commitment_url = copied("Copy commitment link")
    commitment = opened(commitment_url)
    expect(commitment.get_by_role("link", name="Create your commitment")).to_be_visible()
    assert commitment.url.split("?")[0] == f"{live_server.url}/start/{session.code}/"
    qr_src = page.get_by_role("img", name="QR code of the commitment link").get_attribute("src")
    qr = context.request.get(f"{live_server.url}{qr_src.replace('.svg', '.png')}")
    assert qr.ok
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.body())))
    # The QR code carries the same link, marked as scanned (`?via=qr`, see commitments.sources).
    assert [result.text for result in decoded] == [commitment_url.replace("via=link", "via=qr")]

    # For guests: the guest link, which trades its token for a cookie and leads to the
    # guests' entry (two days ahead it says when the room opens).
    guest = opened(copied("Copy guest link"))
    expect(guest.get_by_role("heading", name="Habits workshop", level=1)).to_be_visible()
    expect(guest.get_by_role("status")).to_contain_text("The room opens at")
    assert guest.url == f"{live_server.url}/g/{session.code}/enter/"
    page.get_by_text("Ready message with the link").click()
    message = copied("Copy the ready message for guests")
    assert "Habits workshop" in message and f"{live_server.url}/g/" in message

    visitor.close()
    context.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_the_session_pages_are_axe_clean_and_fit_the_screen(
    live_server, browser, width: int, height: int
) -> None:
    host = UserFactory()
    session = _workshop(host)
    # The live style of the Ongoing tab: a session that began without its host.
    hosted_session(user=host, title="Drop-in hour", starts_at=timezone.now() - timedelta(minutes=5))
    context = _signed_in(
        browser, live_server, host, viewport={"width": width, "height": height}, bypass_csp=True
    )
    page = context.new_page()
    by_id = {"session_id": session.pk}
    pages = {
        "overview": reverse("sessions_app:dashboard", kwargs=by_id),
        "people": reverse("sessions_app:session_people", kwargs=by_id),
        "questions": reverse("sessions_app:session_questions", kwargs=by_id),
        "emails": reverse("sessions_app:session_emails", kwargs=by_id),
        "room": reverse("sessions_app:session_room", kwargs=by_id),
        "share": reverse("sessions_app:session_share", kwargs=by_id),
        "create": reverse("sessions_app:session_create", kwargs={"program_id": session.program_id}),
        **{
            f"my-sessions-{tab}": f"{reverse('sessions_app:my_sessions')}?tab={tab}"
            for tab in ("upcoming", "ongoing", "completed", "cancelled")
        },
    }
    found: dict[str, list[object]] = {}
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        violations = axe_violations(page)
        # The page never scrolls sideways (wide tables scroll inside their own frame).
        page_width = page_widths(page, width=width)[0]
        if violations or page_width != width:
            found[name] = [*violations, f"page width {page_width}"]
        _shoot(page, f"session-{name}-{width}")
    assert found == {}, found
    context.close()
