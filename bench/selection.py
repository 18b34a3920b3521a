"""How long does the maximin selection take to find its distribution, and how fair is it?

Builds a synthetic volunteer pool with the hub's four quota characteristics
(age band, ethnic group, disability, urban/rural), skewed the way self-selected
pools are (older, whiter, more urban than the area), takes quotas from an
illustrative population profile with black residents oversampled 1.5 times
(`quotas_from_profile`, slack 1), and times `find_distribution` (column
generation with HiGHS through scipy) for a pool of 300 and a panel of 24, and
for 1,000 and 40. For each it prints the time, the panels in the support, the
smallest and mean selection probability (the mean is always n / pool size, so
the minimum against it shows how close to equal chances maximin gets), and how
many volunteers fit no quota-meeting panel.

Usage: python bench/selection.py [--repeat 1] [--pool-seed 1]
"""

from __future__ import annotations

import argparse
import random
import time

from hub.assembly.selection import Volunteer, find_distribution, quotas_from_profile

CATEGORIES = {
    "age_band": ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-plus"],
    "ethnic_group": ["asian", "black", "mixed", "white", "other"],
    "disability": ["disabled", "not-disabled"],
    "urban_rural": ["urban", "rural"],
}
# Illustrative area shares (not a real area's Census 2021 figures).
PROFILE = {
    "age_band": dict(
        zip(CATEGORIES["age_band"], [0.14, 0.17, 0.16, 0.16, 0.15, 0.12, 0.10], strict=True)
    ),
    "ethnic_group": dict(
        zip(CATEGORIES["ethnic_group"], [0.09, 0.04, 0.03, 0.81, 0.03], strict=True)
    ),
    "disability": {"disabled": 0.18, "not-disabled": 0.82},
    "urban_rural": {"urban": 0.82, "rural": 0.18},
}
# Who volunteers: relative weights, skewed older, whiter and more urban than the area.
POOL_WEIGHTS = {
    "age_band": [1, 2, 2, 2, 2, 3, 3],
    "ethnic_group": [1, 1, 1, 8, 1],
    "disability": [1, 3],
    "urban_rural": [4, 1],
}
OVERSAMPLE = {("ethnic_group", "black"): 1.5}
CASES = [(300, 24), (1000, 40)]


def synthetic_pool(size: int, seed: int) -> list[Volunteer]:
    rng = random.Random(seed)
    return [
        Volunteer(
            f"v{i:05d}",
            {c: rng.choices(codes, POOL_WEIGHTS[c])[0] for c, codes in CATEGORIES.items()},
        )
        for i in range(size)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--pool-seed", type=int, default=1)
    args = parser.parse_args()
    print(
        f"\n{'pool':>6} {'panel':>6} {'time':>9} {'support':>8} {'min p':>9} {'mean p':>9} "
        f"{'min/mean':>9} {'unreachable':>12}"
    )
    for size, panel_size in CASES:
        pool = synthetic_pool(size, args.pool_seed)
        quotas = quotas_from_profile(PROFILE, panel_size, oversample=OVERSAMPLE)
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = find_distribution(pool, quotas, panel_size)
            times.append(time.perf_counter() - started)
        mean = sum(result.probabilities.values()) / size
        print(
            f"{size:>6,} {panel_size:>6} {min(times):>7.2f} s {len(result.panels):>8,} "
            f"{result.minimum:>9.4f} {mean:>9.4f} {result.minimum / mean:>9.3f} "
            f"{len(result.unreachable):>12,}"
        )
    print(f"\n(best of {args.repeat} runs; quotas ± 1 around the targets, black residents × 1.5)")


if __name__ == "__main__":
    main()
