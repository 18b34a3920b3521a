"""The hub's area population profile: how many people live there, per "about you" category.

Hidden voices compares who takes part with who lives in the area, so the hub
needs the area's population split the same way as the optional "about you"
questions (federation/data/characteristics-1.json). A council makes the
profile from Census 2021 tables (Nomis or the ONS "create a custom dataset"
tool) as a CSV of people counts:

    characteristic,category,count,source
    ethnic_group,asian,115109,Census 2021 TS021
    ethnic_group,black,65893,Census 2021 TS021
    ...

- `characteristic` and `category` are the codes of the characteristics list
  (`age_band`, `ethnic_group`, `disability`, `unpaid_carer`, `urban_rural`, …).
- `count` is a whole number of people, 0 or more; a characteristic given at
  all needs one row for each of its categories (0 if nobody) and a total above 0.
- `not-stated` rows are refused: the census has no such category, and a share
  of the population must be a share of everyone.
- `source` is optional free text (which table, which year) and is kept.
- A characteristic may be left out (a council may lack a table); the
  representation then says "no population figure" for it instead of guessing.

A share is a category's count divided by the characteristic's total, so the
totals may differ between characteristics (unpaid care counts people aged 5
and over; the demo's urban/rural figures are from 2011).

Public API:

- `parse_profile_csv(text, label="") -> PopulationProfile`; every problem is
  collected and raised together as `ProfileError(errors)`, each message naming
  its CSV line; nothing partial is returned.
- `PopulationProfile.from_counts(counts, label="", source="")` for counts
  already in hand (checked the same way).
- `PopulationProfile`: `.characteristics`, `.counts(characteristic)`,
  `.total(characteristic)`, `.share(characteristic, category)`, `.to_csv()`
  (`parse_profile_csv(p.to_csv(), p.label) == p`), `.label`.
- `demo_profile(gss)`: the demo area's illustrative profile from
  `hubnet.demo_data.census_profile`.

Pure Python: no database, no Flask; the caller stores the CSV text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED

COLUMNS = ("characteristic", "category", "count")
OPTIONAL_COLUMNS = ("source",)
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")


class ProfileError(ValueError):
    """A population profile that cannot be used; `errors` lists every problem found."""

    def __init__(self, errors: Iterable[str]) -> None:
        self.errors: tuple[str, ...] = tuple(errors)
        problems = "1 problem" if len(self.errors) == 1 else f"{len(self.errors)} problems"
        listed = "\n".join(f"- {error}" for error in self.errors)
        super().__init__(f"the population profile has {problems}:\n{listed}")


@dataclass(frozen=True)
class PopulationRow:
    """The number of people in the area in one category of one characteristic."""

    characteristic: str
    category: str
    count: int
    source: str = ""


@dataclass(frozen=True)
class PopulationProfile:
    """Checked people counts per characteristic and category, in the catalogue's order.

    Build one with `parse_profile_csv` or `from_counts`; constructing it
    directly checks the rows too (raising `ProfileError`) and puts them in the
    catalogue's order, so two profiles with the same figures compare equal.
    """

    rows: tuple[PopulationRow, ...]
    label: str = ""
    _by_characteristic: Mapping[str, Mapping[str, int]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        entries, errors = [], []
        for row in self.rows:
            where = f"{row.characteristic} {row.category}"
            whole = isinstance(row.count, int) and not isinstance(row.count, bool)
            if not whole:
                errors.append(f"{where}: count {row.count!r} is not a whole number of people")
            count = row.count if whole else None
            entries.append(_Entry(where, row.characteristic, row.category, count, row.source))
        errors.extend(_check_entries(entries))
        if not self.rows:
            errors.append("no figures at all")
        if errors:
            raise ProfileError(errors)
        ordered = tuple(sorted(self.rows, key=_catalogue_position))
        object.__setattr__(self, "rows", ordered)
        by_characteristic: dict[str, dict[str, int]] = {}
        for row in ordered:
            by_characteristic.setdefault(row.characteristic, {})[row.category] = row.count
        object.__setattr__(self, "_by_characteristic", by_characteristic)

    @classmethod
    def from_counts(
        cls, counts: Mapping[str, Mapping[str, int]], label: str = "", source: str = ""
    ) -> PopulationProfile:
        """A profile from {characteristic: {category: people}}, every row with the same source."""
        rows = tuple(
            PopulationRow(characteristic, category, count, source)
            for characteristic, categories in counts.items()
            for category, count in categories.items()
        )
        return cls(rows, label)

    @property
    def characteristics(self) -> tuple[str, ...]:
        """The characteristics this profile has figures for, in the catalogue's order."""
        return tuple(self._by_characteristic)

    def counts(self, characteristic: str) -> Mapping[str, int]:
        """People per category of a characteristic; KeyError if the profile lacks it."""
        if characteristic not in self._by_characteristic:
            raise KeyError(f"the population profile has no figures for {characteristic!r}")
        return dict(self._by_characteristic[characteristic])

    def total(self, characteristic: str) -> int:
        """Everyone counted for a characteristic (the denominator of its shares)."""
        return sum(self.counts(characteristic).values())

    def share(self, characteristic: str, category: str) -> float:
        """The category's share of the characteristic's total, 0 to 1; KeyError if not given."""
        counts = self.counts(characteristic)
        if category not in counts:
            raise KeyError(f"the population profile has no {characteristic} {category!r}")
        return counts[category] / sum(counts.values())

    def to_csv(self) -> str:
        """The profile as CSV (with the source column if any row has one); parses back equal."""
        with_source = any(row.source for row in self.rows)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS + OPTIONAL_COLUMNS if with_source else COLUMNS)
        for row in self.rows:
            values = [row.characteristic, row.category, str(row.count)]
            writer.writerow([*values, row.source] if with_source else values)
        return out.getvalue()


def parse_profile_csv(text: str, label: str = "") -> PopulationProfile:
    """Read a population profile CSV; `ProfileError` lists every problem with its line number."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header: list[str] | None = None
    errors: list[str] = []
    entries: list[_Entry] = []
    for fields in reader:
        line = reader.line_num
        if not any(value.strip() for value in fields):
            continue  # blank lines (and a trailing one) carry nothing
        if header is None:
            header = [name.strip().lower() for name in fields]
            header_errors = _check_header(header, line)
            if header_errors:
                raise ProfileError(header_errors)
            continue
        padded = [value.strip() for value in fields] + [""] * (len(header) - len(fields))
        values = dict(zip(header, padded, strict=False))
        count: int | str
        if len(fields) != len(header):
            # still check its codes, so a later "no row for …" does not mislead
            count = f"{len(fields)} values where the header has {len(header)} columns"
        else:
            count = _parse_count(values["count"])
        if isinstance(count, str):
            errors.append(f"line {line}: {count}")
        entries.append(
            _Entry(
                f"line {line}",
                values["characteristic"],
                values["category"],
                count if isinstance(count, int) else None,
                values.get("source", ""),
            )
        )
    if header is None:
        raise ProfileError(
            ["the file is empty: the first line must be characteristic,category,count"]
        )
    if not entries and not errors:
        errors.append("the file has a header but no rows of figures")
    errors.extend(_check_entries(entries))
    if errors:
        raise ProfileError(sorted(errors, key=_line_order))
    rows = tuple(
        PopulationRow(e.characteristic, e.category, e.people or 0, e.source) for e in entries
    )
    return PopulationProfile(rows, label)


def demo_profile(gss: str) -> PopulationProfile:
    """The demo area's profile, built from the Census 2021 figures shipped with the demo.

    Illustrative only, and labelled so: the demo's figures mix published
    tables with derived sums (and a 2011 urban/rural split), which is good
    enough to show how hidden voices works but is not a council's own profile.
    LookupError if the demo has no figures for `gss`.
    """
    from hubnet.demo_data import census_profile, demo_areas  # demo data only, not at import

    names = {area.gss: area.name for area in demo_areas()}
    counts = census_profile(gss)
    place = f"{names[gss]} ({gss})" if gss in names else gss
    label = (
        f"Illustrative profile built from Census 2021 figures for the demo area {place}; "
        "not a council's own population profile."
    )
    source = "hubnet demo data: hubnet/data/census2021_area_profiles.csv (illustrative)"
    return PopulationProfile.from_counts(counts, label=label, source=source)


def _check_header(header: list[str], line: int) -> list[str]:
    errors = []
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        errors.append(f"line {line}: the header lacks {', '.join(missing)}")
    unknown = [name for name in header if name not in COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        errors.append(f"line {line}: unknown column {', '.join(repr(name) for name in unknown)}")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        errors.append(f"line {line}: column {', '.join(repeated)} given twice")
    if errors:
        errors.append(
            f"line {line}: the header must be characteristic,category,count (and optionally source)"
        )
    return errors


def _parse_count(text: str) -> int | str:
    """The count as an int, or the reason it is not a usable number of people."""
    if not _WHOLE_NUMBER.fullmatch(text):
        return f"count {text!r} is not a whole number of people (digits only, e.g. 1234)"
    count = int(text)
    if count < 0:
        return f"count {count} is negative"
    return count


class _Entry(NamedTuple):
    where: str  # "line 7" in a CSV, "ethnic_group asian" otherwise
    characteristic: str
    category: str
    people: int | None  # None: not a usable count, already reported
    source: str


def _check_entries(entries: list[_Entry]) -> list[str]:
    """Every problem with the codes and totals of a set of rows, each saying where it is."""
    errors: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    given: dict[str, list[_Entry]] = {}
    unusable: set[str] = set()  # characteristics with a row whose count is bad
    for entry in entries:
        problem = _code_problem(entry.characteristic, entry.category)
        key = (entry.characteristic, entry.category)
        if problem is None and key in seen:
            problem = (
                f"{entry.characteristic} {entry.category!r} is given twice (first at {seen[key]})"
            )
        if problem is None and entry.people is not None and entry.people < 0:
            problem = f"count {entry.people} is negative"
        if problem is not None:
            errors.append(f"{entry.where}: {problem}")
            unusable.add(entry.characteristic)
            continue
        seen[key] = entry.where
        given.setdefault(entry.characteristic, []).append(entry)
        if entry.people is None:
            unusable.add(entry.characteristic)
    for code, rows in given.items():
        present = {entry.category for entry in rows}
        missing = [c for c in CHARACTERISTICS[code].codes if c != NOT_STATED and c not in present]
        first = rows[0].where
        if missing:
            errors.append(
                f"{code} (from {first}): no row for {', '.join(missing)}; give one row per "
                "category, with 0 where nobody is in it"
            )
        elif code not in unusable and sum(entry.people or 0 for entry in rows) == 0:
            errors.append(f"{code} (from {first}): the counts add up to 0, so it has no shares")
    return errors


def _line_order(error: str) -> tuple[int, str]:
    """Errors in the order of the file: "line 7: …" and "age_band (from line 3): …"."""
    match = re.search(r"line ([0-9]+)", error)
    return (int(match.group(1)) if match else 0, error)


def _code_problem(characteristic: str, category: str) -> str | None:
    if not characteristic:
        return "the characteristic is empty"
    if characteristic not in CHARACTERISTICS:
        return f"{characteristic!r} is not a characteristic; the characteristics are: " + ", ".join(
            CHARACTERISTICS
        )
    if category == NOT_STATED:
        return (
            f"{characteristic} {NOT_STATED!r} is not a population category (the census "
            "has none); leave the row out"
        )
    codes = CHARACTERISTICS[characteristic].codes
    if category not in codes:
        categories = ", ".join(code for code in codes if code != NOT_STATED)
        return (
            f"{category!r} is not a category of {characteristic}; the categories are: {categories}"
        )
    return None


def _catalogue_position(row: PopulationRow) -> tuple[int, int]:
    codes = list(CHARACTERISTICS)
    return codes.index(row.characteristic), CHARACTERISTICS[row.characteristic].codes.index(
        row.category
    )
