"""A member pauses from the link in an e-mail, in Chromium: the form passes Django's CSRF check."""

from __future__ import annotations

import re

import pytest

from programs.models import MemberStatus
from programs.round_emails import member_status_url
from tests.factories import MemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_pauses_from_the_email_link_in_chromium(live_server, browser) -> None:
    member = MemberFactory(name="Pat Member")
    path = re.sub(r"^https?://[^/]+", "", member_status_url(member=member, action="pause"))
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.goto(f"{live_server.url}{path}")
    assert page.url == f"{live_server.url}/membership/{member.pk}/pause/"
    page.get_by_role("button", name="Pause my membership").click()
    page.get_by_text("You are paused").wait_for()
    assert "CSRF verification failed" not in page.content()
    context.close()
    member.refresh_from_db()
    assert member.status == MemberStatus.PAUSED
