"""Coverage gaps: which groups of people and which wards no directory entry reaches.

`coverage_gaps(entries, profile_groups, wards)` takes the Discover entries, the
groups in the hub's population profile ((characteristic, category) pairs in the
characteristics/1 codes) and the hub's ward codes, and gives, for each group and
each ward in the order given, the entries that reach it, so a page can show a
map-free table and list the gaps first.

Two rules, stated on the page too:
- An entry with no wards is taken to reach the whole hub area, so it counts for
  every ward (`WardCoverage.area_wide`); a ward is a gap only when no entry names
  it and no entry is area-wide.
- An entry reaches only the groups it lists. A general group that lists none
  (most patient participation groups) counts for no particular group: being open
  to all is not evidence that a seldom-heard group is reached.

`who_reaches(entries, group)` lists the entries reaching one group, for the
hidden-voices page; other channels (assisted digital, outreach) are added there.
Leaves out: a group within a ward (one characteristic at a time, as the
disclosure rules do) and how well an entry reaches a group.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED
from hub.discover.directory import KINDS, WARD_CODE, DirectoryEntry, Group


@dataclass(frozen=True)
class GroupCoverage:
    group: Group
    entries: tuple[DirectoryEntry, ...]  # those listing the group

    @property
    def covered(self) -> bool:
        return bool(self.entries)


@dataclass(frozen=True)
class WardCoverage:
    ward: str
    entries: tuple[DirectoryEntry, ...]  # those naming the ward
    area_wide: tuple[DirectoryEntry, ...]  # those naming no ward: the whole hub area

    @property
    def covered(self) -> bool:
        return bool(self.entries or self.area_wide)


@dataclass(frozen=True)
class Coverage:
    groups: tuple[GroupCoverage, ...]
    wards: tuple[WardCoverage, ...]

    @property
    def uncovered_groups(self) -> tuple[Group, ...]:
        """Groups of the profile that no entry lists, in profile order."""
        return tuple(row.group for row in self.groups if not row.covered)

    @property
    def uncovered_wards(self) -> tuple[str, ...]:
        """Wards that no entry names, when no entry is area-wide; in the order given."""
        return tuple(row.ward for row in self.wards if not row.covered)


def _check_group(group: Group) -> None:
    characteristic, category = group
    known = CHARACTERISTICS.get(characteristic)
    if known is None or category == NOT_STATED or category not in known.codes:
        raise ValueError(
            f"{group!r} is not a (characteristic, category) pair in the characteristics list "
            "(not-stated is not a group)"
        )


def coverage_gaps(
    entries: Iterable[DirectoryEntry],
    profile_groups: Iterable[Group],
    wards: Iterable[str],
) -> Coverage:
    """Which entries reach each profile group and each ward; see the module docstring's rules.

    Raises ValueError for an unknown group or a malformed ward code (repeats are dropped).
    """
    entries = tuple(entries)
    groups: list[Group] = list(dict.fromkeys((g[0], g[1]) for g in profile_groups))
    for group in groups:
        _check_group(group)
    ward_codes = list(dict.fromkeys(wards))
    bad = [ward for ward in ward_codes if not (isinstance(ward, str) and WARD_CODE.fullmatch(ward))]
    if bad:
        raise ValueError(f"not ONS ward codes: {', '.join(map(repr, bad))}")
    area_wide = tuple(entry for entry in entries if entry.covers_whole_area)
    return Coverage(
        groups=tuple(
            GroupCoverage(group, tuple(e for e in entries if group in e.reaches))
            for group in groups
        ),
        wards=tuple(
            WardCoverage(ward, tuple(e for e in entries if ward in e.wards), area_wide)
            for ward in ward_codes
        ),
    )


def who_reaches(entries: Iterable[DirectoryEntry], group: Group) -> tuple[DirectoryEntry, ...]:
    """The entries listing `group`, ordered by kind (as KINDS) and then name."""
    _check_group(group)
    order = list(KINDS)
    found = [entry for entry in entries if group in entry.reaches]
    return tuple(sorted(found, key=lambda entry: (order.index(entry.kind), entry.name.casefold())))
