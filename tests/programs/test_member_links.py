"""Links in members' e-mails: one-click Yes/No, and pausing or leaving, without an account."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from programs.models import MemberStatus, OptIn, RoundState
from programs.round_emails import member_status_url, opt_in_answer_url
from programs.rounds import round_match, round_schedule
from reminders.dispatcher import outbox_dispatch
from tests.factories import MemberFactory, ProgramFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture
def open_round():
    program = ProgramFactory()
    people = [MemberFactory(program=program, name=f"P{i}") for i in range(3)]
    round_ = round_schedule(
        program=program,
        opt_in_at=START,
        match_at=START + timedelta(days=2),
        time_zone="Europe/Berlin",
        now=START,
    )
    return round_, people


def test_the_links_in_the_opt_in_email_answer_with_one_click(open_round) -> None:
    _, people = open_round
    with time_machine.travel(START, tick=False):
        outbox_dispatch(now=START)
    body = next(e.body for e in mail.outbox if people[0].email in e.to[0])
    yes_url = re.search(r"(https://\S+/answer/\S+/yes/)", body).group(1)
    client = Client()
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        response = client.get(_path(yes_url))
        assert response.status_code == 302
        assert response["Referrer-Policy"] == "no-referrer"
        assert "/answer/" in response["Location"] and "yes" not in response["Location"]
        page = client.get(response["Location"]).content.decode()
    assert "You're in" in page
    assert OptIn.objects.get(member=people[0]).answer == "yes"


def test_clicking_twice_changes_nothing_and_the_answer_can_change_until_matching(
    open_round,
) -> None:
    round_, people = open_round
    member = people[0]
    client = Client()
    yes = _path(opt_in_answer_url(round_=round_, member=member, answer="yes"))
    no = _path(opt_in_answer_url(round_=round_, member=member, answer="no"))
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        client.get(yes)
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        client.get(yes)
    opt_in = OptIn.objects.get(member=member)
    assert (opt_in.answer, opt_in.answered_at) == ("yes", START + timedelta(hours=1))
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        client.get(no)
        page = client.get(f"/rounds/{round_.pk}/answer/").content.decode()
    assert "Not this time" in page
    assert OptIn.objects.get(member=member).answer == "no"
    # Changing it back from the page, with a button.
    with time_machine.travel(START + timedelta(hours=4), tick=False):
        client.post(f"/rounds/{round_.pk}/answer/", {"answer": "yes"})
    assert OptIn.objects.get(member=member).answer == "yes"


def test_after_matching_the_page_says_who_was_matched(open_round) -> None:
    round_, people = open_round
    client = Client()
    for person in people[:2]:
        client_for = Client()
        with time_machine.travel(START + timedelta(hours=1), tick=False):
            client_for.get(_path(opt_in_answer_url(round_=round_, member=person, answer="yes")))
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        client.get(_path(opt_in_answer_url(round_=round_, member=people[2], answer="no")))
    round_match(round_id=round_.pk, now=START + timedelta(days=2))
    round_.refresh_from_db()
    assert round_.state == RoundState.MATCHED

    matched = Client()
    with time_machine.travel(START + timedelta(days=3), tick=False):
        response = matched.get(
            _path(opt_in_answer_url(round_=round_, member=people[0], answer="no")), follow=True
        )
    page = response.content.decode()
    assert "Matching is done" in page
    assert f"You were matched with <strong>{people[1].name}</strong>" in page
    assert OptIn.objects.get(member=people[0]).answer == "yes"  # too late to change

    with time_machine.travel(START + timedelta(days=3), tick=False):
        page = client.get(
            _path(opt_in_answer_url(round_=round_, member=people[2], answer="yes")), follow=True
        ).content.decode()
    assert "You weren't matched this round, as you asked." in page


def test_a_tampered_or_foreign_token_is_refused(open_round) -> None:
    round_, people = open_round
    url = _path(opt_in_answer_url(round_=round_, member=people[0], answer="yes"))
    client = Client()
    assert client.get(url[:-6] + "X/yes/").status_code == 404
    other = round_schedule(
        program=round_.program,
        opt_in_at=START,
        match_at=START + timedelta(days=5),
        time_zone="UTC",
        now=START,
    )
    assert (
        client.get(url.replace(f"/rounds/{round_.pk}/", f"/rounds/{other.pk}/")).status_code == 404
    )
    assert client.get(f"/rounds/{round_.pk}/answer/").status_code == 404
    assert not OptIn.objects.exists()


def _csrf(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


# What Chromium sends with a form on a page of this site served under the default policy.
BROWSER = {"HTTP_ORIGIN": "http://testserver"}


@pytest.mark.parametrize(
    ("action", "status"), [("pause", MemberStatus.PAUSED), ("leave", MemberStatus.LEFT)]
)
def test_a_member_pauses_or_leaves_from_the_link_and_can_come_back(
    action: str, status: str
) -> None:
    member = MemberFactory()
    client = Client(enforce_csrf_checks=True)
    url = _path(member_status_url(member=member, action=action))
    token = url.strip("/").split("/")[1]
    response = client.get(url)
    assert response.status_code == 302
    assert response["Referrer-Policy"] == "no-referrer"
    page_url = response["Location"]
    assert token not in page_url
    page = client.get(page_url)
    assert page.status_code == 200
    assert page.get("Referrer-Policy") != "no-referrer"
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE  # a GET (or a mail scanner) changes nothing
    done = client.post(page_url, {"csrfmiddlewaretoken": _csrf(page.text)}, **BROWSER)
    assert done.status_code == 200
    member.refresh_from_db()
    assert member.status == status
    page = client.get(page_url)
    assert "Come back" in page.text
    resume_url = re.search(r'href="(/membership/[^"]+/resume/)"', page.text).group(1)
    assert token not in resume_url
    resume = client.get(resume_url)
    client.post(resume_url, {"csrfmiddlewaretoken": _csrf(resume.text)}, **BROWSER)
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE


def test_the_membership_page_needs_the_link_first() -> None:
    member = MemberFactory()
    client = Client()
    response = client.post(f"/membership/{member.pk}/leave/")
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE


def test_the_answer_changed_from_the_page_passes_the_browsers_csrf_check(open_round) -> None:
    round_, people = open_round
    client = Client(enforce_csrf_checks=True)
    yes = _path(opt_in_answer_url(round_=round_, member=people[0], answer="yes"))
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        page = client.get(yes, follow=True)
        page_url = page.redirect_chain[-1][0]
        assert "/yes/" not in page_url
        assert page.get("Referrer-Policy") != "no-referrer"
        changed = client.post(
            page_url, {"answer": "no", "csrfmiddlewaretoken": _csrf(page.text)}, **BROWSER
        )
    assert changed.status_code == 302
    assert OptIn.objects.get(member=people[0]).answer == "no"


def test_paused_members_get_no_opt_in_email() -> None:
    program = ProgramFactory()
    active = MemberFactory(program=program)
    MemberFactory(program=program, status=MemberStatus.PAUSED)
    round_schedule(
        program=program,
        opt_in_at=START,
        match_at=START + timedelta(days=2),
        time_zone="UTC",
        now=START,
    )
    with time_machine.travel(START, tick=False):
        outbox_dispatch(now=START)
    assert [email.to[0] for email in mail.outbox] == [f"{active.name} <{active.email}>"]
