"""Insight charts: SVG from the figure's rows, escaped text, no style attributes (the CSP)."""

from __future__ import annotations

import re

import pytest

from programs.insights import Figure
from programs.templatetags.insight_charts import insight_chart


@pytest.mark.parametrize("chart", ["bars", "funnel", "line"])
def test_charts_escape_labels_and_use_no_style_attributes(chart):
    figure = Figure(
        slug="x",
        title="X",
        columns=["Label", "Value"],
        rows=[["<script>alert(1)</script>", 3], ["second", 1]],
        chart=chart,
    )
    svg = str(insight_chart(figure))
    assert svg.startswith('<svg class="chart"') and 'aria-hidden="true"' in svg
    assert "<script>" not in svg
    assert "style=" not in svg
    assert "&lt;script&gt;" in svg


def test_bar_lengths_follow_the_values():
    figure = Figure(
        slug="x", title="X", columns=["Label", "Value"], rows=[["a", 4], ["b", 2]], chart="bars"
    )
    widths = [
        float(w)
        for w in re.findall(
            r'<rect class="chart-series-0"[^>]* width="([0-9.]+)"', str(insight_chart(figure))
        )
    ]
    assert widths[0] == pytest.approx(2 * widths[1])


def test_no_chart_without_rows_or_kind():
    assert str(insight_chart(Figure(slug="x", title="X", columns=["a"], rows=[]))) == ""
    assert str(insight_chart(Figure(slug="x", title="X", columns=["a"], rows=[["1"]]))) == ""


def _texts(svg: str, kind: str = "chart-text") -> list[str]:
    """The words of the chart (`chart-text`) or the axis values (`chart-value`)."""
    return re.findall(rf'<text class="{kind}"[^>]*>([^<]*)</text>', svg)


def test_a_line_chart_names_its_axes_and_labels_points_along_the_way():
    figure = Figure(
        slug="x",
        title="X",
        columns=["Day", "Rate %"],
        rows=[[day, 10 * day] for day in range(1, 15)],
        chart="line",
        is_percentage=True,
    )
    svg = str(insight_chart(figure))
    texts = _texts(svg)
    assert "Rate %" in texts and "Day" in texts
    day_labels = [int(text) for text in texts if text.isdigit()]
    # The first and the last day, and evenly spaced ones between: six at most.
    assert day_labels[0] == 1 and day_labels[-1] == 14 and 3 <= len(day_labels) <= 6
    assert _texts(svg, "chart-value") == ["0", "25", "50", "75", "100"]


def test_a_rating_line_keeps_its_scale_top():
    figure = Figure(
        slug="x",
        title="X",
        columns=["Week of", "Average rating (1-10)"],
        rows=[["2026-11-02", 6.5], ["2026-11-09", 7.0]],
        chart="line",
        y_top=10,
    )
    assert _texts(str(insight_chart(figure)), "chart-value")[-1] == "10"


def test_a_marked_row_is_drawn_faded_and_says_why():
    figure = Figure(
        slug="x",
        title="X",
        columns=["Session", "Registered", "Attended"],
        rows=[["Held", 4, 3], ["Called off", 5, 0]],
        chart="bars",
        series=[1, 2],
        marks={1: "cancelled"},
    )
    svg = str(insight_chart(figure))
    faded = re.findall(r'<rect class="chart-series-\d chart-faded"', svg)
    assert len(faded) == 2  # both bars of the cancelled row, none of the held one
    assert _texts(svg, "chart-value") == ["4", "3", "5 · cancelled", "0"]
