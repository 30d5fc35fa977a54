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
    if chart != "line":
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
