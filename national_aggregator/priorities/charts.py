"""Charts drawn on the server as inline SVG: no JavaScript, no chart library, no inline style.

Each chart is an `<svg role="img">` named by its `<title>` and described by its
`<desc>` (aria-labelledby / aria-describedby), so a screen reader announces one
image with a summary; the page puts a table with the same numbers beside it.
Colours are presentation attributes (allowed by a CSP without 'unsafe-inline'),
each at least 3:1 against white (WCAG 1.4.11), and series differ by marker and
dash as well as colour, so nothing depends on colour alone. Output is a pure
function of the numbers: the same figures give the same bytes.

Leaves out: interaction (tooltips, zoom) and anything that needs a script.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
TEXT = "#212b32"  # NHS.UK text colour: 15.9:1 on white
GRID = "#aeb7bd"  # lines only; the numbers are in the labels and the table
BAR = "#005eb8"  # NHS blue: 5.6:1 on white
WHISKER = "#212b32"
# Series colours, each at least 4.5:1 on white, paired with a marker and a dash pattern.
SERIES_COLOURS = ("#005eb8", "#d5281b", "#007f3b", "#330072", "#425563", "#7c2855")
DASHES = ("", "8 4", "2 3", "10 3 2 3", "4 4", "1 4")
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "bar")


@dataclass(frozen=True)
class Bar:
    """One bar: the published total, and the range the true total lies in."""

    label: str
    value: int
    lower: int
    upper: int


@dataclass(frozen=True)
class Point:
    value: int
    lower: int
    upper: int


@dataclass(frozen=True)
class Series:
    """One line of a trend chart: a point per period, None where no hub reported."""

    name: str
    points: Sequence[Point | None]


def nice_maximum(value: int) -> tuple[int, int]:
    """An axis maximum at or above `value`, and a tick step (1, 2 or 5 × 10ⁿ) of 5 or fewer."""
    if value <= 0:
        return 5, 1
    magnitude = 1
    while True:
        for multiple in (1, 2, 5):
            step = magnitude * multiple
            intervals = math.ceil(value / step)
            if intervals <= 5:
                return intervals * step, step
        magnitude *= 10


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _open(chart_id: str, title: str, description: str, height: int) -> list[str]:
    return [
        f'<svg class="nat-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} '
        f'{height}" role="img" aria-labelledby="{chart_id}-title" '
        f'aria-describedby="{chart_id}-desc" focusable="false" font-family="Arial, sans-serif" '
        f'font-size="14" fill="{TEXT}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def _range_text(value: int, lower: int, upper: int) -> str:
    return str(value) if lower == upper == value else f"{value} ({lower}–{upper})"


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, description: str) -> Markup:
    """Horizontal bars in the order given, with a whisker over [lower, upper] where they differ.

    The bar is the published total (suppressed cells count 0); the whisker spans
    the range the true total must lie in.
    """
    label_width, left_pad, right_pad, row, top, bottom = 270, 8, 90, 30, 34, 40
    height = top + row * max(len(bars), 1) + bottom
    maximum, step = nice_maximum(max((bar.upper for bar in bars), default=0))
    plot_left = label_width + left_pad
    plot_width = WIDTH - plot_left - right_pad

    def x(value: int) -> float:
        return plot_left + plot_width * value / maximum

    parts = _open(chart_id, title, description, height)
    axis_y = top + row * max(len(bars), 1)
    for tick in range(0, maximum + 1, step):
        parts.append(
            f'<line x1="{_number(x(tick))}" y1="{top - 6}" x2="{_number(x(tick))}" '
            f'y2="{axis_y}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_number(x(tick))}" y="{top - 12}" text-anchor="middle">{tick}</text>'
        )
    parts.append(
        f'<text x="{plot_left + plot_width / 2:.0f}" y="{axis_y + 28}" text-anchor="middle">'
        "People (bar: published total; whisker: the range with suppressed cells)</text>"
    )
    for index, bar in enumerate(bars):
        y = top + row * index
        middle = y + row / 2
        parts.append(
            f'<text x="{label_width}" y="{_number(middle + 5)}" text-anchor="end">'
            f"{escape(bar.label)}</text>"
        )
        width = x(bar.value) - plot_left
        if width > 0:
            parts.append(
                f'<rect x="{plot_left}" y="{y + 6}" width="{_number(width)}" height="{row - 12}" '
                f'fill="{BAR}"/>'
            )
        end = x(bar.value)
        if bar.upper != bar.lower or bar.lower != bar.value:
            low, high = x(bar.lower), x(bar.upper)
            parts.append(
                f'<path d="M{_number(low)} {_number(middle)}H{_number(high)}'
                f'M{_number(low)} {y + 8}V{y + row - 8}M{_number(high)} {y + 8}V{y + row - 8}" '
                f'stroke="{WHISKER}" stroke-width="2" fill="none"/>'
            )
            end = max(end, high)
        parts.append(
            f'<text x="{_number(end + 6)}" y="{_number(middle + 5)}">'
            f"{escape(_range_text(bar.value, bar.lower, bar.upper))}</text>"
        )
    parts.append(
        f'<line x1="{plot_left}" y1="{top - 6}" x2="{plot_left}" y2="{axis_y}" '
        f'stroke="{TEXT}" stroke-width="1"/>'
    )
    parts.append("</svg>")
    return Markup("\n".join(parts))


def _marker(kind: str, cx: float, cy: float, colour: str) -> str:
    x, y = _number(cx), _number(cy)
    if kind == "circle":
        return f'<circle cx="{x}" cy="{y}" r="5" fill="{colour}"/>'
    if kind == "square":
        corner_x, corner_y = _number(cx - 5), _number(cy - 5)
        return f'<rect x="{corner_x}" y="{corner_y}" width="10" height="10" fill="{colour}"/>'
    if kind == "triangle":
        return (
            f'<path d="M{x} {_number(cy - 6)}L{_number(cx + 6)} {_number(cy + 5)}'
            f'H{_number(cx - 6)}Z" fill="{colour}"/>'
        )
    if kind == "diamond":
        return (
            f'<path d="M{x} {_number(cy - 7)}L{_number(cx + 6)} {y}L{x} {_number(cy + 7)}'
            f'L{_number(cx - 6)} {y}Z" fill="{colour}"/>'
        )
    if kind == "cross":
        return (
            f'<path d="M{_number(cx - 5)} {_number(cy - 5)}L{_number(cx + 5)} {_number(cy + 5)}'
            f'M{_number(cx + 5)} {_number(cy - 5)}L{_number(cx - 5)} {_number(cy + 5)}" '
            f'stroke="{colour}" stroke-width="3"/>'
        )
    return (
        f'<rect x="{_number(cx - 2)}" y="{_number(cy - 7)}" width="4" height="14" fill="{colour}"/>'
    )


def line_chart(
    labels: Sequence[Sequence[str]],
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    description: str,
) -> Markup:
    """One line per series over the periods `labels` (each label one or more text lines).

    A period where no hub reported is a gap in the line, never a zero. Where a
    point's lower and upper bounds differ it carries a whisker over them.
    """
    left, right, top = 60, 30, 20
    label_lines = max((len(label) for label in labels), default=1)
    plot_height = 240
    legend_top = top + plot_height + 16 + 18 * label_lines + 12
    legend_rows = math.ceil(len(series) / 2)
    height = legend_top + 24 * legend_rows + 8
    highest = max(
        (point.upper for line in series for point in line.points if point is not None), default=0
    )
    maximum, step = nice_maximum(highest)
    plot_width = WIDTH - left - right
    slots = max(len(labels), 1)

    def x(index: int) -> float:
        return left + plot_width * (index + 0.5) / slots

    def y(value: int) -> float:
        return top + plot_height - plot_height * value / maximum

    parts = _open(chart_id, title, description, height)
    for tick in range(0, maximum + 1, step):
        parts.append(
            f'<line x1="{left}" y1="{_number(y(tick))}" x2="{WIDTH - right}" '
            f'y2="{_number(y(tick))}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 8}" y="{_number(y(tick) + 5)}" text-anchor="end">{tick}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_height}" x2="{WIDTH - right}" '
        f'y2="{top + plot_height}" stroke="{TEXT}" stroke-width="1"/>'
    )
    for index, label in enumerate(labels):
        for line_number, text in enumerate(label):
            parts.append(
                f'<text x="{_number(x(index))}" '
                f'y="{top + plot_height + 20 + 18 * line_number}" text-anchor="middle">'
                f"{escape(text)}</text>"
            )
    for number, line in enumerate(series):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        dash = DASHES[number % len(DASHES)]
        marker = MARKERS[number % len(MARKERS)]
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        runs: list[list[tuple[float, float]]] = [[]]
        for index, point in enumerate(line.points):
            if point is None:
                runs.append([])
                continue
            runs[-1].append((x(index), y(point.value)))
        for run in runs:
            if len(run) > 1:
                path = "".join(
                    f"{'M' if i == 0 else 'L'}{_number(px)} {_number(py)}"
                    for i, (px, py) in enumerate(run)
                )
                parts.append(
                    f'<path d="{path}" stroke="{colour}" stroke-width="3" fill="none"'
                    f"{dash_attribute}/>"
                )
        for index, point in enumerate(line.points):
            if point is None:
                continue
            if point.lower != point.upper:
                px = _number(x(index))
                low, high = y(point.lower), y(point.upper)
                parts.append(
                    f'<path d="M{px} {_number(low)}V{_number(high)}'
                    f"M{_number(x(index) - 5)} {_number(low)}H{_number(x(index) + 5)}"
                    f'M{_number(x(index) - 5)} {_number(high)}H{_number(x(index) + 5)}" '
                    f'stroke="{WHISKER}" stroke-width="2" fill="none"/>'
                )
            parts.append(_marker(marker, x(index), y(point.value), colour))
    for number, line in enumerate(series):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        dash = DASHES[number % len(DASHES)]
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        column, legend_row = number % 2, number // 2
        lx = left + column * (plot_width / 2)
        ly = legend_top + 24 * legend_row
        parts.append(
            f'<path d="M{_number(lx)} {ly}H{_number(lx + 36)}" stroke="{colour}" '
            f'stroke-width="3"{dash_attribute}/>'
        )
        parts.append(_marker(MARKERS[number % len(MARKERS)], lx + 18, ly, colour))
        parts.append(f'<text x="{_number(lx + 44)}" y="{ly + 5}">{escape(line.name)}</text>')
    parts.append("</svg>")
    return Markup("\n".join(parts))


def period_label_lines(label: str) -> tuple[str, ...]:
    """A period's label for an axis: `2026-10`, or a range split over two lines."""
    if "/" in label:
        start, end = label.split("/", 1)
        return (start, f"to {end}")
    return (label,)
