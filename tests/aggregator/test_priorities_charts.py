"""The server-drawn SVG charts: named and described images, bounds as whiskers, gaps as gaps."""

from __future__ import annotations

import re

import pytest

from national_aggregator.priorities.charts import (
    Bar,
    Point,
    Series,
    bar_chart,
    line_chart,
    nice_maximum,
    period_label_lines,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, (5, 1)), (7, (8, 2)), (37, (40, 10)), (60, (60, 20)), (510, (600, 200))],
)
def test_axis_maximum_is_round_with_at_most_5_steps(value: int, expected: tuple[int, int]) -> None:
    assert nice_maximum(value) == expected


def test_a_bar_chart_is_a_named_image_with_whiskers_only_where_cells_were_suppressed() -> None:
    bars = [Bar("GP access", 60, 60, 60), Bar("Dentistry <script>", 30, 31, 37)]

    svg = str(bar_chart(bars, chart_id="c", title="People", description="Two themes"))

    assert svg.startswith("<svg") and 'role="img"' in svg
    assert 'aria-labelledby="c-title"' in svg and 'aria-describedby="c-desc"' in svg
    assert (
        '<title id="c-title">People</title>' in svg and '<desc id="c-desc">Two themes</desc>' in svg
    )
    assert "Dentistry &lt;script&gt;" in svg and "<script" not in svg
    assert svg.count('stroke="#212b32" stroke-width="2"') == 1  # one whisker: dentistry's
    assert ">30 (31–37)</text>" in svg and ">60</text>" in svg
    assert "style=" not in svg
    # Labels take 270 + 8 units, values 90: the axis 0 to 60 spans 720 - 278 - 90 = 352 units
    # from x = 278, so the 60 bar is 352 wide, the 30 one 176, and the whisker 31 to 37 runs
    # from 278 + 352 x 31/60 = 459.9 to 278 + 352 x 37/60 = 495.1.
    assert re.search(r'<rect x="278" y="\d+" width="352"', svg)
    assert re.search(r'<rect x="278" y="\d+" width="176"', svg)
    assert '<path d="M459.9 79H495.1' in svg


def test_charts_are_deterministic() -> None:
    bars = [Bar("A", 10, 11, 17)]
    series = [Series("A", [None, Point(10, 10, 10), Point(20, 21, 27)])]
    labels = [("2026-08",), ("2026-09",), ("2026-10",)]

    assert bar_chart(bars, chart_id="a", title="t", description="d") == bar_chart(
        bars, chart_id="a", title="t", description="d"
    )
    assert line_chart(labels, series, chart_id="b", title="t", description="d") == line_chart(
        labels, series, chart_id="b", title="t", description="d"
    )


def test_a_line_chart_leaves_a_gap_where_no_hub_reported() -> None:
    series = [
        Series("GP access", [Point(10, 10, 10), None, Point(20, 20, 20), Point(30, 30, 30)]),
        Series("Dentistry", [Point(5, 5, 5), Point(5, 6, 12), Point(5, 5, 5), None]),
    ]
    labels = [("1",), ("2",), ("3",), ("4",)]

    svg = str(line_chart(labels, series, chart_id="t", title="Trend", description="d"))

    lines = re.findall(
        r'<path d="(M[^"]+)" stroke="(#[0-9a-f]{6})" stroke-width="3" fill="none"', svg
    )
    gp = [path for path, colour in lines if colour == "#005eb8"]
    dentistry = [path for path, colour in lines if colour == "#d5281b"]
    assert len(gp) == 1 and gp[0].count("L") == 1  # 3 to 4 only: 1 to 3 crosses the gap
    assert len(dentistry) == 1 and dentistry[0].count("L") == 2  # 1, 2, 3
    assert 'stroke-dasharray="8 4"' in svg  # the second series differs by dash too
    assert ">GP access</text>" in svg and ">Dentistry</text>" in svg  # the legend


def test_a_range_period_is_labelled_on_two_lines() -> None:
    assert period_label_lines("2026-10") == ("2026-10",)
    assert period_label_lines("2026-10-05/2026-10-11") == ("2026-10-05", "to 2026-10-11")
