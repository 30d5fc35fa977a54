"""The chart helpers shared by the round chart and Insights: axis steps, date ticks in the
viewer's zone (across a change of offset), counts per local day, the step line."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from programs.charts import counts_per_day, cumulative_chart, nice_ticks, time_ticks


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0, [0, 1]),
        (3, [0, 1, 2, 3]),
        (5, [0, 2, 4, 6]),
        (13, [0, 5, 10, 15]),
        (40, [0, 10, 20, 30, 40]),
    ],
)
def test_axis_steps_are_round_and_reach_the_top(top, ticks):
    assert nice_ticks(top) == ticks


def test_fractional_axes_for_averages():
    assert nice_ticks(4.3, whole=False) == [0, 2, 4, 6]
    assert nice_ticks(0, whole=False) == [0, 0.25, 0.5, 0.75, 1]


def test_day_ticks_fall_on_local_midnights_across_a_change_of_offset():
    start = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)  # Berlin leaves summer time on the 25th
    with timezone.override("Europe/Berlin"):
        ticks = time_ticks(start=start, end=start + timedelta(days=5))
    labels = [label for _, label in ticks]
    assert labels == ["Sat 24 Oct", "Sun 25 Oct", "Mon 26 Oct", "Tue 27 Oct", "Wed 28 Oct"]
    assert {
        timezone.localtime(moment, timezone=timezone.get_fixed_timezone(0)).hour
        for moment, _ in ticks
    } == {22, 23}


def test_hour_ticks_for_a_short_round():
    start = datetime(2026, 6, 1, 9, 20, tzinfo=UTC)
    with timezone.override("UTC"):
        labels = [label for _, label in time_ticks(start=start, end=start + timedelta(hours=10))]
    assert labels == ["10:00", "12:00", "14:00", "16:00", "18:00"]


def test_counts_per_local_day_and_running_total():
    start = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)
    moments = [start + timedelta(hours=h) for h in (1, 3, 5, 30)]
    with timezone.override("Asia/Tokyo"):  # 05:00 on 2 June in Tokyo at the start
        rows = counts_per_day(moments=moments, start=start, until=start + timedelta(hours=40))
    assert [(row.day.day, row.count, row.total) for row in rows] == [
        (2, 3, 3),
        (3, 1, 4),
    ]


def test_the_step_line_ends_at_the_total_and_the_reference_is_drawn():
    start = datetime(2026, 6, 1, tzinfo=UTC)
    with timezone.override("UTC"):
        svg = cumulative_chart(
            moments=[start + timedelta(hours=6), start + timedelta(hours=30)],
            start=start,
            end=start + timedelta(days=3),
            until=start + timedelta(days=2),
            reference=4,
            reference_label="4 asked",
            total_label="2 yes",
        )
    assert 'aria-hidden="true"' in svg and "style=" not in svg
    assert ">2 yes</text>" in svg and ">4 asked</text>" in svg and ">now</text>" in svg
    points = re.search(r'<polyline class="chart-line[^"]*" points="([^"]+)"', svg).group(1).split()
    assert len(points) == 2 + 2 * 2  # the start, two steps of two points, the end
