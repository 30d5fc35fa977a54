"""Daily check-ins in the participant's zone, the progress view, reminders and the reflection."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from commitments.models import CheckIn, Commitment
from commitments.services import (
    REMINDER_KIND,
    CheckInClosed,
    checkin_record,
    commitment_set_reminder,
)
from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from tests.factories import CheckInFactory, CommitmentFactory
from tests.support.commitments import client_for_commitment

pytestmark = pytest.mark.django_db


def _commitment(*, starts_on: date, days: int = 7, zone: str = "America/New_York") -> Commitment:
    return CommitmentFactory(
        starts_on=starts_on,
        duration_days=days,
        ends_on=starts_on + timedelta(days=days - 1),
        time_zone=zone,
    )


@pytest.mark.parametrize(
    ("starts_on", "instants"),
    [
        # New York leaves daylight time at 02:00 on Sunday 1 November 2026 (UTC-4 → UTC-5).
        (
            date(2026, 10, 30),
            [
                ("2026-10-31T03:30", date(2026, 10, 30)),  # 23:30 EDT on the 30th
                ("2026-10-31T04:30", date(2026, 10, 31)),  # 00:30 EDT on the 31st
                ("2026-11-01T03:59", date(2026, 10, 31)),  # 23:59 EDT on the 31st
                ("2026-11-01T05:30", date(2026, 11, 1)),  # 01:30 EDT, first time round
                ("2026-11-01T06:30", date(2026, 11, 1)),  # 01:30 EST, the hour repeats
                ("2026-11-02T04:30", date(2026, 11, 1)),  # 23:30 EST on the 1st
                ("2026-11-02T05:00", date(2026, 11, 2)),  # midnight EST
            ],
        ),
        # … and enters it at 02:00 on Sunday 8 March 2026 (UTC-5 → UTC-4).
        (
            date(2026, 3, 7),
            [
                ("2026-03-08T04:59", date(2026, 3, 7)),  # 23:59 EST on the 7th
                ("2026-03-08T05:00", date(2026, 3, 8)),  # midnight EST
                ("2026-03-08T06:59", date(2026, 3, 8)),  # 01:59 EST, just before the gap
                ("2026-03-08T07:00", date(2026, 3, 8)),  # 03:00 EDT, just after
                ("2026-03-09T03:59", date(2026, 3, 8)),  # 23:59 EDT on the 8th
                ("2026-03-09T04:00", date(2026, 3, 9)),  # midnight EDT
            ],
        ),
    ],
    ids=["november", "march"],
)
def test_one_check_in_per_local_day_across_a_dst_change(
    starts_on: date, instants: list[tuple[str, date]]
) -> None:
    commitment = _commitment(starts_on=starts_on)
    for moment, expected_day in instants:
        now = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        checkin = checkin_record(
            commitment=commitment, is_done=True, rating=7, note=moment, now=now
        )
        assert checkin.day == expected_day, moment
    days = list(CheckIn.objects.filter(commitment=commitment).values_list("day", flat=True))
    expected_days = sorted({day for _, day in instants})
    assert sorted(days) == expected_days
    assert len(days) == len(set(days))
    # A second check-in on the same local day edited the first: the last note wins.
    last_note = {day: moment for moment, day in instants}
    for checkin in CheckIn.objects.filter(commitment=commitment):
        assert checkin.note == last_note[checkin.day]


def test_check_ins_outside_the_commitments_days_are_refused() -> None:
    commitment = _commitment(starts_on=date(2026, 5, 1), days=3)
    with pytest.raises(CheckInClosed):
        checkin_record(
            commitment=commitment,
            is_done=True,
            rating=None,
            note="",
            now=datetime(2026, 5, 4, 12, tzinfo=UTC),
        )
    assert not CheckIn.objects.exists()


def test_the_page_shows_days_left_the_row_of_days_and_the_streak() -> None:
    commitment = _commitment(starts_on=date(2026, 5, 1), days=10, zone="Europe/Berlin")
    for day, done in [(1, True), (2, False), (3, True), (4, True)]:
        CheckInFactory(commitment=commitment, day=date(2026, 5, day), is_done=done)
    client = client_for_commitment(commitment)
    with time_machine.travel(datetime(2026, 5, 5, 9, tzinfo=UTC), tick=False):
        page = client.get(f"/commitments/{commitment.pk}/").content.decode()
    assert '<strong data-testid="streak">2</strong> days streak' in page
    assert "<strong>3</strong> of 10 days done" in page
    assert "<strong>6</strong> days left" in page
    assert page.count('class="day done') == 3
    assert page.count('class="day missed') == 1
    assert page.count('class="day open today"') == 1
    assert "Today's check-in" in page
    assert 'id="reflection"' not in page


@pytest.mark.parametrize(
    ("today", "checked_in", "says"),
    [
        (date(2026, 4, 30), False, "<strong>7</strong> days left"),  # before the first day
        (date(2026, 5, 1), False, "<strong>7</strong> days left"),  # day 1, still to do
        (date(2026, 5, 1), True, "<strong>6</strong> days left"),  # day 1 of 7, checked in
        (date(2026, 5, 5), True, "<strong>2</strong> days left"),
        (date(2026, 5, 6), False, "<strong>2</strong> days left"),
        (date(2026, 5, 6), True, "<strong>1</strong> day left"),
        (date(2026, 5, 7), False, "<strong>Last day</strong>"),
        (date(2026, 5, 7), True, "<strong>Last day</strong>"),
        (date(2026, 5, 8), False, "<li>Finished</li>"),
    ],
)
def test_days_left_counts_the_days_still_to_check_in(
    today: date, checked_in: bool, says: str
) -> None:
    commitment = _commitment(starts_on=date(2026, 5, 1), days=7, zone="Europe/Berlin")
    if checked_in:
        CheckInFactory(commitment=commitment, day=today, is_done=True)
    client = client_for_commitment(commitment)
    with time_machine.travel(datetime.combine(today, time(10), tzinfo=UTC), tick=False):
        page = client.get(f"/commitments/{commitment.pk}/").content.decode()
    assert says in page
    assert page.count(" left</li>") + page.count("Last day") + page.count("Finished") >= 1


def test_checking_in_on_day_one_of_seven_leaves_six_days() -> None:
    commitment = _commitment(starts_on=date(2026, 5, 1), days=7, zone="Europe/Berlin")
    client = client_for_commitment(commitment)
    with time_machine.travel(datetime(2026, 5, 1, 18, tzinfo=UTC), tick=False):
        assert "<strong>7</strong> days left" in client.get(f"/commitments/{commitment.pk}/").text
        response = client.post(
            f"/commitments/{commitment.pk}/check-in/",
            {"is_done": "yes", "rating": "8", "note": ""},
            follow=True,
        )
    assert "<strong>6</strong> days left" in response.text
    assert "7 days left" not in response.text.replace("<strong>", "").replace("</strong>", "")


def test_checking_in_through_the_page_updates_the_streak() -> None:
    commitment = _commitment(starts_on=date(2026, 5, 1), zone="Europe/Berlin")
    CheckInFactory(commitment=commitment, day=date(2026, 5, 1), is_done=True)
    client = client_for_commitment(commitment)
    with time_machine.travel(datetime(2026, 5, 2, 9, tzinfo=UTC), tick=False):
        response = client.post(
            f"/commitments/{commitment.pk}/check-in/",
            {"is_done": "yes", "rating": "9", "note": "Felt good"},
            follow=True,
        )
    page = response.content.decode()
    assert "Checked in." in page
    assert '<strong data-testid="streak">2</strong> days streak' in page
    checkin = CheckIn.objects.get(day=date(2026, 5, 2))
    assert (checkin.is_done, checkin.rating, checkin.note) == (True, 9, "Felt good")


def test_a_bad_rating_is_explained_and_nothing_is_saved() -> None:
    commitment = _commitment(starts_on=date(2026, 5, 1))
    client = client_for_commitment(commitment)
    with time_machine.travel(datetime(2026, 5, 2, 15, tzinfo=UTC), tick=False):
        response = client.post(
            f"/commitments/{commitment.pk}/check-in/", {"is_done": "yes", "rating": "11"}
        )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_the_reflection_opens_on_the_last_day() -> None:
    commitment = _commitment(starts_on=date(2026, 5, 1), days=3, zone="Europe/Berlin")
    client = client_for_commitment(commitment)
    with time_machine.travel(datetime(2026, 5, 2, 9, tzinfo=UTC), tick=False):
        client.post(f"/commitments/{commitment.pk}/reflection/", {"reflection": "Too early"})
    commitment.refresh_from_db()
    assert commitment.reflection == ""
    with time_machine.travel(datetime(2026, 5, 3, 9, tzinfo=UTC), tick=False):
        page = client.get(f"/commitments/{commitment.pk}/").content.decode()
        assert 'id="reflection"' in page
        client.post(f"/commitments/{commitment.pk}/reflection/", {"reflection": "I learnt"})
    commitment.refresh_from_db()
    assert commitment.reflection == "I learnt"


def _pending_reminder_days(commitment: Commitment) -> list[str]:
    return sorted(
        message.payload["day"]
        for message in Message.objects.filter(
            topic=f"commitment:{commitment.pk}", kind=REMINDER_KIND, status=MessageStatus.PENDING
        )
    )


def test_the_daily_reminder_goes_out_at_the_local_time_except_on_checked_in_days() -> None:
    commitment = _commitment(starts_on=date(2026, 10, 30), days=4)
    now = datetime(2026, 10, 30, 12, tzinfo=UTC)  # 08:00 in New York
    commitment_set_reminder(commitment=commitment, reminder_time=time(20, 0), now=now)
    assert _pending_reminder_days(commitment) == [
        "2026-10-30",
        "2026-10-31",
        "2026-11-01",
        "2026-11-02",
    ]
    due = {
        m.payload["day"]: m.due_at
        for m in Message.objects.filter(kind=REMINDER_KIND, topic=f"commitment:{commitment.pk}")
    }
    # 20:00 local on both sides of the November change.
    assert due["2026-10-31"] == datetime(2026, 11, 1, 0, tzinfo=UTC)
    assert due["2026-11-01"] == datetime(2026, 11, 2, 1, tzinfo=UTC)

    # Checking in on the 30th cancels that day's reminder.
    checkin_record(commitment=commitment, is_done=True, rating=None, note="", now=now)
    assert "2026-10-30" not in _pending_reminder_days(commitment)

    # The 31st: checked in after the reminder was planned, but through the admin; the
    # renderer still skips it at send time.
    CheckInFactory(commitment=commitment, day=date(2026, 10, 31))
    with time_machine.travel(datetime(2026, 11, 1, 0, 1, tzinfo=UTC), tick=False):
        outbox_dispatch()
    assert mail.outbox == []
    with time_machine.travel(datetime(2026, 11, 2, 1, 1, tzinfo=UTC), tick=False):
        outbox_dispatch()
    assert len(mail.outbox) == 1
    assert "Day 3 of 4" in mail.outbox[0].subject
    assert "/commitments/link/" in mail.outbox[0].body


def test_changing_or_clearing_the_reminder_time_moves_or_cancels_the_planned_ones() -> None:
    commitment = _commitment(starts_on=date(2026, 6, 1), days=3, zone="Europe/Berlin")
    now = datetime(2026, 6, 1, 5, tzinfo=UTC)
    commitment_set_reminder(commitment=commitment, reminder_time=time(8, 0), now=now)
    commitment_set_reminder(commitment=commitment, reminder_time=time(6, 30), now=now)
    # 06:30 today has passed (it is 07:00 in Berlin): today's reminder is no longer wanted …
    first = Message.objects.get(kind=REMINDER_KIND, payload__day="2026-06-01")
    assert first.status == MessageStatus.CANCELLED
    # … and the later ones moved to the new time.
    second = Message.objects.get(kind=REMINDER_KIND, payload__day="2026-06-02")
    assert second.due_at == datetime(2026, 6, 2, 4, 30, tzinfo=UTC)
    assert _pending_reminder_days(commitment) == ["2026-06-02", "2026-06-03"]
    commitment_set_reminder(commitment=commitment, reminder_time=None, now=now)
    assert _pending_reminder_days(commitment) == []


def test_setting_the_reminder_on_the_page() -> None:
    commitment = _commitment(starts_on=date(2026, 6, 1), days=3, zone="Europe/Berlin")
    client = client_for_commitment(commitment)
    with time_machine.travel(datetime(2026, 6, 1, 5, tzinfo=UTC), tick=False):
        page = client.post(
            f"/commitments/{commitment.pk}/reminder/", {"reminder_time": "21:15"}, follow=True
        ).content.decode()
        assert "We will remind you each day at 21:15 (Europe/Berlin)" in page
        bad = client.post(f"/commitments/{commitment.pk}/reminder/", {"reminder_time": "25:99"})
        assert bad.status_code == 400
        assert "Enter a valid time" in bad.content.decode()
    assert _pending_reminder_days(commitment) == ["2026-06-01", "2026-06-02", "2026-06-03"]


def test_a_browser_without_the_personal_link_cannot_check_in() -> None:
    commitment = _commitment(starts_on=date(2026, 5, 1))
    with time_machine.travel(datetime(2026, 5, 2, 15, tzinfo=UTC), tick=False):
        response = Client().post(f"/commitments/{commitment.pk}/check-in/", {"is_done": "yes"})
    assert response.status_code == 404
    assert "personal link" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_the_history_shows_each_past_days_answers_escaped() -> None:
    commitment = _commitment(starts_on=date(2026, 5, 1), zone="Europe/Berlin")
    CheckInFactory(
        commitment=commitment,
        day=date(2026, 5, 1),
        is_done=True,
        rating=8,
        note="Walked <b>far</b>\nand slept well",
    )
    CheckInFactory(commitment=commitment, day=date(2026, 5, 2), is_done=False, note="Rain")
    client = client_for_commitment(commitment)
    with time_machine.travel(datetime(2026, 5, 3, 9, tzinfo=UTC), tick=False):
        page = client.get(f"/commitments/{commitment.pk}/").content.decode()
    history = page[page.index('id="history"') :]
    # The latest day first, each with its answers.
    assert history.index("Day 2") < history.index("Day 1")
    assert "✗ Not that day" in history and "Rain" in history
    assert "✓ Yes, done" in history
    assert "<dd>8 of 10</dd>" in history
    assert "Walked &lt;b&gt;far&lt;/b&gt;<br>and slept well" in history
    assert "<b>far</b>" not in page


def _page_queries(commitment: Commitment, *, checkin_count: int) -> int:
    CheckIn.objects.bulk_create(
        [
            CheckIn(
                commitment=commitment,
                day=commitment.starts_on + timedelta(days=offset),
                is_done=offset % 3 != 0,
                rating=offset % 10 + 1,
                note=f"Note of day {offset + 1}",
                created_at=datetime(2026, 5, 1, tzinfo=UTC),
                updated_at=datetime(2026, 5, 1, tzinfo=UTC),
            )
            for offset in range(checkin_count)
        ]
    )
    client = client_for_commitment(commitment)
    with (
        time_machine.travel(datetime(2026, 5, 25, 9, tzinfo=UTC), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        page = client.get(f"/commitments/{commitment.pk}/").content.decode()
    assert page.count("<dt>Note</dt>") == checkin_count
    assert f"Note of day {checkin_count}" in page
    return len(queries)


def test_the_history_costs_the_same_queries_for_2_or_20_check_ins() -> None:
    few = _page_queries(_commitment(starts_on=date(2026, 5, 1), days=30), checkin_count=2)
    many = _page_queries(_commitment(starts_on=date(2026, 5, 1), days=30), checkin_count=20)
    assert few == many
