"""The geometry of the hidden-voices chart, drawn as SVG by the template (no JavaScript).

A horizontal bar per group: how many hubs flag it under-represented, out of
the hubs with a profile. The page puts a table of the same figures beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from national_aggregator.voices.services import GroupAcrossHubs

BARS = 10  # the groups under-represented in most places; the table lists them all
BAR_AREA = 520  # the full scale: every hub with a profile
ROW_HEIGHT = 48  # a label line, then the bar with its count after it
BAR_HEIGHT = 18
TOP = 4


@dataclass(frozen=True)
class Bar:
    label: str
    hubs: int
    y: int  # the label's baseline; the bar is below it
    width: int  # 0 when no hub flags the group


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    out_of: int  # hubs with a profile: the scale's full width
    width: int
    height: int
    bar_height: int


def under_represented_chart(groups: Sequence[GroupAcrossHubs], out_of: int) -> Chart | None:
    """Bars for the first `BARS` groups; None when no hub flags any group or none has a profile."""
    shown = list(groups)[:BARS]
    if not shown or out_of <= 0:
        return None
    bars = [
        Bar(
            label=f"{group.characteristic_label}: {group.category_label}",
            hubs=group.under,
            y=TOP + 16 + index * ROW_HEIGHT,
            width=round(BAR_AREA * group.under / out_of),
        )
        for index, group in enumerate(shown)
    ]
    return Chart(
        bars=bars,
        out_of=out_of,
        width=BAR_AREA + 120,
        height=TOP * 2 + ROW_HEIGHT * len(bars),
        bar_height=BAR_HEIGHT,
    )
