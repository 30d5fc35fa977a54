"""Members act from the links in their e-mails, in Chromium: the forms pass Django's CSRF check."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from programs.models import MemberStatus, OptIn
from programs.round_emails import member_status_url, opt_in_answer_url
from programs.rounds import round_schedule
from tests.factories import MemberFactory, ProgramFactory

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


def test_a_member_confirms_the_yes_from_the_email_link_in_chromium(live_server, browser) -> None:
    program = ProgramFactory()
    member = MemberFactory(program=program, name="Pat Member")
    now = timezone.now()
    round_ = round_schedule(
        program=program,
        opt_in_at=now,
        match_at=now + timedelta(days=2),
        time_zone="Europe/Berlin",
        now=now,
    )
    url = opt_in_answer_url(round_=round_, member=member, answer="yes")
    path = re.sub(r"^https?://[^/]+", "", url)
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.goto(f"{live_server.url}{path}")
    assert page.url == f"{live_server.url}/rounds/{round_.pk}/answer/?chose=yes"
    page.get_by_text("You chose Yes from the e-mail", exact=False).wait_for()
    assert not OptIn.objects.exists()  # opening the link recorded nothing
    page.get_by_role("button", name="Confirm: yes, match me").click()
    page.get_by_role("heading", name="You're in").wait_for()
    assert "CSRF verification failed" not in page.content()
    context.close()
    assert OptIn.objects.get(member=member).answer == "yes"
