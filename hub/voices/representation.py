"""Representation ratio per group: the share of participants ÷ the share of the population.

For each "about you" characteristic, the people who answered the question
(N, the stated total) are compared with the area's population profile. A
group with x of the N answers has participant share p = x / N, and its
representation ratio is p / s, where s is the group's share of the area's
population: 1 means the group takes part in proportion to its size, 0.5 at
half of it. The questions are optional, so people who did not answer or chose
"prefer not to say" (`not-stated`) are left out of N and reported separately:
assuming they resemble those who answered is the usual, stated, assumption.

The 95% interval is the Wilson score interval for p (Wilson 1927, "Probable
inference, the law of succession, and statistical inference", JASA 22:209–212),
with z = 1.959964, divided by s. Wilson rather than the textbook Wald
interval p ± z·√(p(1−p)/N) because the counts here are small and the shares
often near 0: Wald then gives intervals below 0 or of zero width at x = 0, and
covers the true value far less often than 95% (Newcombe 1998, "Two-sided
confidence intervals for the single proportion: comparison of seven methods",
Statistics in Medicine 17:857–872, recommends Wilson). The population share s
is treated as fixed, not estimated: it is a census count of everyone in the
area, not a sample.

Flags, per group (`Flag`):

- "under-represented" when the interval's upper bound is below 1 (clearly
  fewer than the group's share, not just by chance);
- "over-represented" when the lower bound is above 1;
- "in line" otherwise;
- "too few answers" when N is below `min_answers` (default 20): the figures
  are still given, but no flag is claimed;
- "no population figure" when the profile lacks the characteristic (a council
  may not have every table), and "none in the population" when the profile
  counts nobody in the group; the ratio is then left empty, never guessed.

Public API:

- `represent(participants, profile, min_answers=20) -> tuple[CharacteristicRepresentation, ...]`
  where `participants` is {characteristic: {category: people}} including
  `not-stated` (a stored `prefer-not-to-say` is counted as not-stated);
  every characteristic of the catalogue is reported, in its order.
- `wilson_interval(x, n, z=Z_95) -> (lower, upper)`, shared with the release's
  `representation` block (federation/disclosure/representation.py).
- `under_represented(results) -> list[GroupRepresentation]`, most under-represented first.
- `as_rows(results) -> list[dict]` (keys `COLUMNS`) and `to_csv(results) -> str`
  for a table or a download.

Pure Python: no database, no Flask; the caller counts the answers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from federation.disclosure.characteristics import (
    CHARACTERISTICS,
    NOT_STATED,
    stored_to_category,
)
from federation.disclosure.representation import Z_95, wilson_interval
from hub.voices.profile import PopulationProfile

# Z_95 and wilson_interval are re-exported for the callers that know them from here.
__all__ = ["Z_95", "Flag", "represent", "under_represented", "wilson_interval"]

MIN_ANSWERS = 20  # below this many stated answers to a question, no flag is claimed


class Flag(StrEnum):
    UNDER = "under-represented"
    OVER = "over-represented"
    IN_LINE = "in line"
    TOO_FEW = "too few answers"
    NO_POPULATION = "no population figure"
    NONE_IN_POPULATION = "none in the population"


@dataclass(frozen=True)
class GroupRepresentation:
    """One group's participation against its share of the area's population.

    Shares, ratio and bounds are None where they cannot be computed: no stated
    answers at all, or no (or a zero) population figure.
    """

    characteristic: str
    category: str
    label: str
    participants: int  # x: people who gave this category
    stated_total: int  # N: people who answered the question with any category
    participant_share: float | None  # x / N
    population_share: float | None  # s, from the population profile
    ratio: float | None  # (x / N) / s
    lower: float | None  # Wilson 95% bounds for x / N, divided by s
    upper: float | None
    flag: Flag


@dataclass(frozen=True)
class CharacteristicRepresentation:
    """Every group of one characteristic, in the catalogue's order, and who did not say."""

    characteristic: str
    label: str
    stated_total: int
    not_stated: int  # did not answer, or chose "prefer not to say"; not in stated_total
    has_population: bool  # False: the profile has no figures for this characteristic
    groups: tuple[GroupRepresentation, ...]


def represent(
    participants: Mapping[str, Mapping[str, int]],
    profile: PopulationProfile,
    min_answers: int = MIN_ANSWERS,
) -> tuple[CharacteristicRepresentation, ...]:
    """The representation of every group of every characteristic, in the catalogue's order.

    `participants` counts people per {characteristic: {category: people}},
    not-stated included; a characteristic left out counts as nobody answering.
    ValueError for an unknown characteristic or category or a negative count.
    """
    _check_participants(participants)
    return tuple(
        _represent_characteristic(code, participants.get(code, {}), profile, min_answers)
        for code in CHARACTERISTICS
    )


def under_represented(
    results: Iterable[CharacteristicRepresentation],
) -> list[GroupRepresentation]:
    """The groups flagged under-represented, lowest ratio first (then lowest upper bound)."""
    flagged = [group for result in results for group in result.groups if group.flag is Flag.UNDER]
    return sorted(flagged, key=lambda group: (group.ratio or 0.0, group.upper or 0.0))


COLUMNS = (
    "characteristic",
    "category",
    "label",
    "participants",
    "stated_total",
    "not_stated",
    "participant_share",
    "population_share",
    "ratio",
    "lower",
    "upper",
    "flag",
)


def as_rows(
    results: Iterable[CharacteristicRepresentation],
) -> list[dict[str, str | int | float | None]]:
    """One dict per group (keys `COLUMNS`, raw values) for a staff page's table."""
    return [
        {
            "characteristic": group.characteristic,
            "category": group.category,
            "label": group.label,
            "participants": group.participants,
            "stated_total": group.stated_total,
            "not_stated": result.not_stated,
            "participant_share": group.participant_share,
            "population_share": group.population_share,
            "ratio": group.ratio,
            "lower": group.lower,
            "upper": group.upper,
            "flag": str(group.flag),
        }
        for result in results
        for group in result.groups
    ]


def to_csv(results: Iterable[CharacteristicRepresentation], places: int = 4) -> str:
    """The table as CSV, shares and ratios rounded to `places` decimals, empty where none."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in as_rows(results):
        writer.writerow(
            {
                key: f"{value:.{places}f}" if isinstance(value, float) else value
                for key, value in row.items()
            }
        )
    return out.getvalue()


def _check_participants(participants: Mapping[str, Mapping[str, int]]) -> None:
    errors = []
    for code, counts in participants.items():
        if code not in CHARACTERISTICS:
            errors.append(f"{code!r} is not a characteristic")
            continue
        for category, count in counts.items():
            if stored_to_category(category) not in CHARACTERISTICS[code].codes:
                errors.append(f"{category!r} is not a category of {code}")
            elif not isinstance(count, int) or isinstance(count, bool) or count < 0:
                errors.append(f"{code} {category!r}: {count!r} is not a count of people")
    if errors:
        raise ValueError("participant counts: " + "; ".join(errors))


def _represent_characteristic(
    code: str, counts: Mapping[str, int], profile: PopulationProfile, min_answers: int
) -> CharacteristicRepresentation:
    characteristic = CHARACTERISTICS[code]
    tally = dict.fromkeys(characteristic.codes, 0)
    for category, count in counts.items():
        tally[stored_to_category(category)] += count
    not_stated = tally.pop(NOT_STATED)
    stated = sum(tally.values())
    has_population = code in profile.characteristics
    groups = tuple(
        _represent_group(
            code,
            category,
            characteristic.label_of(category),
            x,
            stated,
            profile.share(code, category) if has_population else None,
            min_answers,
        )
        for category, x in tally.items()
    )
    return CharacteristicRepresentation(
        code, characteristic.label, stated, not_stated, has_population, groups
    )


def _represent_group(
    code: str,
    category: str,
    label: str,
    x: int,
    n: int,
    population_share: float | None,
    min_answers: int,
) -> GroupRepresentation:
    share = x / n if n else None
    ratio = lower = upper = None
    if population_share is None:
        flag = Flag.NO_POPULATION
    elif population_share == 0:
        flag = Flag.NONE_IN_POPULATION
    else:
        if share is not None:
            ratio = share / population_share
            low, high = wilson_interval(x, n)
            lower, upper = low / population_share, high / population_share
        flag = _flag(n, lower, upper, min_answers)
    return GroupRepresentation(
        code, category, label, x, n, share, population_share, ratio, lower, upper, flag
    )


def _flag(n: int, lower: float | None, upper: float | None, min_answers: int) -> Flag:
    if n < min_answers or lower is None or upper is None:
        return Flag.TOO_FEW
    if upper < 1:
        return Flag.UNDER
    if lower > 1:
        return Flag.OVER
    return Flag.IN_LINE
