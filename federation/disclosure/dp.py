"""Optional differential privacy: discrete Laplace noise on integer counts, through OpenDP.

Suppression and rounding (rules.py) stop a reader picking out a small group
from one release, but they promise nothing about an attacker who already
knows everyone else in the data, or who differences many releases. A hub
that wants a guarantee that holds against any such attacker turns on
differential privacy: before any suppression or rounding, every count in the
release gets independent noise from the discrete Laplace (two-sided
geometric) distribution, scaled so that adding or removing one person changes
the probability of any release by at most a factor e^ε (Ghosh, Roughgarden
and Sundararajan 2012). Suppression, rounding and clamping then run on the
noisy counts; being post-processing, they cannot weaken the guarantee.

Why OpenDP, and why integers: noise is easy to get subtly wrong (Mironov
2012 showed floating-point Laplace leaks through the gaps between floats). The
noise here is sampled by OpenDP's vetted Rust core (`make_laplace` on an
integer vector domain, which samples the discrete Laplace exactly), and the
scale is found and checked with OpenDP's own privacy map, never with a
formula of ours. Nothing here draws a random number itself.

Leaves out: the budget (ledger.py records and caps the ε spent) and what
happens to the noisy numbers afterwards (engine.py clamps, rounds and
suppresses them, and labels every table "geometric+…").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any

import opendp.prelude as opendp

from federation.disclosure.characteristics import CHARACTERISTICS
from federation.disclosure.rules import DisclosureRule
from federation.disclosure.tables import KINDS, RawCounts, ThemeCounts, scopes, validate_raw
from federation.taxonomy import CURRENT_VERSION, load_taxonomy

MECHANISM = "geometric"
# ε per release. Above 10 the promise (a factor e^10 ≈ 22,000) protects no
# one; below 0.001 the noise (scale ≥ 53,000 people at the default
# sensitivity) would bury every count. Either is almost certainly a typo.
MIN_EPSILON = Decimal("0.001")
MAX_EPSILON = Decimal(10)
PARTICIPATION_CELLS = 3  # participants, contributors, supporters
THEME_COUNT_CELLS = 3  # people, contributors, supporters (each distinct people)
# Where OpenDP's binary search looks for the scale. Explicit bounds save its
# exponential bounds search (~1,100 measurements, a second); the answer for
# any ε and sensitivity allowed here lies far inside them.
_SCALE_SEARCH_BOUNDS = (1e-6, 1e12)
# OpenDP's integer type for the counts: 64-bit, so no real count overflows.
_INTEGER = "i64"


class PrivacyError(ValueError):
    """A privacy setting the mechanism cannot honour (ε out of range, no valid scale)."""


@dataclass(frozen=True)
class PrivacySpec:
    """A hub's differential-privacy setting for one release.

    `epsilon` is what this release spends. `max_themes_per_person` is the
    bound M the hub's SQL enforces when DP is on: a person's activity counts
    in at most the first M themes they touched in the period, so one person
    can change only that many themes' counts (see `sensitivity`). `budget` is
    the block ledger.budget_block produced, embedded as disclosure.budget.
    """

    epsilon: Decimal
    max_themes_per_person: int = 3
    budget: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        check_epsilon(self.epsilon)
        themes = len(load_taxonomy(CURRENT_VERSION).codes)
        m = self.max_themes_per_person
        if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= themes:
            raise PrivacyError(
                f"max_themes_per_person must be a whole number 1–{themes}, got {m!r}"
            )


@dataclass(frozen=True)
class NoisyCounts(RawCounts):
    """RawCounts after noise: same shape, but values may be negative and need not add up.

    A subclass so the engine accepts it where it takes RawCounts, and can tell
    (isinstance) that it must not run `validate_raw`'s sum and sign checks on
    it: noisy breakdowns no longer sum to their noisy margins, and a count
    may be below zero until post-processing clamps it. `add_noise` validates
    the true counts before adding noise.
    """


def check_epsilon(epsilon: Decimal) -> Decimal:
    """ε as given, if it is a Decimal within [MIN_EPSILON, MAX_EPSILON]; else PrivacyError.

    A float is refused: the ledger adds ε up exactly, and 0.1 as a float is not 0.1.
    """
    if not isinstance(epsilon, Decimal):
        raise PrivacyError(f"epsilon must be a Decimal (e.g. Decimal('0.5')), not {epsilon!r}")
    try:
        in_range = epsilon.is_finite() and MIN_EPSILON <= epsilon <= MAX_EPSILON
    except InvalidOperation:  # a signalling NaN
        in_range = False
    if not in_range:
        raise PrivacyError(
            f"epsilon must be between {MIN_EPSILON} and {MAX_EPSILON} per release, got {epsilon}"
        )
    return epsilon


def sensitivity(rule: DisclosureRule, spec: PrivacySpec) -> int:
    """The most one person can change the whole release vector, summed over cells (L1).

    Neighbouring datasets differ by one person (added or removed, with all
    their activity). Every published count is of distinct people except
    `contributions`, which counts items but caps each person at
    rule.contribution_cap. So one person moves:

    - participation: participants, contributors, supporters: 1 each → 3;
    - the five "all"-scope breakdown tables: they fall in exactly one
      category of each characteristic → 5;
    - in each theme they touch: people, contributors, supporters (1 each,
      3), contributions (up to contribution_cap), by_kind (1 in each of the
      4 kinds they may have raised, 4) and the five theme breakdown tables
      (1 each, 5);
    - and they touch at most M = spec.max_themes_per_person themes, because
      with DP on the hub's SQL counts a person's acts only in the first M
      themes they touched in the period (without that bound one person could
      move all 26 themes).

    Total 3 + 5 + M × (3 + cap + 4 + 5): 53 under the defaults (M 3, cap 3).
    """
    per_theme = THEME_COUNT_CELLS + rule.contribution_cap + len(KINDS) + len(CHARACTERISTICS)
    return PARTICIPATION_CELLS + len(CHARACTERISTICS) + spec.max_themes_per_person * per_theme


@cache
def _space() -> tuple[Any, Any]:
    """The input space, built once: OpenDP's binary search makes ~1,000 measurements."""
    opendp.enable_features("contrib")  # make_laplace is in OpenDP's "contrib" set
    return (
        opendp.vector_domain(opendp.atom_domain(T=_INTEGER)),
        opendp.l1_distance(T=_INTEGER),
    )


def make_mechanism(scale: float) -> Any:
    """OpenDP's discrete Laplace measurement on a vector of 64-bit integers, L1 metric."""
    if not math.isfinite(scale) or scale <= 0:
        raise PrivacyError(f"noise scale must be a positive finite number, got {scale}")
    return opendp.m.make_laplace(*_space(), scale=scale)


def _float_at_most(value: Decimal) -> float:
    """The largest float not above `value`, so a float bound never exceeds the exact one."""
    nearest = float(value)
    return math.nextafter(nearest, -math.inf) if Decimal(nearest) > value else nearest


def epsilon_for_scale(scale: float, sensitivity: int) -> Decimal:
    """The ε OpenDP's privacy map gives the mechanism at `scale` for that sensitivity (exact)."""
    return Decimal(make_mechanism(scale).map(d_in=sensitivity))


def scale_for_epsilon(epsilon: Decimal, sensitivity: int) -> float:
    """The smallest noise scale OpenDP certifies as ε-DP at this L1 sensitivity.

    Found by OpenDP's binary search over its own privacy map, aiming at the
    largest float not above ε, then re-checked: the exact value of the map's
    answer must be <= ε, or PrivacyError.
    """
    check_epsilon(epsilon)
    if isinstance(sensitivity, bool) or not isinstance(sensitivity, int) or sensitivity < 1:
        raise PrivacyError(f"sensitivity must be a whole number >= 1, got {sensitivity!r}")
    return _search_scale(epsilon, sensitivity)


@lru_cache(maxsize=64)
def _search_scale(epsilon: Decimal, sensitivity: int) -> float:
    # Cached: a hub asks for the same (ε, sensitivity) every release. Only
    # called with a checked ε and sensitivity (an sNaN cannot be hashed).
    try:
        scale = float(
            opendp.binary_search_param(
                make_mechanism,
                d_in=sensitivity,
                d_out=_float_at_most(epsilon),
                bounds=_SCALE_SEARCH_BOUNDS,
                T=float,
            )
        )
    except (ValueError, opendp.OpenDPException) as exc:
        raise PrivacyError(f"OpenDP found no noise scale for ε={epsilon}: {exc}") from exc
    if epsilon_for_scale(scale, sensitivity) > epsilon:
        raise PrivacyError(f"OpenDP's privacy map puts scale {scale} above ε={epsilon}")
    return scale


def _flatten(raw: RawCounts) -> list[int]:
    """Every count of the release in a fixed order, missing ones materialised as 0.

    Missing categories, themes and kinds must be noised like any other: if a
    zero were left out (or left at exactly 0), its absence would tell a
    reader the true count was zero.
    """
    values = [raw.participants, raw.contributors, raw.supporters]
    for code in load_taxonomy(CURRENT_VERSION).codes:
        theme = raw.theme(code)
        values += [theme.people, theme.contributors, theme.supporters, theme.contributions]
        values += [theme.kind(kind) for kind in KINDS]
    for scope in scopes():
        for characteristic in CHARACTERISTICS:
            values += raw.breakdown(scope, characteristic).values()
    return values


def _unflatten(values: list[int]) -> NoisyCounts:
    """The inverse of `_flatten`: the same positions back into a NoisyCounts."""
    numbers = iter(values)
    participants, contributors, supporters = next(numbers), next(numbers), next(numbers)
    themes: dict[str, ThemeCounts] = {}
    for code in load_taxonomy(CURRENT_VERSION).codes:
        people, theme_contributors, theme_supporters, contributions = (
            next(numbers) for _ in range(4)
        )
        by_kind = {kind: next(numbers) for kind in KINDS}
        themes[code] = ThemeCounts(
            people=people,
            contributors=theme_contributors,
            supporters=theme_supporters,
            contributions=contributions,
            by_kind=MappingProxyType(by_kind),
        )
    breakdowns: dict[str, Mapping[str, Mapping[str, int]]] = {}
    for scope in scopes():
        tables: dict[str, Mapping[str, int]] = {}
        for code, characteristic in CHARACTERISTICS.items():
            tables[code] = MappingProxyType({cat: next(numbers) for cat in characteristic.codes})
        breakdowns[scope] = MappingProxyType(tables)
    if next(numbers, None) is not None:
        raise AssertionError("the noisy vector is longer than the release")
    return NoisyCounts(
        participants=participants,
        contributors=contributors,
        supporters=supporters,
        themes=MappingProxyType(themes),
        breakdowns=MappingProxyType(breakdowns),
    )


def cell_count() -> int:
    """How many counts a release noises (the ledger's `cells`)."""
    return len(_flatten(RawCounts()))


def add_noise(raw: RawCounts, spec: PrivacySpec, rule: DisclosureRule) -> NoisyCounts:
    """Every count in `raw` plus discrete Laplace noise, the whole release ε-DP.

    One OpenDP measurement over the full vector (participation, every theme's
    counts and kinds, every breakdown category of every scope, zeros
    included), calibrated to `sensitivity(rule, spec)` and spec.epsilon. The
    true counts are validated first (the sensitivity bound assumes they are
    real distinct-person counts with contributions capped). The result may
    hold negative values and breakdowns that do not sum to their margins: the
    engine post-processes it (clamp at 0, round, suppress) and must not
    re-validate it as true counts. Fresh noise on every call: the hub caches
    the release, so a period is noised, and charged, once.
    """
    validate_raw(raw, contribution_cap=rule.contribution_cap)
    bound = sensitivity(rule, spec)
    mechanism = make_mechanism(scale_for_epsilon(spec.epsilon, bound))
    if Decimal(mechanism.map(d_in=bound)) > spec.epsilon:  # belt and braces: OpenDP's own map
        raise PrivacyError(f"the mechanism is not ε={spec.epsilon}-DP at sensitivity {bound}")
    truth = _flatten(raw)
    noisy = [int(value) for value in mechanism(truth)]
    if len(noisy) != len(truth):
        raise PrivacyError("OpenDP returned a vector of the wrong length")
    return _unflatten(noisy)
