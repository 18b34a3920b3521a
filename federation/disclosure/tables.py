"""The engine's input: a hub's true counts of distinct people, as typed tables.

The hub works these out in SQL (GROUP BY, COUNT(DISTINCT …)) and hands them
to `federation.disclosure.engine.protect`; nothing here ever sees a person.
They are TRUE counts and must never leave the hub as they are.

A missing theme, scope, characteristic or category means zero, so a hub only
has to send the rows its query returned. `validate_raw` rejects what cannot
be a real count (negative numbers, unknown codes, breakdowns that do not add
up to their margin) with ValueError: those are bugs in the hub's query, and
publishing from them could make the complementary-suppression proof wrong,
because the proof relies on every category summing to its margin.
Construction itself does not validate: the differential-privacy path builds
noisy RawCounts whose values may be negative before they are clamped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from federation.disclosure.characteristics import CHARACTERISTICS
from federation.taxonomy import CURRENT_VERSION, load_taxonomy

KINDS = ("idea", "concern", "question", "experience")
ALL = "all"  # the whole hub's scope: its margin is participation.participants


@dataclass(frozen=True)
class ThemeCounts:
    people: int = 0  # distinct people who raised or supported anything in the theme
    contributors: int = 0  # distinct people who raised something
    supporters: int = 0  # distinct people who said "me too"
    contributions: int = 0  # items raised, each person's count capped at rule.contribution_cap
    by_kind: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def kind(self, kind: str) -> int:
        return self.by_kind.get(kind, 0)


ZERO_THEME = ThemeCounts()


@dataclass(frozen=True)
class RawCounts:
    participants: int = 0
    contributors: int = 0
    supporters: int = 0
    themes: Mapping[str, ThemeCounts] = field(default_factory=lambda: MappingProxyType({}))
    # scope ("all" or a theme code) -> characteristic -> category -> distinct people
    breakdowns: Mapping[str, Mapping[str, Mapping[str, int]]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def theme(self, code: str) -> ThemeCounts:
        return self.themes.get(code, ZERO_THEME)

    def margin(self, scope: str) -> int:
        """How many people a scope's tables share out: participants, or a theme's people."""
        return self.participants if scope == ALL else self.theme(scope).people

    def breakdown(self, scope: str, characteristic: str) -> dict[str, int]:
        """Every category of one table, in publication order, zeros filled in."""
        given = self.breakdowns.get(scope, {}).get(characteristic, {})
        return {code: given.get(code, 0) for code in CHARACTERISTICS[characteristic].codes}


@dataclass(frozen=True)
class Quote:
    theme: str  # national code
    text: str  # already scrubbed and approved by two staff on the hub


def scopes(taxonomy: str = CURRENT_VERSION) -> tuple[str, ...]:
    """Every breakdown scope, in publication order: "all", then each theme code."""
    return (ALL, *load_taxonomy(taxonomy).codes)


def validate_raw(raw: RawCounts, *, contribution_cap: int, taxonomy: str = CURRENT_VERSION) -> None:
    """Raise ValueError if `raw` cannot be true counts of distinct people."""
    codes = set(load_taxonomy(taxonomy).codes)

    def count(name: str, value: object) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{name} must be a whole number, not {value!r}")
        if value < 0:
            raise ValueError(f"{name} is a count of people and cannot be negative ({value})")
        return value

    participants = count("participants", raw.participants)
    for name in ("contributors", "supporters"):
        if count(name, getattr(raw, name)) > participants:
            raise ValueError(f"{name} ({getattr(raw, name)}) exceeds participants ({participants})")
    for code, theme in raw.themes.items():
        if code not in codes:
            raise ValueError(f"{code!r} is not a theme in {taxonomy}")
        where = f"themes[{code}]"
        people = count(f"{where}.people", theme.people)
        contributors = count(f"{where}.contributors", theme.contributors)
        supporters = count(f"{where}.supporters", theme.supporters)
        contributions = count(f"{where}.contributions", theme.contributions)
        if contributors > people or supporters > people:
            raise ValueError(f"{where}: contributors and supporters are among its people")
        if people > contributors + supporters:
            raise ValueError(f"{where}: each person either raised or supported something")
        if people > participants:
            raise ValueError(f"{where}.people ({people}) exceeds participants ({participants})")
        if not contributors <= contributions <= contributors * contribution_cap:
            raise ValueError(
                f"{where}.contributions ({contributions}) must be between its contributors "
                f"({contributors}) and {contribution_cap} items each (the cap)"
            )
        for kind, value in theme.by_kind.items():
            if kind not in KINDS:
                raise ValueError(f"{where}.by_kind: {kind!r} is not one of {KINDS}")
            if count(f"{where}.by_kind.{kind}", value) > contributors:
                raise ValueError(f"{where}.by_kind.{kind} ({value}) exceeds its contributors")
    for scope, tables in raw.breakdowns.items():
        if scope != ALL and scope not in codes:
            raise ValueError(f"breakdown scope {scope!r} is neither 'all' nor a theme code")
        for characteristic, cells in tables.items():
            if characteristic not in CHARACTERISTICS:
                raise ValueError(f"{characteristic!r} is not a published characteristic")
            known = CHARACTERISTICS[characteristic].codes
            for category, value in cells.items():
                if category not in known:
                    raise ValueError(f"{category!r} is not a category of {characteristic}")
                count(f"breakdowns[{scope}].{characteristic}[{category}]", value)
    # Missing tables mean zeros, so a scope with people needs all five of its tables.
    for scope in scopes(taxonomy):
        margin = raw.margin(scope)
        for characteristic in CHARACTERISTICS:
            total = sum(raw.breakdown(scope, characteristic).values())
            if total != margin:
                raise ValueError(
                    f"breakdowns[{scope}].{characteristic} sums to {total}, but the scope has "
                    f"{margin} people: every person is in exactly one category (not-stated too)"
                )
