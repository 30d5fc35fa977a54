"""Server-rendered SVG charts: the helpers the Insights charts and the round chart share.

Charts are strings of SVG built here, with presentation attributes and CSS classes only (the
Content-Security-Policy allows no `style=`), and `aria-hidden`: every chart sits beside a table
or a caption that carries the same numbers for screen readers. Colours come from the
stylesheet's custom properties (`--series-0` …), so the dark scheme recolours them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape

WIDTH = 480


def fmt(value: float) -> str:
    return f"{value:g}"


def short(text: object, limit: int = 28) -> str:
    value = "" if text is None else str(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def svg(*, height: float, parts: Sequence[str], width: int = WIDTH) -> str:
    """The chart's `<svg>`: scales to its column, hidden from assistive technology."""
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height:.0f}" width="{width}" '
        f'height="{height:.0f}" aria-hidden="true" focusable="false" '
        f'preserveAspectRatio="xMinYMin meet">{"".join(parts)}</svg>'
    )


def nice_ticks(top: float, *, count: int = 4, whole: bool = True) -> list[float]:
    """0, then round steps (1, 2, 2.5 or 5 times a power of ten) up to at least `top`."""
    top = max(top, 1.0) if whole or top <= 0 else top
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1.0, math.ceil(step))
    return [step * i for i in range(math.ceil(top / step - 1e-9) + 1)]


def y_grid(*, ticks: Sequence[float], left: float, right: float, y_of) -> list[str]:
    """Horizontal grid lines with their values at the left, the bottom one as the axis."""
    parts = []
    for value in ticks:
        y = y_of(value)
        kind = "chart-axis" if value == 0 else "chart-grid"
        parts.append(
            f'<line class="{kind}" x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"/>'
            f'<text class="chart-value" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{fmt(value)}</text>"
        )
    return parts


def time_ticks(*, start: datetime, end: datetime, most: int = 6) -> list[tuple[datetime, str]]:
    """Moments between `start` and `end` on round local hours or midnights (the active zone),
    at most `most` of them, each with its label: "Mon 1 Jun" for days, "09:00" for hours."""
    if end <= start:
        return []
    zone = timezone.get_current_timezone()
    span = end - start
    ticks: list[tuple[datetime, str]] = []
    if span <= timedelta(hours=36):
        hours = next(h for h in (1, 2, 3, 6, 12, 24) if span / timedelta(hours=h) <= most)
        moment = timezone.localtime(start).replace(minute=0, second=0, microsecond=0)
        while moment < start or moment.hour % hours:
            moment = timezone.localtime(moment + timedelta(hours=1))
        while moment <= end:
            ticks.append((moment, date_format(moment, "H:i")))
            moment = timezone.localtime(moment + timedelta(hours=hours))
    else:
        days = max(1, math.ceil(span / timedelta(days=1) / most))
        day = timezone.localtime(start).date()
        while True:
            # Local midnights, so a day stays a day across a change of offset.
            midnight = datetime.combine(day, time(), tzinfo=zone)
            if midnight > end:
                break
            if midnight >= start:
                ticks.append((midnight, date_format(midnight, "D j M")))
            day += timedelta(days=days)
    return ticks[: most + 1]


@dataclass(frozen=True)
class DayCount:
    day: datetime
    count: int
    total: int


def counts_per_day(
    *, moments: Sequence[datetime], start: datetime, until: datetime
) -> list[DayCount]:
    """For each local day from `start` to `until`: the moments on it and the total so far."""
    zone = timezone.get_current_timezone()
    first = timezone.localtime(start).date()
    last = timezone.localtime(max(until, start)).date()
    per_day: dict = {}
    before = 0
    for moment in moments:
        day = timezone.localtime(moment).date()
        if day < first:
            before += 1
        else:
            per_day[day] = per_day.get(day, 0) + 1
    rows, total, day = [], before, first
    while day <= last:
        total += per_day.get(day, 0)
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        rows.append(DayCount(day=midnight, count=per_day.get(day, 0), total=total))
        day += timedelta(days=1)
    return rows


def cumulative_chart(
    *,
    moments: Sequence[datetime],
    start: datetime,
    end: datetime,
    until: datetime,
    reference: int | None = None,
    reference_label: str = "",
    total_label: str = "",
) -> str:
    """A step line of how many `moments` had happened, from `start` to `until` (drawn on an
    axis that runs to `end`), with a dashed line at `reference` (e.g. the roster's size)."""
    height = 240
    left, right, top_y, bottom = 40.0, WIDTH - 70.0, 14.0, height - 40.0
    ordered = sorted(m for m in moments if m <= until)
    total = len(ordered)
    ticks = nice_ticks(max(total, reference or 0))
    y_top = ticks[-1]
    span = max((end - start).total_seconds(), 1.0)

    def x_of(moment: datetime) -> float:
        fraction = min(max((moment - start).total_seconds() / span, 0.0), 1.0)
        return left + fraction * (right - left)

    def y_of(value: float) -> float:
        return bottom - value / y_top * (bottom - top_y)

    parts = y_grid(ticks=ticks, left=left, right=right, y_of=y_of)
    parts.append(f'<line class="chart-axis" x1="{left}" y1="{top_y}" x2="{left}" y2="{bottom}"/>')
    for moment, label in time_ticks(start=start, end=end):
        x = x_of(moment)
        parts.append(
            f'<line class="chart-axis" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}"/>'
            f'<text class="chart-value" x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    points = [(x_of(start), y_of(0))]
    for count, moment in enumerate(ordered, start=1):
        x = x_of(moment)
        points += [(x, y_of(count - 1)), (x, y_of(count))]
    stop_x = x_of(until)
    points.append((stop_x, y_of(total)))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    area = f"{path} {stop_x:.1f},{y_of(0):.1f}"
    parts.append(f'<polygon class="chart-area" points="{area}"/>')
    if reference:
        y = y_of(reference)
        parts.append(
            f'<line class="chart-reference" x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
            f'stroke-dasharray="5 4"/>'
            f'<text class="chart-text" x="{right + 4}" y="{y + 4:.1f}">'
            f"{escape(reference_label)}</text>"
        )
    parts.append(f'<polyline class="chart-line chart-stroke-0" points="{path}"/>')
    parts.append(f'<circle class="chart-series-0" cx="{stop_x:.1f}" cy="{y_of(total):.1f}" r="4"/>')
    label_y = y_of(total) - 8
    if reference and abs(label_y + 8 - y_of(reference)) < 14:
        label_y = y_of(total) + 18
    anchor = "end" if stop_x > right - 40 else "start"
    label_x = stop_x - 6 if anchor == "end" else stop_x + 6
    parts.append(
        f'<text class="chart-total" x="{label_x:.1f}" y="{label_y:.1f}" text-anchor="{anchor}">'
        f"{escape(total_label)}</text>"
    )
    if until < end:
        parts.append(
            f'<line class="chart-now" x1="{stop_x:.1f}" y1="{top_y}" x2="{stop_x:.1f}" '
            f'y2="{bottom}" stroke-dasharray="2 3"/>'
            f'<text class="chart-value" x="{stop_x:.1f}" y="{bottom + 30}" '
            f'text-anchor="middle">now</text>'
        )
    return svg(height=height, parts=parts)
