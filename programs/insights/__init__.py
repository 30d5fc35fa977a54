"""Insights: what happened across sessions, commitments, rounds and e-mail, as figures.

Each area owns one selector module that computes its figures with aggregate queries:
`sessions_app.insights`, `commitments.insights`, `programs.insights.rounds` and
`programs.insights.email`. `programs` cannot import the apps built on it, so each area
answers two custom signals of `programs.signals` from its `receivers.py` (connected in its
`AppConfig.ready()`, as with planning entries): `insight_sections_wanted` (its
`SectionSource`s: slug, place on the page, builder) and `insight_topics_wanted` (a `Q` on the
outbox topics of the programs' objects, which the e-mail section counts). A builder answers a
`Section` for a `Scope` in a constant number of queries, whatever the number of sessions,
registrations or check-ins.

Every figure is a table (`columns`, `rows`); the page draws its chart from the same rows, the
CSV download writes them, so the chart, the table and the CSV cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet

from programs import signals
from reminders.models import Message

Cell = str | int | float | None

# How many rows of a long per-item table the page shows; the CSV has them all.
PAGE_ROWS = 20


@dataclass(frozen=True)
class Scope:
    """Which programs and which period: `start <= moment < end`, in UTC, plus the viewer's zone
    (for labels such as a session's start or a week's first day)."""

    program_ids: Sequence[int]
    start: datetime
    end: datetime
    now: datetime
    zone: ZoneInfo
    # False for the CSV: long tables keep every row.
    is_page: bool = True


@dataclass
class Figure:
    """One table of numbers, optionally drawn as a chart.

    `chart` is "bars" (one bar per row, values of `series` columns), "funnel" (bars that
    shrink stage by stage), "line" (rows along x, `series` columns as lines) or "" (table
    only). `label_column` names each row in the chart.
    """

    slug: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    chart: str = ""
    series: list[int] = field(default_factory=lambda: [1])
    label_column: int = 0
    description: str = ""
    # Set when the page shows only the first rows: how many the CSV holds.
    total_rows: int | None = None
    # A percentage axis (0 to 100) instead of one scaled to the largest value.
    is_percentage: bool = False
    # A line chart's least y axis top (a rating's scale), unless a value is higher.
    y_top: float | None = None
    # Rows a bar chart draws faded, with this word after their first value (a cancelled
    # session, whose registrants never had a room to attend), by row index.
    marks: dict[int, str] = field(default_factory=dict)


@dataclass
class Section:
    slug: str
    title: str
    summary: list[tuple[str, Cell]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    note: str = ""
    computed_at: datetime | None = None

    def figure(self, slug: str) -> Figure | None:
        return next((figure for figure in self.figures if figure.slug == slug), None)


SectionBuilder = Callable[[Scope], Section]


@dataclass(frozen=True)
class SectionSource:
    """A section of the Insights pages, as a receiver of `insight_sections_wanted` answers it:
    sections are shown by `order`, and built (and cached) one by one by `slug`."""

    slug: str
    order: int
    build: SectionBuilder


def section_sources() -> dict[str, SectionSource]:
    """Every area's section, by slug, in the order of the page."""
    found = [
        source
        for _receiver, answer in signals.insight_sections_wanted.send(sender=SectionSource)
        for source in cast(list[SectionSource], answer)
    ]
    return {source.slug: source for source in sorted(found, key=lambda source: source.order)}


def section_slugs() -> list[str]:
    return list(section_sources())


def cache_seconds() -> int:
    """How long a computed section is reused (`INSIGHTS_CACHE_SECONDS`, 120 by default; 0 turns
    the cache off). Figures about the past change slowly; a large program's first render runs
    every aggregate, the next ones within that time read one cache entry per section."""
    return int(getattr(settings, "INSIGHTS_CACHE_SECONDS", 120))


def _cache_key(slug: str, scope: Scope) -> str:
    # The version changes with the shape of `Section` and `Figure`: a section cached by the
    # previous release is never read as the new shape.
    ids = ",".join(str(pk) for pk in sorted(scope.program_ids))
    return (
        f"insights:v2:{slug}:{ids}:{scope.start.isoformat()}:{scope.end.isoformat()}:"
        f"{scope.zone.key}:{int(scope.is_page)}"
    )


def build_section(
    slug: str, scope: Scope, *, sources: dict[str, SectionSource] | None = None
) -> Section | None:
    source = (section_sources() if sources is None else sources).get(slug)
    if source is None:
        return None
    seconds = cache_seconds()
    key = _cache_key(slug, scope)
    section = cache.get(key) if seconds else None
    if section is None:
        section = source.build(scope)
        section.computed_at = scope.now
        if seconds:
            cache.set(key, section, seconds)
    return section


def build_sections(scope: Scope) -> list[Section]:
    sources = section_sources()
    return [section for slug in sources if (section := build_section(slug, scope, sources=sources))]


def program_topics_q(program_ids: Sequence[int]) -> Q:
    """Every outbox topic about the programs' objects, as one `Q` of subqueries (each receiver
    of `insight_topics_wanted` answers its own; no rows are loaded)."""
    q = Q(pk__in=[])
    for _receiver, answer in signals.insight_topics_wanted.send(
        sender=Message, program_ids=program_ids
    ):
        q |= cast(Q, answer)
    return q


# Periods -----------------------------------------------------------------------------------

RANGE_CHOICES = [("30", "Last 30 days"), ("90", "Last 90 days"), ("custom", "Custom")]


@dataclass(frozen=True)
class Period:
    key: str  # "30", "90" or "custom"
    first_day: date
    last_day: date  # included

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """From the first day's local midnight to the midnight after the last day, in `zone`."""
        start = datetime.combine(self.first_day, time(), tzinfo=zone)
        end = datetime.combine(self.last_day + timedelta(days=1), time(), tzinfo=zone)
        return start, end

    def query(self) -> str:
        if self.key == "custom":
            return f"range=custom&from={self.first_day:%Y-%m-%d}&to={self.last_day:%Y-%m-%d}"
        return f"range={self.key}"


def last_days(days: int, *, today: date) -> Period:
    """The last `days` days, today included."""
    return Period(key=str(days), first_day=today - timedelta(days=days - 1), last_day=today)


def percentage(part: int | None, whole: int | None) -> float | None:
    """`part` of `whole` in percent with one decimal, None when there is no whole."""
    if not whole:
        return None
    return round(100 * (part or 0) / whole, 1)


def counted(queryset: QuerySet, **aggregates: object) -> dict[str, int]:
    """`queryset.aggregate(...)` with None (nothing to count) read as 0."""
    return {key: value or 0 for key, value in queryset.aggregate(**aggregates).items()}
