"""Rounds over time: opt-in and match messages at their moments, recurrence, reschedule, cancel."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import formataddr
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from programs.models import Match, OptIn, RoundState
from programs.rounds import (
    RoundError,
    local_plus_weeks,
    opt_in_answer,
    round_cancel,
    round_match,
    round_reschedule,
    round_schedule,
    rounds_advance,
)
from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from tests.factories import MemberFactory, ProgramFactory
from tests.support.concurrency import run_at_once

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


def _program(members: int = 4, **fields):
    program = ProgramFactory(**fields)
    people = [
        MemberFactory(program=program, name=f"Person {i}", email=f"p{i}@example.org")
        for i in range(members)
    ]
    return program, people


def _round(program, *, opt_in_at, match_at, time_zone: str = "UTC", **fields):
    """A round scheduled at START (UTC unless said otherwise)."""
    return round_schedule(
        program=program,
        opt_in_at=opt_in_at,
        match_at=match_at,
        time_zone=time_zone,
        now=START,
        **fields,
    )


def _emails_to(address: str) -> list:
    return [email for email in mail.outbox if any(address in to for to in email.to)]


def _tick(moment: datetime) -> None:
    """What beat does every few seconds: advance rounds, then dispatch the outbox."""
    with time_machine.travel(moment, tick=False):
        rounds_advance(now=moment)
        outbox_dispatch(now=moment)


def test_opt_in_and_match_messages_go_out_at_their_moments() -> None:
    program, people = _program(4)
    with time_machine.travel(START, tick=False):
        round_ = _round(
            program,
            opt_in_at=START + timedelta(days=1),
            match_at=START + timedelta(days=3),
            time_zone="Europe/Berlin",
        )
    _tick(START + timedelta(hours=23, minutes=59))
    assert mail.outbox == []

    _tick(START + timedelta(days=1))
    round_.refresh_from_db()
    assert round_.state == RoundState.OPEN
    assert sorted(email.to[0] for email in mail.outbox) == sorted(
        formataddr((p.name, p.email)) for p in people
    )
    opt_in = _emails_to("p0@example.org")[0]
    assert "would you like to be matched" in opt_in.subject
    assert "/answer/" in opt_in.body and "/membership/" in opt_in.body

    for person in people[:3]:
        opt_in_answer(round_=round_, member=person, answer="yes", now=START + timedelta(days=2))
    opt_in_answer(round_=round_, member=people[3], answer="no", now=START + timedelta(days=2))
    mail.outbox = []
    _tick(START + timedelta(days=3) - timedelta(seconds=1))
    assert mail.outbox == []

    _tick(START + timedelta(days=3))
    round_.refresh_from_db()
    assert round_.state == RoundState.MATCHED
    groups = list(Match.objects.filter(round=round_))
    assert len(groups) == 1  # three who said yes: one trio
    assert sorted(m.email for m in groups[0].members.all()) == [
        "p0@example.org",
        "p1@example.org",
        "p2@example.org",
    ]
    assert sorted(email.to[0].split("<")[1] for email in mail.outbox) == [
        "p0@example.org>",
        "p1@example.org>",
        "p2@example.org>",
    ]
    introduction = _emails_to("p0@example.org")[0]
    assert "Person 1" in introduction.body and "Person 2" in introduction.body
    assert sorted(introduction.reply_to) == ["p1@example.org", "p2@example.org"]
    assert _emails_to("p3@example.org") == []


def test_with_opt_in_off_every_active_member_is_matched_in_pairs() -> None:
    program, people = _program(5, is_opt_in_enabled=False)
    people[4].status = "paused"
    people[4].save()
    with time_machine.travel(START, tick=False):
        round_ = _round(program, opt_in_at=START, match_at=START + timedelta(hours=2))
    assert round_.opt_in_at is None
    _tick(START + timedelta(hours=2))
    assert sorted(len(m.members.all()) for m in Match.objects.filter(round=round_)) == [2, 2]
    assert len(mail.outbox) == 4
    assert all("meet" in email.subject for email in mail.outbox)


def test_opt_in_now_sends_at_once() -> None:
    program, _ = _program(2)
    with time_machine.travel(START, tick=False):
        round_ = _round(program, opt_in_at=START, match_at=START + timedelta(days=1))
        assert round_.state == RoundState.OPEN
        outbox_dispatch(now=START)
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("first_match_local", "zone"),
    [
        (datetime(2026, 3, 23, 9, 0), "Europe/Berlin"),  # DST starts 29 March in Europe
        (datetime(2026, 10, 19, 9, 0), "Europe/Berlin"),  # DST ends 25 October
        (datetime(2026, 3, 2, 18, 30), "America/New_York"),  # DST starts 8 March in the US
    ],
)
def test_a_weekly_round_keeps_its_local_time_across_a_dst_change(
    first_match_local: datetime, zone: str
) -> None:
    program, _ = _program(2, is_opt_in_enabled=False)
    tz = ZoneInfo(zone)
    match_at = first_match_local.replace(tzinfo=tz).astimezone(UTC)
    now = match_at - timedelta(days=1)
    round_ = round_schedule(
        program=program,
        opt_in_at=None,
        match_at=match_at,
        time_zone=zone,
        recurrence_weeks=1,
        now=now,
    )
    local_times = []
    offsets = {round_.match_at.astimezone(tz).utcoffset()}
    current = round_
    for _ in range(3):
        result = round_match(round_id=current.pk, now=current.match_at)
        assert result is not None
        current = result.next_round
        local = current.match_at.astimezone(tz)
        local_times.append((local.weekday(), local.hour, local.minute))
        offsets.add(local.utcoffset())
    assert set(local_times) == {
        (first_match_local.weekday(), first_match_local.hour, first_match_local.minute)
    }
    assert len(offsets) == 2  # the UTC instant moved with the change, the wall clock did not


def test_every_two_weeks_keeps_the_gap_and_the_opt_in_offset() -> None:
    program, _ = _program(2)
    round_ = _round(
        program,
        opt_in_at=START + timedelta(days=1),
        match_at=START + timedelta(days=3),
        time_zone="Europe/Berlin",
        recurrence_weeks=2,
    )
    result = round_match(round_id=round_.pk, now=round_.match_at)
    following = result.next_round
    assert following.match_at == START + timedelta(days=17)
    assert following.opt_in_at == START + timedelta(days=15)
    assert following.previous_round == round_
    assert round_match(round_id=round_.pk, now=round_.match_at) is None


def test_local_plus_weeks_resolves_a_skipped_hour_forwards() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026.
    before = datetime(2026, 3, 22, 2, 30, tzinfo=BERLIN).astimezone(UTC)
    after = local_plus_weeks(instant=before, time_zone="Europe/Berlin", weeks=1)
    assert after.astimezone(BERLIN).hour == 3


def test_rescheduling_the_match_moves_it() -> None:
    program, people = _program(2)
    round_ = _round(program, opt_in_at=START, match_at=START + timedelta(days=2))
    for person in people:
        opt_in_answer(round_=round_, member=person, answer="yes", now=START)
    round_reschedule(
        round_=round_,
        match_at=START + timedelta(days=4),
        opt_in_at=round_.opt_in_at,
        now=START + timedelta(hours=1),
    )
    pending = Message.objects.filter(topic=round_.topic, kind="opt_in", status="pending")
    assert {m.expires_at for m in pending} == {START + timedelta(days=4)}
    _tick(START + timedelta(days=2))
    round_.refresh_from_db()
    assert round_.state == RoundState.OPEN
    assert not Message.objects.filter(topic=round_.topic, kind="match").exists()
    _tick(START + timedelta(days=4))
    round_.refresh_from_db()
    assert round_.state == RoundState.MATCHED
    assert round_.sequence == 1


def test_the_opt_in_moment_cannot_move_once_it_went_out() -> None:
    program, _ = _program(2)
    round_ = _round(program, opt_in_at=START, match_at=START + timedelta(days=2))
    with pytest.raises(RoundError, match="went out already"):
        round_reschedule(
            round_=round_,
            match_at=round_.match_at,
            opt_in_at=START + timedelta(days=1),
            now=START,
        )


def test_rescheduling_a_pending_opt_in_moves_it() -> None:
    program, _ = _program(2)
    round_ = _round(
        program, opt_in_at=START + timedelta(days=1), match_at=START + timedelta(days=3)
    )
    round_reschedule(
        round_=round_,
        opt_in_at=START + timedelta(days=2),
        match_at=START + timedelta(days=3),
        now=START,
    )
    _tick(START + timedelta(days=1))
    assert mail.outbox == []
    _tick(START + timedelta(days=2))
    assert len(mail.outbox) == 2


def test_cancelling_sends_nothing() -> None:
    program, _ = _program(3)
    round_ = _round(
        program,
        opt_in_at=START + timedelta(days=1),
        match_at=START + timedelta(days=3),
        recurrence_weeks=1,
    )
    round_cancel(round_=round_, now=START)
    for day in range(1, 5):
        _tick(START + timedelta(days=day))
    assert mail.outbox == []
    round_.refresh_from_db()
    assert round_.state == RoundState.CANCELLED
    assert not Match.objects.exists()
    assert not hasattr(round_, "next_round") or round_.next_round is None


def test_cancelling_an_open_round_stops_its_unsent_opt_ins() -> None:
    program, _ = _program(3)
    round_ = _round(program, opt_in_at=START, match_at=START + timedelta(days=3))
    round_cancel(round_=round_, now=START)
    _tick(START + timedelta(minutes=1))
    assert mail.outbox == []
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.CANCELLED}


def test_members_who_pause_after_saying_yes_are_not_matched() -> None:
    program, people = _program(3)
    round_ = _round(program, opt_in_at=START, match_at=START + timedelta(days=1))
    for person in people:
        opt_in_answer(round_=round_, member=person, answer="yes", now=START)
    people[2].status = "paused"
    people[2].save()
    result = round_match(round_id=round_.pk, now=START + timedelta(days=1))
    assert result.groups == [sorted([people[0].pk, people[1].pk])]


def test_a_lone_member_is_told_there_was_no_match() -> None:
    program, _ = _program(1, is_opt_in_enabled=False)
    round_ = _round(program, opt_in_at=None, match_at=START + timedelta(days=1))
    _tick(START + timedelta(days=1))
    assert not Match.objects.filter(round=round_).exists()
    assert [email.subject for email in mail.outbox] == [f"{program.name}: no match this round"]


def test_later_rounds_avoid_pairs_who_met_before() -> None:
    program, _ = _program(4, is_opt_in_enabled=False)
    round_ = _round(
        program, opt_in_at=None, match_at=START + timedelta(hours=1), recurrence_weeks=1
    )
    seen: set[frozenset[int]] = set()
    current = round_
    for _ in range(3):  # four people can meet in three repeat-free rounds
        result = round_match(round_id=current.pk, now=current.match_at)
        pairs = {frozenset(group) for group in result.groups}
        assert not pairs & seen
        seen |= pairs
        current = result.next_round
    assert len(seen) == 6


def test_an_opt_in_link_message_to_a_member_who_left_is_not_sent() -> None:
    program, people = _program(2)
    round_ = _round(program, opt_in_at=START, match_at=START + timedelta(days=1))
    people[0].status = "left"
    people[0].save()
    _tick(START)
    assert [email.to[0] for email in mail.outbox] == [formataddr((people[1].name, people[1].email))]
    assert round_.state == RoundState.OPEN


def test_answers_are_refused_once_the_round_is_matched() -> None:
    program, people = _program(2)
    round_ = _round(program, opt_in_at=START, match_at=START + timedelta(days=1))
    round_match(round_id=round_.pk, now=START + timedelta(days=1))
    outcome = opt_in_answer(round_=round_, member=people[0], answer="yes", now=START)
    assert not outcome.recorded
    assert not OptIn.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_to_match_a_round_match_it_once(requires_postgres: None) -> None:
    program, _ = _program(10, is_opt_in_enabled=False)
    round_ = _round(
        program, opt_in_at=None, match_at=START + timedelta(hours=1), recurrence_weeks=1
    )
    outcomes = run_at_once(lambda _: rounds_advance(now=START + timedelta(hours=1)), range(2))
    assert [error for error in outcomes if isinstance(error, Exception)] == []
    assert sorted(len(outcome.matched) for outcome in outcomes) == [0, 1]
    assert Match.objects.filter(round=round_).count() == 5
    assert Message.objects.filter(topic=round_.topic, kind="match").count() == 10
    assert round_.__class__.objects.filter(previous_round=round_).count() == 1
    outbox_dispatch(now=START + timedelta(hours=1))
    outbox_dispatch(now=START + timedelta(hours=1))
    assert len(mail.outbox) == 10
    assert len({email.to[0] for email in mail.outbox}) == 10
    assert all(re.search(r"meet ", email.subject) for email in mail.outbox)


def test_beat_runs_the_advance_task_which_matches_due_rounds(settings) -> None:
    from programs.tasks import advance_rounds

    entry = settings.CELERY_BEAT_SCHEDULE["rounds-advance"]
    assert entry["task"] == "programs.tasks.advance_rounds"
    assert entry["schedule"].total_seconds() == settings.ROUNDS_ADVANCE_INTERVAL_SECONDS
    program, _ = _program(2, is_opt_in_enabled=False)
    round_ = _round(program, opt_in_at=None, match_at=START + timedelta(minutes=5))
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        assert advance_rounds() == 1
        assert advance_rounds() == 0
    round_.refresh_from_db()
    assert round_.state == RoundState.MATCHED


def test_a_member_added_while_a_round_is_open_is_asked_too() -> None:
    from programs.members import member_create, member_set_status

    program, people = _program(2)
    _round(program, opt_in_at=START, match_at=START + timedelta(days=2))
    _tick(START)
    assert len(mail.outbox) == 2
    late = member_create(
        program=program, name="Late Comer", email="late@example.org", now=START + timedelta(hours=1)
    )
    paused_before_sending = member_create(
        program=program,
        name="Quick Pause",
        email="quick@example.org",
        now=START + timedelta(hours=1),
    )
    member_set_status(member=paused_before_sending, status="paused", now=START + timedelta(hours=1))
    _tick(START + timedelta(hours=1))
    assert [email.to[0] for email in mail.outbox[2:]] == [f"Late Comer <{late.email}>"]
    assert len(people) == 2
