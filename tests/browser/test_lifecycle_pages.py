"""The lifecycle pages in Chromium at phone and desktop width: unsubscribe, the registrant's
page with its add-to-calendar buttons, and the planning with a series' coming rounds."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from programs.models import MemberStatus
from programs.round_emails import ROUNDS_STREAM
from reminders.unsubscribe import unsubscribe_token
from sessions_app import services
from sessions_app.tokens import join_url
from tests.factories import MemberFactory, RoundFactory, UserFactory, hosted_program, hosted_session
from tests.factories.core import TEST_PASSWORD
from tests.support.layout import page_widths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = [(390, 844), (1280, 900)]
SHOTS = os.environ.get("SCREENSHOT_DIR", "")


def _shot(page, name: str, width: int) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_unsubscribing_from_the_link_in_chromium(live_server, browser, width, height) -> None:
    member = MemberFactory(name="Pat Member")
    token = unsubscribe_token(stream=ROUNDS_STREAM, obj=member)
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{live_server.url}/mail/unsubscribe/{ROUNDS_STREAM}/{token}/")
    assert page_widths(page, width=width) == [width]
    _shot(page, "unsubscribe", width)
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_text("you will get no more opt-in and match e-mails").wait_for()
    _shot(page, "unsubscribed", width)
    context.close()
    member.refresh_from_db()
    assert member.status == MemberStatus.PAUSED


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_the_registrants_page_offers_the_calendars(live_server, browser, width, height) -> None:
    session = hosted_session(starts_at=timezone.now() + timedelta(days=3), title="Focus hour")
    outcome = services.registration_create(
        session=session, email="ada@example.org", name="Ada", now=timezone.now()
    )
    path = re.sub(r"^https?://[^/]+", "", join_url(outcome.registration))
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{live_server.url}{path}")
    # The .ics (the invite's own entry) is the button; Google's and Outlook's links say
    # that they make an entry of their own.
    ics = page.get_by_role("link", name="Add to calendar (.ics)")
    ics.wait_for()
    assert ics.get_attribute("href").endswith("/you/calendar.ics")
    assert "button" in ics.get_attribute("class")
    google = page.get_by_role("link", name="Google Calendar (separate entry)")
    assert "calendar.google.com" in google.get_attribute("href")
    assert page.get_by_role("link", name="Outlook.com (separate entry)").count() == 1
    assert page.get_by_text("does not follow changes").count() == 1
    assert page_widths(page, width=width) == [width]
    _shot(page, "my-registration", width)
    context.close()


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_the_planning_shows_a_series_ahead_in_chromium(live_server, browser, width, height) -> None:
    host = UserFactory()
    program = hosted_program(user=host, name="Product Circle")
    first = datetime.now(UTC).replace(hour=16, minute=0, second=0, microsecond=0) + timedelta(
        days=2
    )
    RoundFactory(
        program=program,
        match_at=first,
        opt_in_at=first - timedelta(days=2),
        time_zone="Europe/Berlin",
        recurrence_weeks=1,
    )
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/programs/{program.pk}/planning/?tz=Europe/Berlin")
    page.get_by_text("Coming round of a series").wait_for()
    assert page_widths(page, width=width) == [width]
    _shot(page, "planning", width)
    page.goto(f"{live_server.url}/programs/{program.pk}/planning/?view=list&tz=Europe/Berlin")
    assert page.get_by_text("Coming (repeats)").count() >= 8
    _shot(page, "planning-list", width)
    context.close()


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_joining_the_waitlist_and_the_hosts_waitlist_in_chromium(
    live_server, browser, width, height
) -> None:
    host = UserFactory()
    session = hosted_session(
        user=host, starts_at=timezone.now() + timedelta(days=3), capacity=1, has_waitlist=True
    )
    services.registration_create(
        session=session, email="first@example.org", name="First", now=timezone.now()
    )
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{session.code}/register/")
    page.get_by_label("E-mail address").fill("late@example.org")
    page.get_by_label("Your name").fill("Late Comer")
    _shot(page, "waitlist-join", width)
    page.get_by_role("button", name="Join the waitlist").click()
    page.get_by_text("number 1 in line").wait_for()
    assert page_widths(page, width=width) == [width]
    _shot(page, "waitlisted", width)
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/sessions/{session.pk}/people/#waitlist")
    page.get_by_role("heading", name="Waitlist (1)").wait_for()
    # The page does not scroll sideways (its tables scroll inside their own frame).
    assert page_widths(page, width=width)[0] == width
    page.locator("#waitlist").screenshot(
        path=f"{SHOTS}/dashboard-waitlist-{width}.png"
    ) if SHOTS else None
    context.close()


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_email_settings_and_the_which_time_question_in_chromium(
    live_server, browser, width, height
) -> None:
    host = UserFactory()
    program = hosted_program(user=host, name="Habits Lab")
    hosted_program(user=host, name="Product Circle")
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/programs/")
    page.get_by_role("link", name="E-mail settings").click()
    page.get_by_role("checkbox", name="Habits Lab").uncheck()
    _shot(page, "email-settings", width)
    page.get_by_role("button", name="Save e-mail settings").click()
    page.get_by_text("Your e-mail settings are saved.").wait_for()
    assert not page.get_by_role("checkbox", name="Habits Lab").is_checked()
    assert page.get_by_role("checkbox", name="Product Circle").is_checked()
    assert page_widths(page, width=width) == [width]

    # 02:30 happens twice in Berlin on 31 October 2027: the form asks which.
    page.goto(f"{live_server.url}/sessions/programs/{program.pk}/new/")
    page.get_by_label("Title").fill("Night owls")
    page.get_by_role("combobox", name="Time zone").select_option("Europe/Berlin")
    page.get_by_label("Date").fill("2027-10-31")
    page.get_by_label("Start time").fill("02:30")
    page.get_by_role("button", name="Schedule session").click()
    later = page.get_by_role("radio", name="The later one, after the clocks go back (CET, UTC+1)")
    later.wait_for()
    assert page_widths(page, width=width) == [width]
    _shot(page, "session-form-which-time", width)
    later.check()
    page.get_by_role("button", name="Schedule session").click()
    page.get_by_text("Night owls").first.wait_for()
    context.close()
    from sessions_app.models import Session

    assert Session.objects.get(title="Night owls").starts_at == datetime(
        2027, 10, 31, 1, 30, tzinfo=UTC
    )
