"""Links in members' e-mails: Yes/No confirmed on a page, and pausing or leaving, without an account."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import formataddr

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


def _open_link(client: Client, *, round_, member, answer: str):
    """Follow an e-mail's Yes/No link the way a browser (or a mail scanner) does."""
    return client.get(_path(opt_in_answer_url(round_=round_, member=member, answer=answer)))


def _confirm(client: Client, round_, answer: str) -> None:
    client.post(f"/rounds/{round_.pk}/answer/", {"answer": answer})


def test_the_links_in_the_opt_in_email_lead_to_a_confirmation(open_round) -> None:
    round_, people = open_round
    with time_machine.travel(START, tick=False):
        outbox_dispatch(now=START)
    body = next(e.body for e in mail.outbox if people[0].email in e.to[0])
    yes_url = re.search(r"(https://\S+/answer/\S+/yes/)", body).group(1)
    client = Client()
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        response = client.get(_path(yes_url))
        assert response.status_code == 302
        assert response["Referrer-Policy"] == "no-referrer"
        token = _path(yes_url).split("/")[4]
        assert "/answer/" in response["Location"] and token not in response["Location"]
        page = client.get(response["Location"]).content.decode()
    assert "Join this round?" in page
    assert "you chose <strong>Yes</strong> from the e-mail" in page
    assert "Confirm: yes, match me" in page
    assert not OptIn.objects.exists()  # opening the link recorded nothing
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        _confirm(client, round_, "yes")
        page = client.get(f"/rounds/{round_.pk}/answer/").content.decode()
    assert "You're in" in page
    opt_in = OptIn.objects.get(member=people[0])
    assert (opt_in.answer, opt_in.answered_at) == ("yes", START + timedelta(hours=1))


def test_a_mail_scanner_opening_both_links_records_nothing(open_round) -> None:
    round_, people = open_round
    scanner = Client()
    for answer in ("yes", "no"):
        page = _open_link(scanner, round_=round_, member=people[0], answer=answer)
        scanner.get(page["Location"])
    assert not OptIn.objects.exists()
    # A member who answered No keeps No however often a scanner opens the Yes link.
    member = Client()
    _open_link(member, round_=round_, member=people[1], answer="no")
    _confirm(member, round_, "no")
    page = _open_link(scanner, round_=round_, member=people[1], answer="yes")
    assert "you chose <strong>Yes</strong>" in scanner.get(page["Location"]).text
    assert OptIn.objects.get(member=people[1]).answer == "no"


def test_the_page_offers_the_other_answer_too_and_it_can_change_until_matching(
    open_round,
) -> None:
    round_, people = open_round
    member = people[0]
    client = Client()
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        page = client.get(
            _open_link(client, round_=round_, member=member, answer="yes")["Location"]
        )
        assert "No, not this time" in page.text
        _confirm(client, round_, "no")
    assert OptIn.objects.get(member=member).answer == "no"
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        page = client.get(_open_link(client, round_=round_, member=member, answer="no")["Location"])
    # The link's answer is the one on record: nothing to confirm.
    assert "Not this time" in page.text and "Confirm" not in page.text
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        _confirm(client, round_, "yes")
    assert OptIn.objects.get(member=member).answer == "yes"


def test_after_matching_the_page_says_who_was_matched(open_round) -> None:
    round_, people = open_round
    client = Client()
    for person in people[:2]:
        client_for = Client()
        with time_machine.travel(START + timedelta(hours=1), tick=False):
            _open_link(client_for, round_=round_, member=person, answer="yes")
            _confirm(client_for, round_, "yes")
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        _open_link(client, round_=round_, member=people[2], answer="no")
        _confirm(client, round_, "no")
    round_match(round_id=round_.pk, now=START + timedelta(days=2))
    round_.refresh_from_db()
    assert round_.state == RoundState.MATCHED

    matched = Client()
    with time_machine.travel(START + timedelta(days=3), tick=False):
        response = matched.get(
            _path(opt_in_answer_url(round_=round_, member=people[0], answer="no")), follow=True
        )
        assert matched.post(f"/rounds/{round_.pk}/answer/", {"answer": "no"}).status_code == 302
    page = response.content.decode()
    assert "Matching is done" in page
    assert "Confirm" not in page
    assert f"You were matched with <strong>{people[1].name}</strong>. Look out" in page
    assert OptIn.objects.get(member=people[0]).answer == "yes"  # too late to change
    # The partner's page names only the other one, with no stray separator after it.
    with time_machine.travel(START + timedelta(days=3), tick=False):
        partner = Client().get(
            _path(opt_in_answer_url(round_=round_, member=people[1], answer="yes")), follow=True
        )
    assert f"You were matched with <strong>{people[0].name}</strong>. Look out" in partner.text

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


def test_a_new_link_version_revokes_the_answer_page(open_round) -> None:
    round_, people = open_round
    client = Client()
    _open_link(client, round_=round_, member=people[0], answer="yes")
    people[0].token_version += 1
    people[0].save(update_fields=["token_version"])
    assert client.get(f"/rounds/{round_.pk}/answer/").status_code == 404
    _confirm(client, round_, "yes")
    assert not OptIn.objects.exists()


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
    assert [email.to[0] for email in mail.outbox] == [formataddr((active.name, active.email))]


def test_once_the_matching_moment_has_passed_the_page_says_matching_is_under_way(
    open_round,
) -> None:
    round_, people = open_round
    client = Client()
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        _open_link(client, round_=round_, member=people[0], answer="yes")
        _confirm(client, round_, "yes")
        before = client.get(f"/rounds/{round_.pk}/answer/").content.decode()
    assert "you will be matched on Wednesday 6 May 2026" in re.sub(r"<[^>]+>", "", before)
    # The worker has not matched yet (the round is still open): no promise of a past time.
    with time_machine.travel(round_.match_at + timedelta(seconds=5), tick=False):
        after = client.get(f"/rounds/{round_.pk}/answer/").content.decode()
    assert "matching is under way, and the e-mail with your match follows shortly" in after
    assert "you will be matched on" not in after
