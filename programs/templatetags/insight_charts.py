"""Server-rendered SVG charts: Insights figures and the round page's opt-in chart.

A figure's chart is drawn from the figure's own rows, with presentation attributes and CSS
classes only (the Content-Security-Policy allows no `style=`). It is hidden from screen readers
(`aria-hidden`): the table beside it carries the same numbers. The drawing helpers both share
are in `programs.charts`.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from programs.charts import WIDTH, counts_per_day, cumulative_chart, nice_ticks, svg, y_grid
from programs.charts import fmt as _format
from programs.charts import short as _short
from programs.insights import Figure
from programs.round_selectors import RoundStats

register = template.Library()

LABEL_WIDTH = 150
BAR_HEIGHT = 14
ROW_GAP = 10
LINE_HEIGHT = 220
PAD = 28


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _legend(figure: Figure, *, y: float) -> list[str]:
    if len(figure.series) < 2:
        return []
    parts = []
    x = 0.0
    for index, column in enumerate(figure.series):
        name = escape(_short(figure.columns[column], 24))
        parts.append(
            f'<rect class="chart-series-{index}" x="{x:.0f}" y="{y - 10:.0f}" width="12" height="12"/>'
            f'<text class="chart-text" x="{x + 16:.0f}" y="{y:.0f}">{name}</text>'
        )
        x += 30 + 7.5 * len(figure.columns[column][:24])
    return parts


def _bars(figure: Figure) -> str:
    series = figure.series
    top = max((_number(row[c]) for row in figure.rows for c in series), default=0.0)
    top = 100.0 if figure.is_percentage else max(top, 1.0)
    group = len(series) * BAR_HEIGHT + ROW_GAP
    legend_height = 22 if len(series) > 1 else 0
    height = legend_height + len(figure.rows) * group + 4
    span = WIDTH - LABEL_WIDTH - 50
    parts = _legend(figure, y=14)
    for row_index, row in enumerate(figure.rows):
        y0 = legend_height + row_index * group
        label = escape(_short(row[figure.label_column], 22))
        parts.append(
            f'<text class="chart-text" x="{LABEL_WIDTH - 8}" y="{y0 + group / 2 + 2:.0f}" '
            f'text-anchor="end">{label}</text>'
        )
        mark = figure.marks.get(row_index)
        faded = " chart-faded" if mark else ""
        for index, column in enumerate(series):
            value = _number(row[column])
            width = max(value / top * span, 0 if value == 0 else 1)
            y = y0 + index * BAR_HEIGHT
            text = _format(value) + (f" · {escape(mark)}" if mark and index == 0 else "")
            parts.append(
                f'<rect class="chart-series-{index}{faded}" x="{LABEL_WIDTH}" y="{y}" '
                f'width="{width:.1f}" height="{BAR_HEIGHT - 2}"/>'
                f'<text class="chart-value" x="{LABEL_WIDTH + width + 4:.1f}" '
                f'y="{y + BAR_HEIGHT - 3}">{text}</text>'
            )
    return _svg(figure, height, parts)


def _funnel(figure: Figure) -> str:
    column = figure.series[0]
    top = max((_number(row[column]) for row in figure.rows), default=0.0) or 1.0
    step = 46
    parts = []
    for index, row in enumerate(figure.rows):
        value = _number(row[column])
        width = max(value / top * WIDTH, 2)
        x = (WIDTH - width) / 2
        y = index * step
        text = escape(f"{row[figure.label_column]}: {_format(value)}")
        # The words above the bar, so a narrow last stage never clips them.
        parts.append(
            f'<text class="chart-text" x="{WIDTH / 2}" y="{y + 13}" text-anchor="middle">'
            f"{text}</text>"
            f'<rect class="chart-series-{index}" x="{x:.1f}" y="{y + 18}" width="{width:.1f}" '
            f'height="{step - 24}" rx="4"/>'
        )
    return _svg(figure, len(figure.rows) * step, parts)


def _x_label_indexes(count: int, most: int = 6) -> list[int]:
    """Which points of a line chart get their label under the axis: the first, the last and
    evenly spaced ones between, at most `most`."""
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return sorted({round(step * i) for i in range(most)})


def _line(figure: Figure) -> str:
    rows = figure.rows
    values = [_number(row[c]) for row in rows for c in figure.series]
    highest = max(values, default=0.0)
    if figure.is_percentage:
        ticks: list[float] = [0, 25, 50, 75, 100]
    elif figure.y_top is not None and highest <= figure.y_top:
        ticks = nice_ticks(figure.y_top, whole=False)
    else:
        ticks = nice_ticks(highest, whole=False)
    top = ticks[-1]
    # The y axis's name above it (or the legend, for several lines), the x axis's below.
    head = 8
    left, bottom = 44, head + LINE_HEIGHT - PAD
    span_x = WIDTH - left - 12
    span_y = LINE_HEIGHT - 2 * PAD
    parts = _legend(figure, y=14) or [
        f'<text class="chart-text" x="0" y="14">{escape(figure.columns[figure.series[0]])}</text>'
    ]
    parts += y_grid(
        ticks=ticks, left=left, right=WIDTH - 12, y_of=lambda v: bottom - v / top * span_y
    )
    parts.append(
        f'<line class="chart-axis" x1="{left}" y1="{head + PAD}" x2="{left}" y2="{bottom}"/>'
    )
    count = len(rows)

    def x_of(index: int) -> float:
        return left + (span_x * index / (count - 1) if count > 1 else span_x / 2)

    for index, column in enumerate(figure.series):
        points = [
            (x_of(i), bottom - _number(row[column]) / top * span_y)
            for i, row in enumerate(rows)
            if row[column] is not None
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline class="chart-line chart-stroke-{index}" points="{path}"/>')
        parts += [
            f'<circle class="chart-series-{index}" cx="{x:.1f}" cy="{y:.1f}" r="3"/>'
            for x, y in points
        ]
    # Long labels (dates) fit three to a phone-width chart, short ones (days) six.
    longest = max((len(str(row[figure.label_column])) for row in rows), default=0)
    labels = _x_label_indexes(count, most=6 if longest <= 4 else 3)
    for i in labels:
        anchor = "start" if i == 0 and count > 1 else "end" if i == count - 1 else "middle"
        parts.append(
            f'<text class="chart-text" x="{x_of(i):.1f}" y="{bottom + 20}" '
            f'text-anchor="{anchor}">{escape(_short(rows[i][figure.label_column], 16))}</text>'
        )
    parts.append(
        f'<text class="chart-text" x="{left + span_x / 2:.1f}" y="{bottom + 40}" '
        f'text-anchor="middle">{escape(figure.columns[figure.label_column])}</text>'
    )
    return _svg(figure, bottom + 46, parts)


def _svg(figure: Figure, height: float, parts: list[str]) -> str:
    return svg(height=height, parts=parts)


@register.simple_tag
def insight_chart(figure: Figure) -> SafeString:
    """The figure's chart as inline SVG, or nothing for a table-only figure or no rows."""
    if not figure.rows or not figure.chart:
        return mark_safe("")
    drawer = {"bars": _bars, "funnel": _funnel, "line": _line}.get(figure.chart)
    # Every value written into the markup above is a number or escaped text.
    return mark_safe(drawer(figure)) if drawer else mark_safe("")


@register.filter
def insight_cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@register.simple_tag
def round_chart(stats: RoundStats, match_at: datetime) -> SafeString:
    """The round's yes answers over time as a step line, with the roster as a reference."""
    if not stats.has_chart or stats.chart_start is None:
        return mark_safe("")
    end = max(match_at, stats.chart_until)
    total = len(stats.yes_moments)
    drawn = cumulative_chart(
        moments=stats.yes_moments,
        start=stats.chart_start,
        end=end,
        until=stats.chart_until,
        reference=stats.roster or None,
        reference_label=f"{stats.roster} asked",
        total_label=f"{total} yes",
    )
    # Every value in the markup is a number, a formatted date or escaped text.
    return mark_safe(drawn)


@register.simple_tag
def round_chart_days(stats: RoundStats) -> list:
    """The chart's numbers per day of the viewer's zone, for the table beside it."""
    if not stats.has_chart or stats.chart_start is None:
        return []
    return counts_per_day(
        moments=stats.yes_moments, start=stats.chart_start, until=stats.chart_until
    )
