"""The grouping preview of a round equals what the match stores and e-mails; a swap made in
the preview is what the match e-mails say; hosts of other programs get 404."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from programs.models import Match, Member, Program
from programs.rounds import opt_in_answer, round_match, round_schedule
from reminders.dispatcher import outbox_dispatch
from tests.factories import MatchFactory, MemberFactory, RoundFactory, hosted_program

pytestmark = pytest.mark.django_db

START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
MATCH_AT = START + timedelta(days=2)


def _round(
    host, size: int, *, history: list[tuple[int, int]] = ()
) -> tuple[Program, list[Member], int]:
    program = hosted_program(user=host, time_zone="UTC")
    people = [
        MemberFactory(program=program, name=f"P{i:02}", email=f"p{i}@example.org")
        for i in range(size)
    ]
    if history:
        earlier = RoundFactory(
            program=program, opt_in_at=None, match_at=START - timedelta(days=7), state="matched"
        )
        for number, (a, b) in enumerate(history, start=1):
            MatchFactory(round=earlier, number=number, members=[people[a], people[b]])
    round_ = round_schedule(
        program=program, opt_in_at=START, match_at=MATCH_AT, time_zone="UTC", now=START
    )
    for person in people:
        opt_in_answer(round_=round_, member=person, answer="yes", now=START)
    return program, people, round_.pk


def _preview_groups(client, program: Program, round_id: int) -> set[frozenset[str]]:
    html = client.get(
        reverse("programs:round_grouping", args=[program.pk, round_id])
    ).content.decode()
    return {
        frozenset(name.strip() for name in names.split(","))
        for names in re.findall(r"<strong>Group \d+</strong>: ([^\n<]+)", html)
    }


def _emailed_groups(people: list[Member]) -> set[frozenset[str]]:
    """Who each match e-mail names as partners, read from the e-mails sent."""
    mail.outbox.clear()
    with time_machine.travel(MATCH_AT, tick=False):
        outbox_dispatch(now=MATCH_AT)
    by_email = {person.email: person.name for person in people}
    groups = set()
    for email in mail.outbox:
        recipient = re.search(r"<(.+)>", email.to[0]).group(1)
        partners = {by_email[address] for address in email.reply_to}
        groups.add(frozenset({by_email[recipient], *partners}))
    return groups


@pytest.mark.parametrize("size", [4, 7])
def test_the_preview_is_what_the_match_stores_and_sends(host, host_client, size):
    program, people, round_id = _round(host, size, history=[(0, 1), (2, 3)])
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        preview = _preview_groups(host_client, program, round_id)
    assert sum(len(group) for group in preview) == size
    round_match(round_id=round_id, now=MATCH_AT)
    stored = {
        frozenset(member.name for member in match.members.all())
        for match in Match.objects.filter(round_id=round_id).prefetch_related("members")
    }
    assert stored == preview
    assert _emailed_groups(people) == preview
    # Afterwards the same page shows what was sent.
    html = host_client.get(
        reverse("programs:round_grouping", args=[program.pk, round_id])
    ).content.decode()
    assert "What was sent" in html and "match e-mail sent" in html


def test_a_swap_is_what_the_match_emails_say(host, host_client):
    program, people, round_id = _round(host, 4)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        before = _preview_groups(host_client, program, round_id)
        first_group, second_group = sorted(before, key=sorted)
        a, b = sorted(first_group)[0], sorted(second_group)[0]
        ids = {person.name: person.pk for person in people}
        url = reverse("programs:round_grouping_swap", args=[program.pk, round_id])
        response = host_client.post(url, {"first": ids[a], "second": ids[b]}, follow=True)
        assert "Swapped. The grouping still keeps the no-repeat rule." in response.content.decode()
        after = _preview_groups(host_client, program, round_id)
    expected = {
        frozenset((first_group - {a}) | {b}),
        frozenset((second_group - {b}) | {a}),
    }
    assert after == expected
    round_match(round_id=round_id, now=MATCH_AT)
    assert _emailed_groups(people) == expected


def test_a_swap_that_regroups_people_who_met_says_it_breaks_the_rule(host, host_client):
    program, people, round_id = _round(host, 4, history=[(0, 1), (2, 3)])
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        groups = _preview_groups(host_client, program, round_id)
        # P00 met P01: swap P01 into P00's group.
        with_p00 = next(group for group in groups if "P00" in group)
        partner = next(name for name in with_p00 if name != "P00")
        url = reverse("programs:round_grouping_swap", args=[program.pk, round_id])
        response = host_client.post(
            url,
            {"first": people[1].pk, "second": Member.objects.get(program=program, name=partner).pk},
            follow=True,
        )
    html = response.content.decode()
    assert (
        "This breaks the no-repeat rule: P00 and P01; P02 and P03 met in an earlier round." in html
    )
    assert "Met before: P00 and P01" in html


def test_grouping_pages_are_for_the_programs_hosts_only(host, host_client, client):
    other_program, people, round_id = _round(host, 2)
    stranger = hosted_program()
    assert (
        host_client.get(
            reverse("programs:round_grouping", args=[stranger.pk, round_id])
        ).status_code
        == 404
    )
    outsider = RoundFactory(program=stranger)
    assert (
        host_client.get(
            reverse("programs:round_grouping", args=[stranger.pk, outsider.pk])
        ).status_code
        == 404
    )
    url = reverse("programs:round_grouping_swap", args=[other_program.pk, round_id])
    assert host_client.get(url).status_code == 405
    response = host_client.post(url, {"first": people[0].pk, "second": people[0].pk}, follow=True)
    assert "Choose two different people." in response.content.decode()
