"""The demo hubs' volunteer pool and one drawn Citizens' Jury with its public report.

`seed_demo(session, gss=..., wards=[...], profile=..., staff=..., rng=...)` adds
60 invented volunteers and draws a jury of 12 (and 4 reserves) from them with
`hub.panels.services.draw_panel`, as a facilitator would. Every name ends in
"(demo)"; email addresses are at example.org and phone numbers are Ofcom's
drama numbers (07700 900000 to 900999), so nobody real is contacted.

The pool is built so that the quotas can be met: for each "about you" question
the profile has, the 60 answers are shared out in proportion to the area's
people aged 16 and over (largest remainders), skewed older, whiter and more
often disabled, as self-selected pools are (so chances differ), and three
"prefer not to say"s; then each
question's answers are shuffled with `rng` independently (so, like the rest of
the demo, there are no realistic correlations between questions). Black
residents are oversampled 1.5 times when the profile has them (the demo's
seldom-heard group); if the pool then cannot meet the quotas, the jury is
drawn without oversampling. Run again, it returns the demo jury already drawn.
The caller commits.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED, PREFER_NOT_TO_SAY
from hub.gather.models import ABOUT_YOU
from hub.panels import services
from hub.panels.models import PanelDraw
from hub.staff.models import StaffUser
from hub.voices.profile import PopulationProfile

POOL_SIZE = 60
JURY_SIZE = 12
RESERVES = 4
TITLE = "Citizens' Jury, spring 2027 (demo)"
FIRST_NAMES = [
    "Amara", "Ben", "Chloe", "Dev", "Ellie", "Farah", "George", "Hana", "Isaac", "Jas",
    "Kemi", "Liam", "Maya", "Noah", "Olu", "Priya", "Rhys", "Sana", "Tom", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Ahmed", "Brown", "Clarke", "Davies", "Evans", "Green", "Hussain", "Jones", "Khan",
    "Lewis", "Mensah", "Nowak", "Okafor", "Patel", "Roberts", "Smith", "Taylor", "Walker",
]  # fmt: skip
# Who volunteers: older, whiter and more often disabled than the area (weights on its shares).
SKEW = {
    "age_band": {"16-24": 0.5, "25-34": 0.7, "55-64": 1.5, "65-74": 2.5, "75-plus": 2.0},
    "ethnic_group": {"white": 1.4},
    "disability": {"disabled": 1.5},
}
PREFER_NOT = 3  # answers per question left as "prefer not to say"
OVERSAMPLE = ("ethnic_group", "black")
OVERSAMPLE_FACTOR = 1.5


def _shares_out(counts: Mapping[str, float], seats: int) -> list[str]:
    """`seats` answers in proportion to `counts` (largest remainders), in category order."""
    total = math.fsum(counts.values())
    targets = {code: count / total * seats for code, count in counts.items()}
    whole = {code: math.floor(target) for code, target in targets.items()}
    free = seats - sum(whole.values())
    for code in sorted(targets, key=lambda c: (whole[c] - targets[c], c))[:free]:
        whole[code] += 1
    return [code for code, n in whole.items() for _ in range(n)]


def demo_answers(profile: PopulationProfile, rng: random.Random) -> list[dict[str, str]]:
    """POOL_SIZE people's "about you" answers (see the module docstring)."""
    people = services.selection_profile(profile)
    columns: dict[str, list[str]] = {}
    for question in ABOUT_YOU:
        counts: dict[str, float]
        if question in people:
            counts = {code: float(n) for code, n in people[question].items()}
        else:
            codes = [
                c for c in CHARACTERISTICS[question].codes if c not in (NOT_STATED, "under-16")
            ]
            counts = dict.fromkeys(codes, 1.0)
        weights = SKEW.get(question, {})
        counts = {code: n * weights.get(code, 1.0) for code, n in counts.items()}
        answers = _shares_out(counts, POOL_SIZE - PREFER_NOT) + [PREFER_NOT_TO_SAY] * PREFER_NOT
        rng.shuffle(answers)
        columns[question] = answers
    return [{question: columns[question][i] for question in ABOUT_YOU} for i in range(POOL_SIZE)]


def seed_demo(
    session: Session,
    *,
    gss: str,
    wards: list[str],
    profile: PopulationProfile,
    staff: StaffUser,
    rng: random.Random,
) -> PanelDraw:
    """Add the demo pool and draw its jury (or return the demo jury if already drawn).

    `staff` must be a facilitator or an admin (the draw is theirs in the audit
    log); `wards` are ward codes from the hub's `wards` table (may be empty).
    """
    existing = session.scalar(select(PanelDraw).where(PanelDraw.title == TITLE))
    if existing is not None:
        return existing
    numbers = rng.sample(range(1, 10_000), POOL_SIZE)
    for i, answers in enumerate(demo_answers(profile, rng)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        services.add_volunteer(
            session,
            name=f"{first} {last} (demo)",
            email=f"{first}.{last}.{i}@example.org".lower() if i % 4 != 3 else None,
            phone=f"07700 900{rng.randrange(1000):03d}" if i % 3 == 0 or i % 4 == 3 else None,
            ward_code=rng.choice(wards) if wards else None,
            about_you=answers,
            support_needs=rng.choice(
                [None, None, None, "Step-free access", "A hearing loop", "Large print papers"]
            ),
            consent=True,
            number=f"V-{numbers[i]:04d}",
        )
    choices = [OVERSAMPLE] if OVERSAMPLE in services.oversample_options(profile) else []

    def jury(oversample: list[tuple[str, str]]) -> PanelDraw:
        return services.draw_panel(
            session,
            staff,
            title=TITLE,
            purpose="jury",
            panel_size=JURY_SIZE,
            seed=f"hubnet demo {gss} jury, published 1 March 2027",
            profile=profile,
            oversample=oversample,
            factor=OVERSAMPLE_FACTOR,
            reserves=RESERVES,
        )

    try:
        return jury(choices)
    except services.DrawInfeasible:
        return jury([])
