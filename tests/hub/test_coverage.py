"""Coverage gaps, worked by hand on a three-ward hub with four directory entries."""

from __future__ import annotations

import pytest

from hub.discover.coverage import coverage_gaps, who_reaches
from hub.discover.directory import DirectoryEntry

WARDS = ["E05000001", "E05000002", "E05000003"]
PROFILE = [
    ("age_band", "16-24"),
    ("age_band", "75-plus"),
    ("ethnic_group", "black"),
    ("unpaid_carer", "carer"),
]

# Ward 1: named by the PPG and the youth forum. Ward 2: named by the youth forum.
# Ward 3: named by nobody. Groups: 75-plus by the PPG and the carers' group; 16-24 by
# the youth forum; carers by the carers' group; black residents by nobody.
PPG = DirectoryEntry(
    id="00000000-0000-4000-8000-000000000001",
    name="Zephyr Surgery PPG",
    kind="ppg",
    wards=("E05000001",),
    reaches=(("age_band", "75-plus"),),
)
YOUTH = DirectoryEntry(
    id="00000000-0000-4000-8000-000000000002",
    name="Youth Health Forum",
    kind="council",
    wards=("E05000001", "E05000002"),
    reaches=(("age_band", "16-24"),),
)
CARERS = DirectoryEntry(
    id="00000000-0000-4000-8000-000000000003",
    name="Carers Together",
    kind="vcse",
    wards=("E05000002",),
    reaches=(("unpaid_carer", "carer"), ("age_band", "75-plus")),
)
GENERAL = DirectoryEntry(
    id="00000000-0000-4000-8000-000000000004",
    name="Healthwatch Example",
    kind="healthwatch",
)


def test_gaps_in_a_hub_where_every_entry_names_its_wards() -> None:
    coverage = coverage_gaps([PPG, YOUTH, CARERS], PROFILE, WARDS)
    assert coverage.uncovered_groups == (("ethnic_group", "black"),)
    assert coverage.uncovered_wards == ("E05000003",)
    table = {row.group: [e.name for e in row.entries] for row in coverage.groups}
    assert table == {
        ("age_band", "16-24"): ["Youth Health Forum"],
        ("age_band", "75-plus"): ["Zephyr Surgery PPG", "Carers Together"],
        ("ethnic_group", "black"): [],
        ("unpaid_carer", "carer"): ["Carers Together"],
    }
    wards = {row.ward: [e.name for e in row.entries] for row in coverage.wards}
    assert wards == {
        "E05000001": ["Zephyr Surgery PPG", "Youth Health Forum"],
        "E05000002": ["Youth Health Forum", "Carers Together"],
        "E05000003": [],
    }


def test_an_entry_without_wards_covers_every_ward_but_no_particular_group() -> None:
    coverage = coverage_gaps([PPG, YOUTH, CARERS, GENERAL], PROFILE, WARDS)
    assert coverage.uncovered_wards == ()
    ward_3 = coverage.wards[2]
    assert ward_3.entries == () and ward_3.area_wide == (GENERAL,)
    assert coverage.wards[0].entries == (PPG, YOUTH)
    # Healthwatch lists no groups, so black residents are still a gap.
    assert coverage.uncovered_groups == (("ethnic_group", "black"),)


def test_an_empty_directory_leaves_everything_a_gap_and_repeats_are_dropped() -> None:
    coverage = coverage_gaps([], [*PROFILE, PROFILE[0]], [*WARDS, "E05000001"])
    assert coverage.uncovered_groups == tuple(PROFILE)
    assert coverage.uncovered_wards == tuple(WARDS)


def test_unknown_groups_and_bad_ward_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="not-stated is not a group"):
        coverage_gaps([], [("age_band", "not-stated")], WARDS)
    with pytest.raises(ValueError, match="religion"):
        coverage_gaps([], [("religion", "none")], WARDS)
    with pytest.raises(ValueError, match="'Ancoats'"):
        coverage_gaps([], PROFILE, ["Ancoats"])


def test_who_reaches_lists_entries_by_kind_then_name() -> None:
    entries = [CARERS, GENERAL, PPG, YOUTH]
    # PPG (kind ppg) comes before Carers Together (kind vcse) in KINDS order.
    assert who_reaches(entries, ("age_band", "75-plus")) == (PPG, CARERS)
    assert who_reaches(entries, ("ethnic_group", "black")) == ()
