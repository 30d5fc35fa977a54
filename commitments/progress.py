"""Pure calculations on a commitment's days: today, days left, the row of days, the streak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from commitments.models import CheckIn, Commitment


@dataclass(frozen=True)
class Day:
    day: date
    number: int
    # "done", "missed" (checked in: not done), "open" (no check-in), "future", or "ended"
    # (after the day the participant ended the commitment early).
    state: str
    is_today: bool
    rating: int | None
    checkin: CheckIn | None  # with its answers (done, rating, note), for the history


@dataclass(frozen=True)
class Progress:
    today: date
    days: list[Day]
    done_count: int
    # The days still to check in: the days after today up to the last, and today while it
    # has no check-in (day 1 of 7: 7 before checking in, 6 after); 0 once it has ended.
    days_left: int
    streak: int
    has_started: bool
    has_ended: bool  # the last day has passed, or the participant ended it early
    is_last_day: bool
    ended_early_on: date | None

    @property
    def total(self) -> int:
        return len(self.days)

    @property
    def history(self) -> list[Day]:
        """The days checked in, the latest first."""
        return [day for day in reversed(self.days) if day.checkin is not None]


def commitment_progress(
    *, commitment: Commitment, checkins: list[CheckIn], now: datetime
) -> Progress:
    today = commitment.today(now=now)
    ended_early_on = commitment.ended_early_on
    by_day = {checkin.day: checkin for checkin in checkins}
    days: list[Day] = []
    for offset in range(commitment.duration_days):
        day = commitment.starts_on + timedelta(days=offset)
        checkin = by_day.get(day)
        if ended_early_on is not None and day > ended_early_on:
            state = "ended"
        elif day > today:
            state = "future"
        elif checkin is None:
            state = "open"
        else:
            state = "done" if checkin.is_done else "missed"
        days.append(
            Day(
                day=day,
                number=offset + 1,
                state=state,
                is_today=day == today,
                rating=checkin.rating if checkin else None,
                checkin=checkin,
            )
        )
    return Progress(
        today=today,
        days=days,
        done_count=sum(1 for day in days if day.state == "done"),
        days_left=_days_left(commitment=commitment, today=today, is_checked_in=today in by_day),
        streak=streak_length(done_days={c.day for c in checkins if c.is_done}, today=today),
        has_started=today >= commitment.starts_on,
        has_ended=today > commitment.ends_on or ended_early_on is not None,
        is_last_day=today == commitment.ends_on,
        ended_early_on=ended_early_on,
    )


def _days_left(*, commitment: Commitment, today: date, is_checked_in: bool) -> int:
    if today > commitment.ends_on or commitment.ended_early_on is not None:
        return 0
    if today < commitment.starts_on:
        return commitment.duration_days
    return (commitment.ends_on - today).days + (0 if is_checked_in else 1)


def streak_length(*, done_days: set[date], today: date) -> int:
    """Consecutive done days ending today, or yesterday while today is still open."""
    day = today if today in done_days else today - timedelta(days=1)
    length = 0
    while day in done_days:
        length += 1
        day -= timedelta(days=1)
    return length
