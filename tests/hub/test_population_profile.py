"""The area population profile: a council's Census CSV is read, checked and written back."""

from __future__ import annotations

import pytest

from hub.voices.profile import (
    PopulationProfile,
    PopulationRow,
    ProfileError,
    demo_profile,
    parse_profile_csv,
)
from hubnet.demo_data import census_profile

ETHNIC_CATEGORIES = "asian, black, mixed, white, other"

GOOD_CSV = """\
characteristic,category,count,source
disability,disabled,150,Census 2021 TS038
disability,not-disabled,850,Census 2021 TS038
ethnic_group,asian,115109,Census 2021 TS021
ethnic_group,black,65893,Census 2021 TS021
ethnic_group,mixed,29026,Census 2021 TS021
ethnic_group,white,313632,Census 2021 TS021
ethnic_group,other,28278,Census 2021 TS021
"""


def _errors(text: str) -> tuple[str, ...]:
    with pytest.raises(ProfileError) as caught:
        parse_profile_csv(text)
    return caught.value.errors


def test_shares_are_counts_over_the_characteristic_total() -> None:
    profile = parse_profile_csv(GOOD_CSV)

    # disability: 150 / (150 + 850) = 0.15
    assert profile.share("disability", "disabled") == pytest.approx(0.15)
    assert profile.share("disability", "not-disabled") == pytest.approx(0.85)
    # ethnic group: 115109 + 65893 + 29026 + 313632 + 28278 = 551938 people
    assert profile.total("ethnic_group") == 551938
    assert profile.share("ethnic_group", "asian") == pytest.approx(115109 / 551938)
    # white: 313632 / 551938 = 0.568238 to six places
    assert profile.share("ethnic_group", "white") == pytest.approx(0.568238, abs=1e-6)


def test_characteristics_are_listed_in_the_catalogue_order_and_absent_ones_are_not_guessed() -> (
    None
):
    profile = parse_profile_csv(GOOD_CSV)

    # the file gives disability first; the catalogue puts ethnic group first
    assert profile.characteristics == ("ethnic_group", "disability")
    with pytest.raises(KeyError, match="no figures for 'age_band'"):
        profile.share("age_band", "16-24")


def test_the_csv_round_trips_with_its_sources() -> None:
    profile = parse_profile_csv(GOOD_CSV, label="Manchester, Census 2021")

    text = profile.to_csv()

    assert text.splitlines()[0] == "characteristic,category,count,source"
    assert "ethnic_group,asian,115109,Census 2021 TS021" in text.splitlines()
    assert parse_profile_csv(text, profile.label) == profile
    assert profile.rows[0] == PopulationRow("ethnic_group", "asian", 115109, "Census 2021 TS021")


def test_a_csv_without_sources_round_trips_without_the_column() -> None:
    text = "characteristic,category,count\nurban_rural,rural,0\nurban_rural,urban,503127\n"

    profile = parse_profile_csv(text)

    assert profile.to_csv() == "characteristic,category,count\nurban_rural,urban,503127\n" + (
        "urban_rural,rural,0\n"
    )
    assert profile.share("urban_rural", "rural") == 0.0
    assert parse_profile_csv(profile.to_csv()) == profile


def test_excel_byte_order_mark_spaces_and_blank_lines_are_tolerated() -> None:
    text = "\ufeffCharacteristic, Category ,Count\r\n\r\n disability ,disabled, 1\r\n"
    text += "disability,not-disabled,3\r\n\r\n"

    profile = parse_profile_csv(text)

    assert profile.share("disability", "disabled") == pytest.approx(0.25)


def test_every_problem_is_reported_at_once_with_its_line_number() -> None:
    text = """\
characteristic,category,count
ethnic_group,asian,100
ethnic_group,black,100
ethnic_group,mixed,100
ethnic_group,white,600
ethnic_group,asian-other,100
ethnic_group,other,100
ethnic_group,white,5
disability,not-stated,20
disability,disabled,-3
disability,not-disabled,12.5
unpaid_carer,carer,0
unpaid_carer,not-carer,0
ethnicity,white,4
urban_rural,urban,"1,234"
urban_rural,rural,1,extra
"""

    errors = _errors(text)

    assert errors == (
        f"line 6: 'asian-other' is not a category of ethnic_group; the categories are: "
        f"{ETHNIC_CATEGORIES}",
        "line 8: ethnic_group 'white' is given twice (first at line 5)",
        "line 9: disability 'not-stated' is not a population category (the census has none); "
        "leave the row out",
        "line 10: count -3 is negative",
        "line 11: count '12.5' is not a whole number of people (digits only, e.g. 1234)",
        "unpaid_carer (from line 12): the counts add up to 0, so it has no shares",
        "line 14: 'ethnicity' is not a characteristic; the characteristics are: age_band, "
        "ethnic_group, disability, unpaid_carer, urban_rural",
        "line 15: count '1,234' is not a whole number of people (digits only, e.g. 1234)",
        "line 16: 4 values where the header has 3 columns",
    )
    assert "line 6: 'asian-other'" in str(ProfileError(errors))


def test_a_characteristic_needs_every_category() -> None:
    text = "characteristic,category,count\nethnic_group,asian,10\nethnic_group,white,90\n"

    assert _errors(text) == (
        "ethnic_group (from line 2): no row for black, mixed, other; give one row per "
        "category, with 0 where nobody is in it",
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "the file is empty: the first line must be characteristic,category,count"),
        ("characteristic,category,count\n", "the file has a header but no rows of figures"),
        ("characteristic,category\ndisability,disabled\n", "line 1: the header lacks count"),
        (
            "characteristic,category,count,gss_code\n",
            "line 1: unknown column 'gss_code'",
        ),
    ],
)
def test_a_file_without_the_right_shape_is_refused(text: str, error: str) -> None:
    assert error in _errors(text)


def test_profiles_built_in_code_are_checked_the_same_way() -> None:
    with pytest.raises(ProfileError) as caught:
        PopulationProfile.from_counts({"disability": {"disabled": 1.5, "not-disabled": 3}})  # type: ignore[dict-item]

    assert caught.value.errors == (
        "disability disabled: count 1.5 is not a whole number of people",
    )
    with pytest.raises(ProfileError, match="no figures at all"):
        PopulationProfile(())


def test_row_order_does_not_matter() -> None:
    first = PopulationProfile.from_counts({"disability": {"disabled": 1, "not-disabled": 3}})
    second = PopulationProfile.from_counts({"disability": {"not-disabled": 3, "disabled": 1}})

    assert first == second


def test_the_demo_profile_is_the_demo_census_figures_labelled_illustrative() -> None:
    profile = demo_profile("E08000003")

    assert profile.label.startswith("Illustrative")
    assert "Census 2021" in profile.label and "Manchester (E08000003)" in profile.label
    assert profile.characteristics == (
        "age_band",
        "ethnic_group",
        "disability",
        "unpaid_carer",
        "urban_rural",
    )
    census = census_profile("E08000003")
    for characteristic in profile.characteristics:
        shares = [
            profile.share(characteristic, category) for category in profile.counts(characteristic)
        ]
        assert sum(shares) == pytest.approx(1.0)
        assert profile.counts(characteristic) == census[characteristic]
    # Manchester's ethnic groups add up to its 551,938 usual residents
    assert profile.share("ethnic_group", "asian") == pytest.approx(115109 / 551938)
    assert all("illustrative" in row.source for row in profile.rows)
    assert parse_profile_csv(profile.to_csv(), profile.label) == profile


def test_a_place_outside_the_demo_has_no_demo_profile() -> None:
    with pytest.raises(LookupError):
        demo_profile("E09000001")
