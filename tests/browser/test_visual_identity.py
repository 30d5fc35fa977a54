"""The design system in Chromium: axe-core finds no violation (colour contrast included) on
the pages it styles, in the light and the dark scheme, at phone and desktop width; the round's
chart is drawn with its axes, total and reference line; icons and avatars render."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from programs.models import OptInAnswer, RoundState
from programs.rounds import OPT_IN_KIND
from reminders.models import MessageStatus
from tests.factories import (
    MatchFactory,
    MemberFactory,
    MessageFactory,
    OptInFactory,
    RoundFactory,
    SessionFactory,
    UserFactory,
    hosted_program,
)
from tests.factories.core import TEST_PASSWORD
from tests.support.axe import axe_violations
from tests.support.layout import page_widths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOT_DIR", "")
VIEWS = [
    pytest.param("light", 1280, 900, id="light-1280"),
    pytest.param("light", 390, 844, id="light-390"),
    pytest.param("dark", 1280, 900, id="dark-1280"),
    pytest.param("dark", 390, 844, id="dark-390"),
]
NAMES = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra"]


def _program_with_rounds():
    """A host, a program with five members, an open round with answers, a matched round with
    groups, a scheduled one, and a session: every kind of round card and calendar entry."""
    now = timezone.now()
    host = UserFactory(first_name="Hedy", last_name="Lamarr")
    program = hosted_program(user=host, name="Coffee Roulette", time_zone="Europe/Berlin")
    people = [MemberFactory(program=program, name=name) for name in NAMES]
    opened = now - timedelta(days=2, hours=3)
    open_round = RoundFactory(
        program=program,
        state=RoundState.OPEN,
        opt_in_at=opened,
        opened_at=opened,
        match_at=now + timedelta(days=1),
    )
    for person in people:
        MessageFactory(topic=open_round.topic, kind=OPT_IN_KIND, status=MessageStatus.SENT)
    for hours, person in zip([2, 20, 30], people, strict=False):
        OptInFactory(round=open_round, member=person, answered_at=opened + timedelta(hours=hours))
    OptInFactory(
        round=open_round,
        member=people[3],
        answer=OptInAnswer.NO,
        answered_at=now - timedelta(hours=5),
    )
    matched = RoundFactory(
        program=program,
        state=RoundState.MATCHED,
        opt_in_at=now - timedelta(days=10),
        opened_at=now - timedelta(days=10),
        match_at=now - timedelta(days=8),
        matched_at=now - timedelta(days=8),
    )
    for person in people:
        OptInFactory(round=matched, member=person, answered_at=now - timedelta(days=9))
    MatchFactory(round=matched, number=1, members=people[:2])
    MatchFactory(round=matched, number=2, members=people[2:])
    scheduled = RoundFactory(program=program, match_at=now + timedelta(days=6))
    SessionFactory(program=program, title="Monthly all-hands", starts_at=now + timedelta(days=2))
    return host, program, open_round, matched, scheduled


def _signed_in(browser, live_server, host, *, scheme: str, width: int, height: int):
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context


def _check(page, name: str, *, scheme: str, width: int) -> None:
    # The page never scrolls sideways (a wide table scrolls inside its own wrapper).
    assert page_widths(page, width=width)[0] == width, name
    violations = axe_violations(page)
    assert violations == [], f"{name}: " + "\n".join(violations)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-{scheme}-{width}.png", full_page=True)


@pytest.mark.parametrize(("scheme", "width", "height"), VIEWS)
def test_the_styled_pages_pass_axe_in_both_schemes_and_widths(
    live_server, browser, scheme, width, height
) -> None:
    host, program, open_round, matched, scheduled = _program_with_rounds()
    context = _signed_in(browser, live_server, host, scheme=scheme, width=width, height=height)
    page = context.new_page()
    base = f"{live_server.url}/programs/{program.pk}"
    pages = {
        "programs": f"{live_server.url}/programs/",
        "overview": f"{base}/",
        "members": f"{base}/members/",
        "rounds": f"{base}/rounds/",
        "round-open": f"{base}/rounds/{open_round.pk}/",
        "round-matched": f"{base}/rounds/{matched.pk}/",
        "round-form": f"{base}/rounds/new/",
        "planning-month": f"{base}/planning/",
        "planning-list": f"{base}/planning/?view=list",
        "planning-all": f"{live_server.url}/planning/?view=week",
        "insights": f"{base}/insights/",
        "my-sessions": f"{live_server.url}/sessions/",
    }
    for name, url in pages.items():
        page.goto(url)
        _check(page, name, scheme=scheme, width=width)
    # A flash message (a live region around the list, not role="status" on the <ul>).
    page.goto(f"{base}/rounds/{scheduled.pk}/")
    page.get_by_role("button", name="Cancel this round").click()
    page.get_by_role("status").get_by_text("Round cancelled").wait_for()
    _check(page, "flash", scheme=scheme, width=width)
    context.close()
    anonymous = browser.new_context(
        viewport={"width": width, "height": height}, color_scheme=scheme
    )
    page = anonymous.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    _check(page, "login", scheme=scheme, width=width)
    anonymous.close()


def test_the_round_chart_shows_axes_dates_the_total_and_the_roster(live_server, browser) -> None:
    host, program, open_round, matched, _ = _program_with_rounds()
    context = _signed_in(browser, live_server, host, scheme="light", width=1280, height=900)
    page = context.new_page()
    page.goto(f"{live_server.url}/programs/{program.pk}/rounds/{open_round.pk}/")
    chart = page.locator("#round-live svg.chart")
    labels = chart.locator("text").all_text_contents()
    assert "3 yes" in labels and "5 asked" in labels and "now" in labels
    # The x axis names days; the y axis runs from 0 past the roster's size.
    assert sum(bool(re.fullmatch(r"\w{3} \d{1,2} \w{3}", label)) for label in labels) >= 2
    ticks = [int(label) for label in labels if label.isdigit()]
    assert ticks[0] == 0 and ticks[-1] >= 5
    # Drawn, not a hairline: the line spans most of the chart's width up to "now".
    box = chart.bounding_box()
    line = chart.locator("polyline").bounding_box()
    assert box["width"] > 400 and line["width"] > box["width"] * 0.5
    caption = page.locator("#round-chart-caption").inner_text()
    assert "3 yes so far of the 5 members asked, 1 declined" in caption
    page.get_by_text("The numbers per day as a table").click()
    totals = page.locator("#round-chart-table tbody td:last-child").all_text_contents()
    assert totals[-1] == "3"
    # Avatars: initials in a coloured circle; the same name keeps its colour on every page.
    page.goto(f"{live_server.url}/programs/{program.pk}/members/")
    ada = page.locator("tr", has_text="Ada Lovelace").locator(".avatar")
    assert ada.inner_text() == "AL"
    colour = ada.evaluate("e => getComputedStyle(e).backgroundColor")
    page.goto(f"{live_server.url}/programs/{program.pk}/rounds/{matched.pk}/")
    in_group = page.locator(".round-groups .person", has_text="Ada Lovelace").locator(".avatar")
    assert in_group.evaluate("e => getComputedStyle(e).backgroundColor") == colour
    context.close()
