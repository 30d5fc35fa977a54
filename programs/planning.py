"""Planning views' data: rounds plus whatever other apps register, grouped into calendar days.

`programs` cannot import the apps built on it (sessions_app and others), so they contribute
their entries through the `programs.signals.planning_entries_wanted` signal: in
`AppConfig.ready()` an app connects a receiver that, given `program_ids=…, start=…, end=…`,
returns `PlanningEntry`s for those programs with `start <= starts_at < end` in a constant number
of queries (one `select_related` query is the usual answer). The planning pages render
rounds and every registered source, so their query count does not grow with the rows.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Q
from django.urls import reverse

from programs import signals
from programs.models import Round, RoundState
from programs.rounds import series_occurrence


@dataclass(frozen=True)
class PlanningEntry:
    starts_at: datetime
    title: str
    kind: str  # "round", "session", …: also the CSS modifier
    url: str
    program_id: int
    program_name: str
    state: str = ""
    detail: str = ""
    is_cancelled: bool = False
    # Not made yet: an occurrence of a recurring series as it will be planned.
    is_coming: bool = False
    # The entry's own zone, shown beside the page's when they differ.
    time_zone: str = ""


class PlanningSource(Protocol):
    def __call__(
        self, *, program_ids: Sequence[int], start: datetime, end: datetime
    ) -> list[PlanningEntry]: ...


# How far ahead a recurring series is shown beyond its next round (at least eight weeks).
SERIES_HORIZON = timedelta(weeks=12)


def _round_url(round_: Round) -> str:
    return reverse(
        "programs:round_detail", kwargs={"program_id": round_.program_id, "round_id": round_.pk}
    )


def _round_entries(round_: Round, *, start: datetime, end: datetime) -> list[PlanningEntry]:
    entries = []
    common: dict[str, Any] = {
        "url": _round_url(round_),
        "program_id": round_.program_id,
        "program_name": round_.program.name,
        "state": round_.get_state_display(),
        "is_cancelled": round_.state == RoundState.CANCELLED,
        "time_zone": round_.time_zone,
    }
    if start <= round_.match_at < end:
        entries.append(
            PlanningEntry(
                starts_at=round_.match_at,
                title=f"Matching round of {round_.program.name}",
                kind="round",
                detail=round_.get_recurrence_weeks_display(),
                **common,
            )
        )
    if round_.opt_in_at is not None and start <= round_.opt_in_at < end:
        entries.append(
            PlanningEntry(
                starts_at=round_.opt_in_at,
                title=f"Opt-in e-mails of {round_.program.name}",
                kind="opt-in",
                detail="members are asked Yes/No",
                **common,
            )
        )
    return entries


def _series_firsts(tails: list[Round]) -> dict[int, Round]:
    """{tail round id: the first round of its series}, in two queries for any number of series."""
    if not tails:
        return {}
    table = Round._meta.db_table
    placeholders = ", ".join(["%s"] * len(tails))
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE chain(tail_id, id, previous_id) AS ("  # noqa: S608
            f"SELECT id, id, previous_round_id FROM {table} WHERE id IN ({placeholders}) "
            f"UNION ALL SELECT chain.tail_id, r.id, r.previous_round_id FROM {table} AS r "
            "JOIN chain ON r.id = chain.previous_id) "
            "SELECT tail_id, id FROM chain WHERE previous_id IS NULL",
            [tail.pk for tail in tails],
        )
        first_of = dict(cursor.fetchall())
    firsts = Round.objects.in_bulk(set(first_of.values()))
    return {tail_id: firsts[first_id] for tail_id, first_id in first_of.items()}


def _coming_occurrences(
    tails: list[Round], *, start: datetime, end: datetime
) -> list[PlanningEntry]:
    """The occurrences after the last round made of each recurring series, as they will be.

    Computed as the series will compute them (`series_occurrence`, from its first local time),
    up to SERIES_HORIZON after the series' last round.
    """
    entries = []
    firsts = _series_firsts(tails)
    for tail in tails:
        first = firsts.get(tail.pk, tail)
        weeks = tail.recurrence_weeks
        period = timedelta(weeks=weeks)
        index = round((tail.match_at - first.match_at) / period)
        horizon = min(end, tail.match_at + SERIES_HORIZON)
        while True:
            index += 1
            match_at = series_occurrence(
                first=first.match_at, time_zone=tail.time_zone, weeks=weeks, index=index
            )
            if match_at >= horizon:
                break
            # As `programs.rounds._create_next_round` will plan it.
            if tail.opt_in_at is None:
                opt_in_at = None
            elif first.opt_in_at is not None:
                opt_in_at = series_occurrence(
                    first=first.opt_in_at, time_zone=tail.time_zone, weeks=weeks, index=index
                )
            else:
                opt_in_at = match_at - (tail.match_at - tail.opt_in_at)
            coming = Round(
                pk=tail.pk,
                program=tail.program,
                match_at=match_at,
                opt_in_at=opt_in_at,
                recurrence_weeks=weeks,
                state=RoundState.SCHEDULED,
            )
            for entry in _round_entries(coming, start=start, end=end):
                entries.append(dataclasses.replace(entry, is_coming=True, state="Coming (repeats)"))
    return entries


def rounds_planning_source(
    *, program_ids: Sequence[int], start: datetime, end: datetime
) -> list[PlanningEntry]:
    """Rounds and their opt-in moments in the period, and the coming occurrences of series."""
    rounds = list(
        Round.objects.filter(program_id__in=program_ids)
        .filter(
            Q(match_at__gte=start, match_at__lt=end) | Q(opt_in_at__gte=start, opt_in_at__lt=end)
        )
        .select_related("program")
        .order_by("match_at", "id")
    )
    entries = [entry for round_ in rounds for entry in _round_entries(round_, start=start, end=end)]
    # The last round made of each recurring series that goes on (it has no successor yet).
    tails = list(
        Round.objects.filter(
            program_id__in=program_ids,
            recurrence_weeks__gt=0,
            next_round__isnull=True,
            match_at__lt=end,
            match_at__gte=start - SERIES_HORIZON,
        )
        .exclude(state=RoundState.CANCELLED)
        .select_related("program")
    )
    return entries + _coming_occurrences(tails, start=start, end=end)


def planning_entries(
    *, program_ids: Sequence[int], start: datetime, end: datetime
) -> list[PlanningEntry]:
    entries = rounds_planning_source(program_ids=program_ids, start=start, end=end)
    for _receiver, contributed in signals.planning_entries_wanted.send(
        sender=PlanningEntry, program_ids=program_ids, start=start, end=end
    ):
        entries.extend(cast(list[PlanningEntry], contributed))
    return sorted(entries, key=lambda entry: (entry.starts_at, entry.kind, entry.title))


VIEWS = ("month", "week", "list")


@dataclass
class PlanningDay:
    day: date
    in_range: bool
    is_today: bool
    entries: list[PlanningEntry] = field(default_factory=list)


@dataclass
class PlanningPeriod:
    view: str
    anchor: date
    first: date  # first day shown
    last: date  # day after the last day shown
    title: str
    previous: date
    following: date

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as UTC instants: local midnight to local midnight in `zone`."""
        start = datetime.combine(self.first, time.min, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(self.last, time.min, tzinfo=zone).astimezone(UTC)
        return start, end


def _add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def planning_period(*, view: str, anchor: date) -> PlanningPeriod:
    """The days a view shows around `anchor`: a month grid (whole weeks), a week, or a quarter."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return PlanningPeriod(
            view=view,
            anchor=anchor,
            first=first,
            last=first + timedelta(days=7),
            title=f"Week of {first:%-d %B %Y}",
            previous=first - timedelta(days=7),
            following=first + timedelta(days=7),
        )
    month_start = anchor.replace(day=1)
    if view == "list":
        return PlanningPeriod(
            view=view,
            anchor=anchor,
            first=month_start,
            last=_add_months(month_start, 3),
            title=f"{month_start:%B %Y} to {_add_months(month_start, 2):%B %Y}",
            previous=_add_months(month_start, -1),
            following=_add_months(month_start, 1),
        )
    month_end = _add_months(month_start, 1)
    first = month_start - timedelta(days=month_start.weekday())
    last = month_end + timedelta(days=(7 - month_end.weekday()) % 7)
    return PlanningPeriod(
        view="month",
        anchor=anchor,
        first=first,
        last=last,
        title=f"{month_start:%B %Y}",
        previous=_add_months(month_start, -1),
        following=month_end,
    )


def planning_days(
    *, period: PlanningPeriod, entries: list[PlanningEntry], zone: ZoneInfo, today: date
) -> list[PlanningDay]:
    """Every day of the period with its entries, by their local date in `zone`."""
    by_day: dict[date, list[PlanningEntry]] = defaultdict(list)
    for entry in entries:
        by_day[entry.starts_at.astimezone(zone).date()].append(entry)
    days = []
    day = period.first
    anchor_month = (period.anchor.year, period.anchor.month)
    while day < period.last:
        in_range = period.view != "month" or (day.year, day.month) == anchor_month
        days.append(
            PlanningDay(day=day, in_range=in_range, is_today=day == today, entries=by_day[day])
        )
        day += timedelta(days=1)
    return days


def weeks_of(days: list[PlanningDay]) -> list[list[PlanningDay]]:
    return [days[i : i + 7] for i in range(0, len(days), 7)]


WEEKDAY_NAMES = list(calendar.day_abbr)
