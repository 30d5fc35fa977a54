"""The scan-free path: start link → Session ID → questions → commitment → e-mail link → check-in."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core import mail

from commitments.models import CheckIn, Commitment, QuestionKind
from commitments.selectors import COMMITMENT_TOKEN_PURPOSE
from reminders.dispatcher import outbox_dispatch
from reminders.tokens import token_make
from tests.factories import (
    CheckInFactory,
    CommitmentFactory,
    ModuleFactory,
    QuestionFactory,
    SessionFactory,
)
from tests.support.layout import page_widths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_participant_joins_by_session_id_commits_and_checks_in(live_server, browser) -> None:
    module = ModuleFactory(is_activated=True, commitment_days=5, title="Move more")
    session = SessionFactory(program=module.program, module=module, title="Kick-off evening")
    QuestionFactory(module=module, text="What will you do each day?", position=1)
    QuestionFactory(
        module=module, text="How confident are you?", kind=QuestionKind.SCALE_1_10, position=2
    )

    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.goto(f"{live_server.url}/start/")
    typed = f"{session.code[:4].lower()} - {session.code[4:].lower()}"
    page.get_by_label("Session ID").fill(typed)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Kick-off evening").wait_for()

    page.get_by_role("link", name="Create your commitment").click()
    page.get_by_label("Your name").fill("Ada Participant")
    page.get_by_label("Your e-mail").fill("ada@example.org")
    page.get_by_label("What will you do each day?").fill("Walk 20 minutes")
    page.get_by_label("7", exact=True).check()
    page.get_by_role("button", name="Create my commitment").click()
    page.get_by_text("Your commitment is made").wait_for()
    context.close()

    commitment = Commitment.objects.get()
    assert commitment.answers.get(question_text="How confident are you?").value == "7"

    outbox_dispatch()
    assert len(mail.outbox) == 1
    link = re.search(r"https://convene\.example(/commitments/link/\S+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body

    # Another browser (the participant's phone, from the e-mail) opens the personal link.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}{link.group(1)}")
    assert page.url == f"{live_server.url}/commitments/{commitment.pk}/"
    page.get_by_text("Walk 20 minutes").wait_for()
    assert page.get_by_test_id("streak").inner_text() == "0"

    page.get_by_label("Yes, done").check()
    page.get_by_label("How did it go? (optional)").select_option("8")
    page.get_by_label("Note (optional)").fill("Easy start")
    page.get_by_role("button", name="Check in").click()
    page.get_by_text("Checked in. See you tomorrow!").wait_for()
    assert page.get_by_test_id("streak").inner_text() == "1"
    assert "1 of 5 days done" in page.inner_text("main").replace("\n", " ")
    context.close()

    checkin = CheckIn.objects.get()
    assert (checkin.is_done, checkin.rating, checkin.note) == (True, 8, "Easy start")


def test_a_long_history_fits_a_phone_screen(live_server, browser) -> None:
    commitment = CommitmentFactory(starts_on=date.today() - timedelta(days=20), duration_days=30)
    for offset in range(20):
        CheckInFactory(
            commitment=commitment,
            day=commitment.starts_on + timedelta(days=offset),
            is_done=offset % 2 == 0,
            rating=7,
            note="https://example.org/" + "x" * 120 + "\nand a second line",
        )
    token = token_make(
        purpose=COMMITMENT_TOKEN_PURPOSE, object_id=commitment.pk, version=commitment.token_version
    )
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/commitments/link/{token}/")
    page.get_by_role("heading", name="Your check-ins").wait_for()
    assert page.locator(".history li").count() == 20
    widths = page_widths(page, width=390)
    assert widths == [390], widths
    context.close()
