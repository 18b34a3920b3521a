"""Representation ratios with Wilson 95% intervals, checked against figures worked by hand.

Throughout, z = 1.959964, so z² = 3.841459. For N = 200 answers:
    z²/N = 0.0192073,  z²/2N = 0.0096036,  1 + z²/N = 1.0192073,  z²/4N² = 0.0000240.
Wilson: centre = (p + z²/2N) / (1 + z²/N),
        half   = z / (1 + z²/N) · √(p(1 − p)/N + z²/4N²),
        bounds = centre ± half, then divided by the population share s.
"""

from __future__ import annotations

import pytest

from hub.voices.profile import PopulationProfile
from hub.voices.representation import (
    COLUMNS,
    Z_95,
    CharacteristicRepresentation,
    Flag,
    GroupRepresentation,
    as_rows,
    represent,
    to_csv,
    under_represented,
    wilson_interval,
)

PROFILE = PopulationProfile.from_counts(
    {
        # shares: under-16 0.3, 16-24 0.2, 25-34 … 55-64 0.1 each, 65-74 and 75-plus 0.05
        "age_band": {
            "under-16": 300,
            "16-24": 200,
            "25-34": 100,
            "35-44": 100,
            "45-54": 100,
            "55-64": 100,
            "65-74": 50,
            "75-plus": 50,
        },
        # asian 0.15, black 0.10, mixed 0.05, white 0.65, other 0.05
        "ethnic_group": {"asian": 150, "black": 100, "mixed": 50, "white": 650, "other": 50},
        "disability": {"disabled": 150, "not-disabled": 850},
        "unpaid_carer": {"carer": 150, "not-carer": 850},
        # no urban_rural: this council has no table for it
    }
)

PARTICIPANTS = {
    "age_band": {"16-24": 5, "25-34": 5, "not-stated": 190},
    "ethnic_group": {
        "asian": 12,
        "black": 20,
        "mixed": 10,
        "white": 148,
        "other": 10,
        "not-stated": 37,
        "prefer-not-to-say": 3,
    },
    "disability": {"disabled": 30, "not-disabled": 170},
    "unpaid_carer": {"carer": 60, "not-carer": 140, "not-stated": 40},
    "urban_rural": {"urban": 150, "rural": 50},
}


def _results() -> dict[str, CharacteristicRepresentation]:
    return {result.characteristic: result for result in represent(PARTICIPANTS, PROFILE)}


def _group(characteristic: str, category: str) -> GroupRepresentation:
    groups = {group.category: group for group in _results()[characteristic].groups}
    return groups[category]


def test_a_group_clearly_below_its_share_is_under_represented() -> None:
    # x = 12 of N = 200, s = 0.15: p = 12/200 = 0.06, ratio = 0.06/0.15 = 0.4.
    # centre = (0.06 + 0.0096036) / 1.0192073 = 0.0696036 / 1.0192073 = 0.0682919
    # √(0.06 · 0.94 / 200 + 0.0000240) = √(0.000282 + 0.0000240) = √0.000306009 = 0.0174931
    # half = 1.959964 / 1.0192073 · 0.0174931 = 1.923028 · 0.0174931 = 0.0336397
    # p bounds 0.0682919 ∓ 0.0336397 = 0.0346522 and 0.1019317;
    # ÷ 0.15: lower 0.231015, upper 0.679545 < 1, so under-represented.
    asian = _group("ethnic_group", "asian")

    assert asian.label == "Asian, Asian British or Asian Welsh"
    assert (asian.participants, asian.stated_total) == (12, 200)
    assert asian.participant_share == pytest.approx(0.06)
    assert asian.population_share == pytest.approx(0.15)
    assert asian.ratio == pytest.approx(0.4)
    assert asian.lower == pytest.approx(0.231015, abs=1e-6)
    assert asian.upper == pytest.approx(0.679545, abs=1e-6)
    assert asian.flag is Flag.UNDER


def test_a_group_near_its_share_is_in_line() -> None:
    # x = 30 of N = 200, s = 0.15: p = 0.15, ratio = 1.0.
    # centre = (0.15 + 0.0096036) / 1.0192073 = 0.1565959
    # √(0.15 · 0.85 / 200 + 0.0000240) = √0.000661509 = 0.0257198; half = 1.923028 · 0.0257198
    #   = 0.0494599; p bounds 0.1071359 and 0.2060558; ÷ 0.15: 0.714240 and 1.373705,
    # which straddle 1: in line.
    disabled = _group("disability", "disabled")

    assert disabled.ratio == pytest.approx(1.0)
    assert disabled.lower == pytest.approx(0.714240, abs=1e-6)
    assert disabled.upper == pytest.approx(1.373705, abs=1e-6)
    assert disabled.flag is Flag.IN_LINE


def test_a_group_clearly_above_its_share_is_over_represented_and_its_complement_under() -> None:
    # carers: x = 60 of N = 200, s = 0.15: p = 0.3, ratio = 2.0.
    # centre = (0.3 + 0.0096036) / 1.0192073 = 0.3037691
    # √(0.3 · 0.7 / 200 + 0.0000240) = √0.001074009 = 0.0327721; half = 1.923028 · 0.0327721
    #   = 0.0630216; p bounds 0.2407474 and 0.3667907; ÷ 0.15: 1.604983 > 1 and 2.445271.
    # not carers: 140 of 200 is the mirror image (1 − p), s = 0.85: ratio 0.7/0.85 = 0.823529,
    #   p bounds 1 − 0.3667907 = 0.6332093 and 1 − 0.2407474 = 0.7592526;
    #   ÷ 0.85: 0.744952 and 0.893238 < 1.
    carer = _group("unpaid_carer", "carer")
    not_carer = _group("unpaid_carer", "not-carer")

    assert carer.ratio == pytest.approx(2.0)
    assert carer.lower == pytest.approx(1.604983, abs=1e-6)
    assert carer.upper == pytest.approx(2.445271, abs=1e-6)
    assert carer.flag is Flag.OVER
    assert not_carer.ratio == pytest.approx(0.823529, abs=1e-6)
    assert not_carer.lower == pytest.approx(0.744952, abs=1e-6)
    assert not_carer.upper == pytest.approx(0.893238, abs=1e-6)
    assert not_carer.flag is Flag.UNDER


def test_people_who_did_not_say_are_left_out_of_the_denominator_and_counted() -> None:
    ethnic = _results()["ethnic_group"]
    carers = _results()["unpaid_carer"]

    # 37 not stated + 3 "prefer not to say" = 40, not among the 200 who answered
    assert (ethnic.stated_total, ethnic.not_stated) == (200, 40)
    assert [group.category for group in ethnic.groups] == [
        "asian",
        "black",
        "mixed",
        "white",
        "other",
    ]
    assert {group.stated_total for group in ethnic.groups} == {200}
    # 60 of the 200 who answered (0.3), not 60 of all 240 people (0.25)
    assert (carers.stated_total, carers.not_stated) == (200, 40)
    assert _group("unpaid_carer", "carer").participant_share == pytest.approx(0.3)


def test_too_few_answers_claims_no_flag_even_when_the_interval_excludes_one() -> None:
    # 16-24: x = 5 of N = 10, s = 0.2: p = 0.5, ratio 2.5. z²/N = 0.3841459,
    # centre = (0.5 + 0.1920729) / 1.3841459 = 0.5; √(0.025 + 0.0096036) = 0.1860206,
    # half = 1.959964 / 1.3841459 · 0.1860206 = 0.2634069; p bounds 0.2365931 and 0.7634069;
    # ÷ 0.2: 1.182965 and 3.817035. The lower bound is above 1, but 10 answers is below 20.
    age = _results()["age_band"]
    young = _group("age_band", "16-24")

    assert (age.stated_total, age.not_stated) == (10, 190)
    assert young.ratio == pytest.approx(2.5)
    assert young.lower == pytest.approx(1.182965, abs=1e-6)
    assert young.upper == pytest.approx(3.817035, abs=1e-6)
    assert {group.flag for group in age.groups} == {Flag.TOO_FEW}
    lowered = {r.characteristic: r for r in represent(PARTICIPANTS, PROFILE, min_answers=10)}
    assert {g.category: g.flag for g in lowered["age_band"].groups}["16-24"] is Flag.OVER


def test_a_characteristic_without_a_population_figure_is_not_guessed() -> None:
    urban_rural = _results()["urban_rural"]

    assert urban_rural.has_population is False
    assert urban_rural.stated_total == 200
    assert [
        (g.category, g.participant_share, g.ratio, g.lower, g.flag) for g in urban_rural.groups
    ] == [
        ("urban", 0.75, None, None, Flag.NO_POPULATION),
        ("rural", 0.25, None, None, Flag.NO_POPULATION),
    ]


def test_nobody_from_a_group_and_nobody_in_the_population() -> None:
    profile = PopulationProfile.from_counts(
        {
            "ethnic_group": {"asian": 100, "black": 100, "mixed": 100, "white": 600, "other": 100},
            "urban_rural": {"urban": 1000, "rural": 0},
        }
    )
    participants = {"ethnic_group": {"white": 40}, "urban_rural": {"urban": 40}}

    results = {r.characteristic: r for r in represent(participants, profile)}
    other = {g.category: g for g in results["ethnic_group"].groups}["other"]
    rural = {g.category: g for g in results["urban_rural"].groups}["rural"]

    # x = 0 of N = 40, s = 0.1: z²/N = 0.0960365; centre = 0.0480182 / 1.0960365 = 0.0438108,
    # half = 1.959964 / 1.0960365 · √(0 + 3.841459 / 6400) = 1.788232 · 0.0244996 = 0.0438108,
    # so p bounds 0 and 0.0876216; ÷ 0.1: 0 and 0.876216 < 1: under-represented.
    assert other.ratio == 0.0
    assert other.lower == 0.0
    assert other.upper == pytest.approx(0.876216, abs=1e-6)
    assert other.flag is Flag.UNDER
    assert (rural.population_share, rural.ratio, rural.flag) == (0.0, None, Flag.NONE_IN_POPULATION)


def test_wilson_bounds_solve_the_score_equation() -> None:
    # Wilson's bounds are the two π with (p − π)² = z² π (1 − π) / N: check that directly.
    for x, n in [(12, 200), (1, 7), (19, 20), (250, 1000)]:
        p = x / n
        for bound in wilson_interval(x, n):
            assert (p - bound) ** 2 == pytest.approx(Z_95**2 * bound * (1 - bound) / n)
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0
    with pytest.raises(ValueError):
        wilson_interval(3, 0)


def test_under_represented_lists_the_flagged_groups_lowest_ratio_first() -> None:
    groups = under_represented(represent(PARTICIPANTS, PROFILE))

    assert [(g.characteristic, g.category, round(g.ratio or 0, 4)) for g in groups] == [
        ("ethnic_group", "asian", 0.4),
        ("unpaid_carer", "not-carer", 0.8235),
    ]


def test_a_question_nobody_answered_has_no_shares() -> None:
    results = {r.characteristic: r for r in represent({}, PROFILE)}

    disability = results["disability"]
    assert (disability.stated_total, disability.not_stated) == (0, 0)
    assert [(g.participant_share, g.ratio, g.flag) for g in disability.groups] == [
        (None, None, Flag.TOO_FEW),
        (None, None, Flag.TOO_FEW),
    ]


@pytest.mark.parametrize(
    ("participants", "message"),
    [
        ({"ethnicity": {"white": 3}}, "'ethnicity' is not a characteristic"),
        ({"ethnic_group": {"asian-other": 3}}, "'asian-other' is not a category of ethnic_group"),
        ({"disability": {"disabled": -1}}, "disability 'disabled': -1 is not a count of people"),
    ],
)
def test_participant_counts_that_cannot_be_right_are_refused(
    participants: dict[str, dict[str, int]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        represent(participants, PROFILE)


def test_rows_for_a_table_and_a_csv_download() -> None:
    results = represent(PARTICIPANTS, PROFILE)

    rows = as_rows(results)
    lines = to_csv(results).splitlines()

    assert len(rows) == 8 + 5 + 2 + 2 + 2
    asian = next(row for row in rows if row["category"] == "asian")
    assert tuple(asian) == COLUMNS
    assert (asian["participants"], asian["stated_total"], asian["not_stated"]) == (12, 200, 40)
    assert asian["flag"] == "under-represented"
    assert lines[0] == ",".join(COLUMNS)
    assert (
        "ethnic_group,asian,"
        '"Asian, Asian British or Asian Welsh",12,200,40,0.0600,0.1500,0.4000,0.2310,0.6795,'
        "under-represented"
    ) in lines
    assert "urban_rural,rural,Rural,50,200,0,0.2500,,,,,no population figure" in lines
