"""The demo's invented "about you" answers follow each area's Census 2021 profile."""

from __future__ import annotations

import random
from collections import Counter

from federation.disclosure.characteristics import CHARACTERISTICS
from hubnet.demo_data import census_profile, demo_areas, synthetic_answers


def test_every_demo_area_has_a_profile_of_valid_answer_codes() -> None:
    for area in demo_areas():
        profile = census_profile(area.gss)
        for name, counts in profile.items():
            assert set(counts) <= set(CHARACTERISTICS[name].stored_values), (area.name, name)
            assert all(count > 0 for count in counts.values()) or name == "urban_rural"


def test_answers_follow_the_census_rural_cornwall_and_urban_manchester() -> None:
    def rural_share(gss: str) -> float:
        rng, profile = random.Random(7), census_profile(gss)
        answers = Counter(synthetic_answers(profile, rng).get("urban_rural") for _ in range(2000))
        return answers["rural"] / (answers["rural"] + answers["urban"])

    assert rural_share("E06000052") > 0.5  # Cornwall: 61% rural in the 2011 classification
    assert rural_share("E08000003") < 0.01  # Manchester: 103 rural residents
