"""Fair stratified random selection of a citizens' panel (maximin), drawn from a published seed.

A hub chooses a Citizens' Jury or Assembly of `panel_size` people from a pool of
volunteers so that the panel's make-up meets quotas taken from the area's
population profile. Many panels meet the quotas; *which* lottery over them we
run decides how likely each volunteer is to be chosen. Picking "any panel that
fits" (what a greedy or naive tool does) leaves some volunteers, usually those
in over-represented groups with unusual combinations, with almost no chance.
This module uses the maximin method of Flanigan, Gölz, Gupta, Hennig and
Procaccia, "Fair algorithms for selecting citizens' assemblies", Nature 596,
548–552 (2021): among all probability distributions over quota-meeting panels,
choose one that maximises the *smallest* selection probability of any
volunteer, then draw one panel from it.

How the distribution is found (column generation, the paper's MAXIMIN):

1. Find panels meeting the quotas with a mixed-integer program (binary x_i per
   volunteer, sum x_i = n, each quota's lower <= count <= upper), first until
   every volunteer who can be on some panel is on one. A volunteer who fits no
   quota-meeting panel at all (say the only 65-74 year old when that band's
   maximum is 0) gets probability 0 and is listed in `unreachable`; the maximin
   is then over everyone else, as in the paper.
2. Repeat: solve the restricted dual LP  min t  s.t. sum_{i in P} y_i <= t for
   each known panel P, sum y_i = 1, y >= 0; then the pricing MILP: the
   quota-meeting panel with the largest sum_{i in P} y_i. If that is at most
   t + 1e-7 no panel can raise the minimum and we stop; otherwise add it.
3. Solve the primal LP over the found panels: max z s.t. each volunteer's
   probability sum_{P ∋ i} p_P >= z, sum p_P = 1, p >= 0. Panels with p < 1e-9
   are dropped and the rest renormalised.

Both LP and MILP are solved by HiGHS through scipy (`linprog`, `milp`), so no
commercial solver licence is needed. The maximin vector is not unique: the
method guarantees the minimum, not how probability is shared above it.

Determinism: volunteers are ordered by id and quotas by (characteristic,
category) before anything is solved, and the random weights of step 1 come
from a fixed seed, so the same pool and quotas give the same panels and
probabilities every time. The draw itself (`draw`) takes a published seed
string: SHA-256 of its UTF-8 bytes, the first 53 bits as an integer k, the
point u = k / 2**53 in [0, 1); panels are put in canonical order (each panel
its sorted ids, panels sorted), their probabilities added in that order, and
the first panel whose running total exceeds u is chosen. Anyone with the
published distribution and seed can repeat it.

API:

- `Volunteer(id, features)`: features map characteristic code → category code
  (any strings; the hub uses federation/disclosure/characteristics.py codes).
  A volunteer whose category has no quota is not constrained by that
  characteristic.
- `Quota(characteristic, category, minimum, maximum)`: panel members with that
  category, inclusive bounds.
- `quotas_from_profile(profile, panel_size, *, oversample={}, slack=1)`.
- `find_distribution(volunteers, quotas, panel_size) -> Distribution`.
- `draw(distribution, seed) -> frozenset[str]`.
- `select_panel(volunteers, quotas, panel_size, seed) -> SelectionReport`,
  with `as_dict()` for the published report.
- `Infeasible`: no panel meets the quotas; the message names the quotas that
  cannot be met together where a simple count shows it.

Not covered here: storing pools and draws, contacting the people drawn, and
replacing those who decline (a redraw is a new selection with its own seed).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_array, hstack

STOP_TOLERANCE = 1e-7  # pricing value must beat t by more than this to add a panel
DROP_BELOW = 1e-9  # panels with less probability than this are dropped
INITIAL_SEED = 20210804  # fixed seed for the random weights of the first panels (paper's date)
MAX_ROUNDS = 100_000  # guard: column generation ends long before this in practice

METHOD_NOTE = (
    "Maximin selection (Flanigan, Gölz, Gupta, Hennig, Procaccia, 'Fair algorithms for "
    "selecting citizens' assemblies', Nature 596, 548–552 (2021), doi:10.1038/s41586-021-"
    "03788-6): among all lotteries over panels that meet the quotas, the one that maximises "
    "the smallest selection probability of any volunteer who can be on such a panel, found "
    "by column generation with HiGHS (scipy). Volunteers who fit no quota-meeting panel have "
    "probability 0 and are listed. The panel was drawn by hashing the published seed with "
    "SHA-256 to a point in [0, 1) against the panels' cumulative probabilities in sorted order."
)


class Infeasible(ValueError):
    """No panel of the requested size meets every quota with this pool."""

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("no panel meets the quotas: " + "; ".join(self.reasons))


@dataclass(frozen=True)
class Volunteer:
    id: str
    features: Mapping[str, str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", MappingProxyType(dict(self.features)))


@dataclass(frozen=True, order=True)
class Quota:
    characteristic: str
    category: str
    minimum: int
    maximum: int

    def __post_init__(self) -> None:
        if self.minimum < 0 or self.maximum < self.minimum:
            raise ValueError(
                f"quota {self.characteristic}={self.category}: need 0 <= minimum <= maximum, "
                f"got {self.minimum}..{self.maximum}"
            )

    def admits(self, volunteer: Volunteer) -> bool:
        """Whether this volunteer counts towards the quota."""
        return volunteer.features.get(self.characteristic) == self.category


@dataclass(frozen=True)
class Distribution:
    """A lottery over panels and what it gives each volunteer."""

    panels: tuple[tuple[str, ...], ...]  # each panel's sorted ids; panels sorted
    panel_probabilities: tuple[float, ...]  # same order as panels, summing to 1
    probabilities: Mapping[str, float]  # volunteer id → chance of being on the panel
    minimum: float  # smallest probability among volunteers who can be on a panel
    unreachable: tuple[str, ...]  # ids who fit no quota-meeting panel (probability 0)


@dataclass(frozen=True)
class QuotaOutcome:
    quota: Quota
    in_panel: int
    in_pool: int


@dataclass(frozen=True)
class SelectionReport:
    seed: str
    panel_size: int
    quotas: tuple[Quota, ...]
    panel: tuple[str, ...]
    make_up: tuple[QuotaOutcome, ...]
    probabilities: Mapping[str, float]
    minimum_probability: float
    support_size: int
    unreachable: tuple[str, ...]
    method: str = field(default=METHOD_NOTE)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data for the published selection report."""
        return {
            "method": self.method,
            "seed": self.seed,
            "panel_size": self.panel_size,
            "panel": list(self.panel),
            "quotas": [
                {
                    "characteristic": o.quota.characteristic,
                    "category": o.quota.category,
                    "minimum": o.quota.minimum,
                    "maximum": o.quota.maximum,
                    "in_panel": o.in_panel,
                    "in_pool": o.in_pool,
                }
                for o in self.make_up
            ],
            "probabilities": dict(sorted(self.probabilities.items())),
            "minimum_probability": self.minimum_probability,
            "support_size": self.support_size,
            "unreachable": list(self.unreachable),
        }


def quotas_from_profile(
    profile: Mapping[str, Mapping[str, float]],
    panel_size: int,
    *,
    oversample: Mapping[tuple[str, str], float] | None = None,
    slack: int = 1,
) -> list[Quota]:
    """Quotas target ± slack from population shares, oversampling seldom-heard categories.

    For each characteristic the shares are normalised to sum to 1. An oversampled
    category's target is share × panel_size × factor (at most the panel); the seats
    left are shared among the other categories in proportion to their shares. The
    targets are then made whole by the largest-remainder method (round each down,
    then give the seats still free one each to the largest fractional parts, ties
    to the larger share, then the category code), so the whole targets sum to
    exactly panel_size. That is each target rounded to the nearest whole number
    whenever those already sum to panel_size (exact halves aside), and it means
    the minimums (target − slack, at least 0) never sum above the panel and the
    maximums (target + slack, at most the panel) never below it.
    """
    if panel_size < 1 or slack < 0:
        raise ValueError("panel_size must be at least 1 and slack at least 0")
    oversample = dict(oversample or {})
    for characteristic, category in oversample:
        if category not in profile.get(characteristic, {}):
            raise ValueError(f"oversample {characteristic}={category} is not in the profile")
        if oversample[(characteristic, category)] <= 0:
            raise ValueError(f"oversample {characteristic}={category}: the factor must be above 0")
    quotas: list[Quota] = []
    for characteristic in sorted(profile):
        shares = profile[characteristic]
        total = math.fsum(shares.values())
        if total <= 0 or any(share < 0 for share in shares.values()):
            raise ValueError(f"{characteristic}: shares must be non-negative with a positive sum")
        boosted = {
            category: min(
                float(panel_size),
                shares[category] / total * panel_size * oversample[(characteristic, category)],
            )
            for category in shares
            if (characteristic, category) in oversample
        }
        if math.fsum(boosted.values()) > panel_size:
            raise ValueError(f"{characteristic}: oversampled targets exceed the panel")
        rest = panel_size - math.fsum(boosted.values())
        rest_share = math.fsum(s for c, s in shares.items() if c not in boosted)
        targets = {
            category: boosted.get(category, share / rest_share * rest if rest_share > 0 else 0.0)
            for category, share in shares.items()
        }
        for category, seats in _largest_remainder(targets, shares, panel_size).items():
            quotas.append(
                Quota(
                    characteristic,
                    category,
                    max(0, seats - slack),
                    min(panel_size, seats + slack),
                )
            )
    return quotas


def _largest_remainder(
    targets: Mapping[str, float], shares: Mapping[str, float], seats: int
) -> dict[str, int]:
    whole = {category: math.floor(target) for category, target in targets.items()}
    free = seats - sum(whole.values())
    order = sorted(targets, key=lambda c: (-(targets[c] - whole[c]), -shares[c], c))
    for category in order[: max(0, free)]:
        whole[category] += 1
    return dict(sorted(whole.items()))


def find_distribution(
    volunteers: Iterable[Volunteer], quotas: Iterable[Quota], panel_size: int
) -> Distribution:
    """The maximin lottery over quota-meeting panels of panel_size (see the module docstring)."""
    pool, rules = _canonical(volunteers, quotas, panel_size)
    reasons = _counting_reasons(pool, rules, panel_size)
    if reasons:
        raise Infeasible(reasons)
    model = _PanelModel(pool, rules, panel_size)
    panels, reachable = model.cover()
    if not panels:
        raise Infeasible(
            [
                "the quotas cannot all be met together by any panel of "
                f"{panel_size} from this pool (no simple count shows which clash; "
                "try widening quotas on characteristics that go together, or recruit more "
                "volunteers)"
            ]
        )
    index = np.flatnonzero(reachable)
    seen = set(panels)
    for _ in range(MAX_ROUNDS):
        weights, t = _restricted_dual(panels, index, len(pool))
        panel, value = model.best_panel(weights)
        if value <= t + STOP_TOLERANCE or panel in seen:
            break
        panels.append(panel)
        seen.add(panel)
    probabilities = _maximin_primal(panels, index, len(pool))
    kept = [(p, q) for p, q in zip(panels, probabilities, strict=True) if q >= DROP_BELOW]
    total = math.fsum(q for _, q in kept)
    named = sorted((tuple(sorted(pool[i].id for i in panel)), q / total) for panel, q in kept)
    per_volunteer = dict.fromkeys((v.id for v in pool), 0.0)
    for ids, q in named:
        for volunteer_id in ids:
            per_volunteer[volunteer_id] += q
    unreachable = tuple(pool[i].id for i in np.flatnonzero(~reachable))
    minimum = min(per_volunteer[pool[i].id] for i in index)
    return Distribution(
        panels=tuple(ids for ids, _ in named),
        panel_probabilities=tuple(q for _, q in named),
        probabilities=MappingProxyType(per_volunteer),
        minimum=minimum,
        unreachable=unreachable,
    )


def draw(distribution: Distribution, seed: str) -> frozenset[str]:
    """The panel the published seed picks from the distribution (see the module docstring)."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    point = (int.from_bytes(digest[:8], "big") >> 11) / 2**53
    ordered = sorted(
        zip(distribution.panels, distribution.panel_probabilities, strict=True),
        key=lambda pair: tuple(sorted(pair[0])),
    )
    running = 0.0
    for panel, probability in ordered:
        running += probability
        if point < running:
            return frozenset(panel)
    return frozenset(ordered[-1][0])  # rounding left the total a hair under 1


def select_panel(
    volunteers: Iterable[Volunteer], quotas: Iterable[Quota], panel_size: int, seed: str
) -> SelectionReport:
    """Find the maximin distribution, draw one panel with the seed, and report both."""
    pool = list(volunteers)
    rules = sorted(quotas)
    distribution = find_distribution(pool, rules, panel_size)
    panel = draw(distribution, seed)
    chosen = [v for v in pool if v.id in panel]
    make_up = tuple(
        QuotaOutcome(
            quota,
            in_panel=sum(quota.admits(v) for v in chosen),
            in_pool=sum(quota.admits(v) for v in pool),
        )
        for quota in rules
    )
    return SelectionReport(
        seed=seed,
        panel_size=panel_size,
        quotas=tuple(rules),
        panel=tuple(sorted(panel)),
        make_up=make_up,
        probabilities=distribution.probabilities,
        minimum_probability=distribution.minimum,
        support_size=len(distribution.panels),
        unreachable=distribution.unreachable,
    )


def _canonical(
    volunteers: Iterable[Volunteer], quotas: Iterable[Quota], panel_size: int
) -> tuple[list[Volunteer], list[Quota]]:
    pool = sorted(volunteers, key=lambda v: v.id)
    ids = [v.id for v in pool]
    if len(set(ids)) != len(ids):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"volunteer ids must be unique; repeated: {', '.join(duplicates)}")
    rules = sorted(quotas)
    keys = [(q.characteristic, q.category) for q in rules]
    if len(set(keys)) != len(keys):
        raise ValueError("at most one quota per characteristic and category")
    if panel_size < 1:
        raise ValueError("panel_size must be at least 1")
    return pool, rules


def _counting_reasons(pool: list[Volunteer], rules: list[Quota], panel_size: int) -> list[str]:
    """Quotas that simple counting shows cannot be met together (empty if none found)."""
    reasons: list[str] = []
    if len(pool) < panel_size:
        reasons.append(f"the pool has {len(pool)} volunteers, fewer than the panel of {panel_size}")
    for quota in rules:
        have = sum(quota.admits(v) for v in pool)
        if quota.minimum > have:
            reasons.append(
                f"{quota.characteristic}={quota.category} needs at least {quota.minimum} "
                f"but the pool has {have}"
            )
    for characteristic in sorted({q.characteristic for q in rules}):
        own = [q for q in rules if q.characteristic == characteristic]
        minimums = sum(q.minimum for q in own)
        if minimums > panel_size:
            listed = ", ".join(f"{q.category} {q.minimum}" for q in own)
            reasons.append(
                f"{characteristic}: the minimums ({listed}) "
                f"sum to {minimums}, more than the panel of {panel_size}"
            )
        capped = {q.category: q.maximum for q in own}
        room = 0
        for volunteer in pool:
            category = volunteer.features.get(characteristic)
            room += 1 if category not in capped else 0
        for category, maximum in capped.items():
            room += min(maximum, sum(v.features.get(characteristic) == category for v in pool))
        if room < panel_size:
            listed = ", ".join(f"{q.category} {q.maximum}" for q in own)
            reasons.append(
                f"{characteristic}: the maximums ({listed}) "
                f"allow at most {room} of this pool on the panel, fewer than {panel_size}"
            )
    return reasons


class _PanelModel:
    """The quota constraints as a MILP over binary x_i, one per volunteer in canonical order."""

    def __init__(self, pool: list[Volunteer], rules: list[Quota], panel_size: int) -> None:
        size = len(pool)
        rows = [np.ones(size)]
        lower, upper = [float(panel_size)], [float(panel_size)]
        for quota in rules:
            rows.append(np.array([1.0 if quota.admits(v) else 0.0 for v in pool]))
            lower.append(float(quota.minimum))
            upper.append(float(quota.maximum))
        self.size = size
        self.constraint = LinearConstraint(csr_array(np.vstack(rows)), lower, upper)

    def best_panel(self, weights: np.ndarray) -> tuple[tuple[int, ...], float]:
        """The quota-meeting panel with the largest total weight, and that total.

        Raises Infeasible if no panel meets the quotas.
        """
        result = milp(
            -weights,
            integrality=np.ones(self.size),
            bounds=Bounds(np.zeros(self.size), np.ones(self.size)),
            constraints=self.constraint,
            options={"mip_rel_gap": 1e-9},
        )
        if result.status == 2:  # infeasible
            raise Infeasible(["no panel meets the quotas"])
        if result.status != 0 or result.x is None:
            raise RuntimeError(f"the panel solver failed: {result.message}")
        panel = tuple(int(i) for i in np.flatnonzero(result.x > 0.5))
        return panel, float(weights[list(panel)].sum())

    def cover(self) -> tuple[list[tuple[int, ...]], np.ndarray]:
        """Panels until everyone who can be on one is on one; and who can (a boolean mask).

        Each round weighs the volunteers not yet on a found panel at 1 plus a small
        fixed-seed random amount (so the panels vary) and everyone else at 0; a best
        panel holding none of them proves they fit no quota-meeting panel.
        """
        rng = np.random.default_rng(INITIAL_SEED)
        uncovered = np.ones(self.size, dtype=bool)
        panels: list[tuple[int, ...]] = []
        while uncovered.any():
            weights = np.where(uncovered, 1.0 + 0.5 * rng.random(self.size), 0.0)
            try:
                panel, _ = self.best_panel(weights)
            except Infeasible:
                return [], np.zeros(self.size, dtype=bool)
            members = list(panel)
            if not uncovered[members].any():
                break
            panels.append(panel)
            uncovered[members] = False
        return panels, ~uncovered


def _membership(panels: list[tuple[int, ...]], index: np.ndarray, size: int) -> csr_array:
    """Sparse matrix of reachable volunteer (row, in `index` order) × panel (column) membership."""
    position = np.full(size, -1)
    position[index] = np.arange(len(index))
    rows = np.concatenate([position[list(panel)] for panel in panels])
    columns = np.repeat(np.arange(len(panels)), [len(panel) for panel in panels])
    return csr_array((np.ones(len(rows)), (rows, columns)), shape=(len(index), len(panels)))


def _restricted_dual(
    panels: list[tuple[int, ...]], index: np.ndarray, size: int
) -> tuple[np.ndarray, float]:
    """min t s.t. each panel's weight <= t, weights sum to 1: weights over all volunteers, t."""
    members = _membership(panels, index, size)
    m = len(index)
    result = linprog(
        np.r_[np.zeros(m), 1.0],
        A_ub=hstack([members.T, -np.ones((len(panels), 1))], format="csr"),
        b_ub=np.zeros(len(panels)),
        A_eq=np.r_[np.ones(m), 0.0].reshape(1, -1),
        b_eq=[1.0],
        bounds=[(0, None)] * m + [(None, None)],
        method="highs-ipm",  # faster than simplex on these many-column LPs
    )
    if result.status != 0:
        raise RuntimeError(f"the LP solver failed: {result.message}")
    weights = np.zeros(size)
    weights[index] = result.x[:m]
    return weights, float(result.x[m])


def _maximin_primal(panels: list[tuple[int, ...]], index: np.ndarray, size: int) -> np.ndarray:
    """max z s.t. each reachable volunteer's probability >= z over these panels: the p_P."""
    members = _membership(panels, index, size)
    k = len(panels)
    result = linprog(
        np.r_[np.zeros(k), -1.0],
        A_ub=hstack([-members, np.ones((len(index), 1))], format="csr"),
        b_ub=np.zeros(len(index)),
        A_eq=np.r_[np.ones(k), 0.0].reshape(1, -1),
        b_eq=[1.0],
        bounds=[(0, None)] * k + [(None, None)],
        method="highs",
    )
    if result.status != 0:
        raise RuntimeError(f"the LP solver failed: {result.message}")
    return np.asarray(result.x[:k])
