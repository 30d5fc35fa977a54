"""The round e-mails: loaded per batch, so sending them costs no query per message."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from email.utils import formataddr

import pytest
import time_machine
from django.apps import apps
from django.core import mail

from programs.models import Member, Program
from programs.rounds import MATCH_KIND, OPT_IN_KIND, opt_in_answer, round_match, round_schedule
from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from tests.factories import MemberFactory, ProgramFactory
from tests.support.dispatching import dispatch_counting

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MATCH_AT = START + timedelta(days=2)

migration = importlib.import_module(
    "programs.migrations.0004_round_messages_about_members_and_groups"
)


def _open_round(size: int, **program_fields: str) -> tuple[Program, list[Member], int]:
    program = ProgramFactory(**program_fields)
    people = [
        MemberFactory(program=program, name=f"P{i:02}", email=f"p{i}@example.org")
        for i in range(size)
    ]
    round_ = round_schedule(
        program=program, opt_in_at=START, match_at=MATCH_AT, time_zone="Europe/Berlin", now=START
    )
    return program, people, round_.pk


def _queries_to_send(size: int, **program_fields: str) -> tuple[int, int]:
    """Queries to dispatch the opt-in e-mails, then the match e-mails, of a round of `size`."""
    _, people, round_id = _open_round(size, **program_fields)
    sent, opt_in_queries = dispatch_counting(START)
    assert sent == size
    round_ = people[0].program.rounds.get(pk=round_id)
    for person in people:
        opt_in_answer(round_=round_, member=person, answer="yes", now=START)
    round_match(round_id=round_id, now=MATCH_AT)
    sent, match_queries = dispatch_counting(MATCH_AT)
    assert sent == size
    return opt_in_queries, match_queries


@pytest.mark.parametrize(
    "program_fields", [{}, {"brand_name": "Habit Lab", "brand_colour": "#7c2d12"}]
)
def test_sending_opt_in_and_match_emails_costs_no_query_per_message(program_fields) -> None:
    few = _queries_to_send(4, **program_fields)
    many = _queries_to_send(40, **program_fields)
    assert few == many


def test_the_match_email_names_the_partners_and_the_lone_member_hears_too() -> None:
    _, people, round_id = _open_round(3)
    outbox_dispatch(now=START)
    round_ = people[0].program.rounds.get(pk=round_id)
    for person in people[:2]:
        opt_in_answer(round_=round_, member=person, answer="yes", now=START)
    opt_in_answer(round_=round_, member=people[2], answer="no", now=START)
    round_match(round_id=round_id, now=MATCH_AT)
    mail.outbox.clear()
    with time_machine.travel(MATCH_AT, tick=False):
        outbox_dispatch(now=MATCH_AT)
    by_recipient = {email.to[0]: email for email in mail.outbox}
    first = by_recipient[f"P00 <{people[0].email}>"]
    assert "matched you with" in first.body and people[1].email in first.body
    assert first.reply_to == [people[1].email]
    assert len(by_recipient) == 2


def test_messages_planned_about_the_round_before_still_go_out() -> None:
    """Rows planned when round e-mails were about the round are moved by the migration."""
    _, people, round_id = _open_round(3)
    migration.backwards(apps, None)  # what such rows looked like
    old = Message.objects.filter(kind=OPT_IN_KIND).first()
    assert old.about.pk == round_id and old.payload == {"member_id": old.payload["member_id"]}
    migration.forwards(apps, None)
    sent, _ = dispatch_counting(START)
    assert sent == 3
    assert {email.to[0] for email in mail.outbox} == {formataddr((p.name, p.email)) for p in people}
    assert all("/answer/" in email.body for email in mail.outbox)

    round_ = people[0].program.rounds.get(pk=round_id)
    for person in people:
        opt_in_answer(round_=round_, member=person, answer="yes", now=START)
    round_match(round_id=round_id, now=MATCH_AT)
    migration.backwards(apps, None)
    assert Message.objects.filter(kind=MATCH_KIND, content_type__model="round").count() == 3
    migration.forwards(apps, None)
    mail.outbox.clear()
    sent, _ = dispatch_counting(MATCH_AT)
    assert sent == 3
    assert all("matched you with" in email.body for email in mail.outbox)
    assert not Message.objects.exclude(status=MessageStatus.SENT).exists()


@pytest.mark.parametrize(
    ("member_zone", "expected"),
    [
        ("Asia/Kolkata", "Wednesday 4 March 2026, 13:30 Kolkata time · 09:00 in Berlin"),
        ("America/New_York", "Wednesday 4 March 2026, 03:00 New York time · 09:00 in Berlin"),
        # A member without a zone reads the round's.
        ("", "Wednesday 4 March 2026, 09:00 Berlin time"),
    ],
)
def test_the_opt_in_email_gives_the_match_moment_in_the_members_zone(
    member_zone: str, expected: str
) -> None:
    program = ProgramFactory()
    MemberFactory(program=program, email="ravi@example.org", time_zone=member_zone)
    round_schedule(
        program=program, opt_in_at=START, match_at=MATCH_AT, time_zone="Europe/Berlin", now=START
    )
    with time_machine.travel(START, tick=False):
        outbox_dispatch(now=START)

    (email,) = mail.outbox
    html = email.alternatives[0][0]
    assert f"is matching members on {expected}." in email.body
    assert expected in html
