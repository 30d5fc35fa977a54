"""Planning views' data: rounds plus whatever other apps register, grouped into calendar days.

`programs` cannot import the apps built on it (sessions_app and others), so they contribute
their entries through a registry: in `AppConfig.ready()` an app calls
`register_planning_source("sessions", function)`, where `function(program_ids=…, start=…,
end=…)` returns `PlanningEntry`s for those programs with `start <= starts_at < end` in a constant
number of queries (one `select_related` query is the usual answer). The planning pages render
rounds and every registered source, so their query count does not grow with the rows.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from django.urls import reverse

from programs.models import Round, RoundState


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


class PlanningSource(Protocol):
    def __call__(
        self, *, program_ids: Sequence[int], start: datetime, end: datetime
    ) -> list[PlanningEntry]: ...


_sources: dict[str, PlanningSource] = {}


def register_planning_source(name: str, source: PlanningSource) -> None:
    """Add (or replace, by name) a source of planning entries; call it in `AppConfig.ready()`."""
    _sources[name] = source


def unregister_planning_source(name: str) -> None:
    _sources.pop(name, None)


def rounds_planning_source(
    *, program_ids: Sequence[int], start: datetime, end: datetime
) -> list[PlanningEntry]:
    rounds = (
        Round.objects.filter(program_id__in=program_ids, match_at__gte=start, match_at__lt=end)
        .select_related("program")
        .order_by("match_at", "id")
    )
    return [
        PlanningEntry(
            starts_at=round_.match_at,
            title=f"Matching round of {round_.program.name}",
            kind="round",
            url=reverse(
                "programs:round_detail",
                kwargs={"program_id": round_.program_id, "round_id": round_.pk},
            ),
            program_id=round_.program_id,
            program_name=round_.program.name,
            state=round_.get_state_display(),
            detail=round_.get_recurrence_weeks_display(),
            is_cancelled=round_.state == RoundState.CANCELLED,
        )
        for round_ in rounds
    ]


register_planning_source("rounds", rounds_planning_source)


def planning_entries(
    *, program_ids: Sequence[int], start: datetime, end: datetime
) -> list[PlanningEntry]:
    entries: list[PlanningEntry] = []
    for source in list(_sources.values()):
        entries.extend(source(program_ids=program_ids, start=start, end=end))
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
