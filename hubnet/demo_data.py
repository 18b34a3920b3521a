"""Synthetic, realistic contributions for the demo network.

Everything here is invented: no real person's words. The three demo areas
are real places (with real Census 2021 populations from `data/`), and what
matters differs between them the way it does in life: travel, dentistry and
unpaid care weigh more in rural Cornwall; mental health, GP access and
inequalities in Manchester; waiting lists and children's services in Leeds.
A fixed seed gives the same contributions every run.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources

from federation.periods import Period


@dataclass(frozen=True)
class DemoArea:
    gss: str
    name: str
    slug: str
    region: str
    population: int
    # national theme code → relative weight; themes not listed get weight 1
    emphasis: dict[str, int] = field(default_factory=dict)
    # local themes this council adds: (slug, name, national code)
    local_themes: tuple[tuple[str, str, str], ...] = ()


def _population(gss: str) -> int:
    text = resources.files("hubnet").joinpath("data", "census2021_area_profiles.csv")
    with text.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if (
                row["gss_code"] == gss
                and row["characteristic"] == "total_usual_residents"
                and "TS007" in row["category"]
            ):
                return int(row["count"])
    raise LookupError(f"no Census 2021 population for {gss}")


def demo_areas() -> list[DemoArea]:
    """The three demo hubs, with real populations and different local priorities."""
    return [
        DemoArea(
            "E08000003",
            "Manchester",
            "manchester",
            "North West",
            _population("E08000003"),
            {
                "mental-health": 9,
                "gp-access": 8,
                "health-inequalities": 6,
                "urgent-emergency-care": 5,
                "adult-social-care": 4,
                "digital-access": 3,
            },
            (("hospital-discharge", "Leaving hospital", "care-integration"),),
        ),
        DemoArea(
            "E06000052",
            "Cornwall",
            "cornwall",
            "South West",
            _population("E06000052"),
            {
                "transport-access": 9,
                "dentistry": 8,
                "adult-social-care": 7,
                "unpaid-carers": 6,
                "gp-access": 5,
                "end-of-life-care": 3,
            },
            (("scilly-travel", "Isles of Scilly and ferry travel", "transport-access"),),
        ),
        DemoArea(
            "E08000035",
            "Leeds",
            "leeds",
            "Yorkshire and The Humber",
            _population("E08000035"),
            {
                "planned-care-waiting": 9,
                "mental-health": 7,
                "children-young-people": 6,
                "gp-access": 5,
                "learning-disability-autism": 4,
                "care-integration": 3,
            },
            (
                (
                    "autism-assessment",
                    "Waiting for an autism assessment",
                    "learning-disability-autism",
                ),
            ),
        ),
    ]


# (kind, title, body) per national theme. Bodies are composed with an opening
# and a closing line so that contributions read differently from one another.
TEMPLATES: dict[str, list[tuple[str, str, str]]] = {
    "gp-access": [
        (
            "concern",
            "Can't get a GP appointment",
            "I ring at 8am every day and all the appointments have gone by 8.15.",
        ),
        (
            "idea",
            "Let people book GP appointments a week ahead",
            "Working people cannot ring at 8am; let us book ahead.",
        ),
        (
            "experience",
            "Saw a different doctor every time",
            "Nobody knows my history and I have to explain it again each visit.",
        ),
        (
            "question",
            "Why does the practice only offer phone calls?",
            "Some problems need to be seen in person.",
        ),
    ],
    "urgent-emergency-care": [
        (
            "experience",
            "Waited nine hours in A&E with my dad",
            "He is 84 and sat on a plastic chair all night.",
        ),
        (
            "concern",
            "Ambulance took over two hours",
            "My neighbour fell and we waited on the floor with her.",
        ),
        (
            "question",
            "When should I use 111 instead of A&E?",
            "The advice is confusing and changes every winter.",
        ),
    ],
    "planned-care-waiting": [
        (
            "concern",
            "Eighteen months waiting for a hip operation",
            "I am in pain every day and can no longer work.",
        ),
        (
            "question",
            "Where am I on the waiting list?",
            "Nobody can tell me how long I will wait or who to ask.",
        ),
        (
            "idea",
            "Text updates for people on waiting lists",
            "A simple message every month would stop the worry.",
        ),
    ],
    "mental-health": [
        (
            "concern",
            "Months waiting for talking therapy",
            "I was told to call the crisis line if things get worse while I wait.",
        ),
        (
            "experience",
            "Crisis team was kind but stretched",
            "They came, but only once, and then nobody followed up.",
        ),
        (
            "idea",
            "Drop-in mental health support in the evenings",
            "Young people need somewhere to go that is not A&E.",
        ),
        (
            "question",
            "Who can I talk to about my son's mental health?",
            "The school says CAMHS, CAMHS says the GP.",
        ),
    ],
    "adult-social-care": [
        (
            "concern",
            "Care visits cut to fifteen minutes",
            "My mother cannot be washed and fed properly in fifteen minutes.",
        ),
        (
            "question",
            "How do I get a needs assessment under the Care Act?",
            "I have asked the council twice and heard nothing.",
        ),
        (
            "experience",
            "The care home was excellent",
            "Staff treated my husband with real dignity until the end.",
        ),
    ],
    "care-integration": [
        (
            "experience",
            "Stuck in hospital waiting for a care package",
            "Medically fit for three weeks but no care at home was ready.",
        ),
        (
            "idea",
            "One shared care record for health and social care",
            "I tell my story to six different people.",
        ),
    ],
    "unpaid-carers": [
        (
            "concern",
            "No break for unpaid carers",
            "I care for my wife day and night and have not had a day off in a year.",
        ),
        (
            "idea",
            "Carers' card that GPs and pharmacies recognise",
            "So we can collect prescriptions and be listened to.",
        ),
        (
            "question",
            "Am I entitled to a carer's assessment?",
            "Nobody told me I could ask for one.",
        ),
    ],
    "children-young-people": [
        (
            "concern",
            "Long waits for children's speech therapy",
            "My daughter starts school next year and still cannot be understood.",
        ),
        (
            "experience",
            "Moving from children's to adult services was a cliff edge",
            "At 18 everything stopped.",
        ),
    ],
    "maternity": [
        (
            "experience",
            "Midwives were wonderful but rushed",
            "I felt listened to, but there were not enough of them.",
        ),
        (
            "concern",
            "Postnatal checks were missed",
            "Nobody came to check on me after the first week.",
        ),
    ],
    "long-term-conditions": [
        (
            "idea",
            "Group sessions for people with diabetes",
            "Learning from others helped me more than any leaflet.",
        ),
        (
            "concern",
            "Annual reviews keep being cancelled",
            "My COPD review has been put off twice.",
        ),
    ],
    "cancer": [
        (
            "experience",
            "Fast diagnosis, then a long wait for treatment",
            "The two-week referral was quick; the treatment was not.",
        ),
        (
            "question",
            "Why was bowel screening stopped at my age?",
            "I would like to keep being checked.",
        ),
    ],
    "learning-disability-autism": [
        (
            "concern",
            "Two years waiting for an autism assessment",
            "My son cannot get support at school without a diagnosis.",
        ),
        (
            "idea",
            "Easy read letters for all appointments",
            "My brother cannot read the letters the hospital sends.",
        ),
    ],
    "dementia": [
        (
            "experience",
            "Memory clinic diagnosis took a year",
            "By the time we were seen, things had moved on a lot.",
        ),
        (
            "idea",
            "Dementia-friendly GP appointments",
            "Longer slots, same doctor, a quiet waiting room.",
        ),
    ],
    "prevention-public-health": [
        (
            "idea",
            "Health checks at the community centre",
            "People who never go to the doctor will go to the community centre.",
        ),
        (
            "question",
            "Where can I get my flu jab if I work shifts?",
            "The clinics are only in the day.",
        ),
    ],
    "dentistry": [
        (
            "concern",
            "No NHS dentist taking patients within 40 miles",
            "I have been on a waiting list for three years.",
        ),
        (
            "experience",
            "Pulled my own tooth out",
            "I could not find an NHS dentist and could not afford private.",
        ),
        (
            "question",
            "How do I find an NHS dentist for my children?",
            "Every practice says their list is closed.",
        ),
    ],
    "pharmacy": [
        ("concern", "Our local pharmacy closed", "The nearest one is now two buses away."),
        (
            "experience",
            "Medicines out of stock again",
            "I went to four pharmacies for my epilepsy medication.",
        ),
    ],
    "community-services": [
        ("idea", "More district nurses in the evenings", "Visits at 10pm are not safe for anyone."),
        (
            "experience",
            "Physio at the community hospital was brilliant",
            "Close to home and no parking stress.",
        ),
    ],
    "end-of-life-care": [
        (
            "experience",
            "The hospice team made all the difference",
            "Dad died at home, as he wanted, because of them.",
        ),
        ("concern", "No out-of-hours palliative care", "At the weekend there was nobody to call."),
    ],
    "workforce": [
        (
            "concern",
            "Care workers paid less than supermarket staff",
            "No wonder nobody stays in the job.",
        ),
        ("experience", "Agency staff did not know my mum's needs", "Every day a different face."),
    ],
    "digital-access": [
        (
            "concern",
            "Everything is online now and I am not",
            "I am 79 and do not have a smartphone.",
        ),
        (
            "idea",
            "Keep a phone line for people who are not online",
            "Not everyone can use the NHS App.",
        ),
    ],
    "health-inequalities": [
        (
            "concern",
            "Health services do not reach our estate",
            "People here die years earlier than across the city.",
        ),
        (
            "idea",
            "Interpreters at every GP appointment",
            "My mother does not speak English and I am ten years old.",
        ),
    ],
    "rights-information-advocacy": [
        (
            "question",
            "What are my rights under the Care Act 2014?",
            "I need a simple booklet, not a 300-page act.",
        ),
        (
            "concern",
            "Nobody told us about section 117 aftercare",
            "We paid for care that should have been free.",
        ),
    ],
    "transport-access": [
        (
            "concern",
            "Three buses to get to hospital",
            "The appointment is at 9am and the first bus arrives at 10.",
        ),
        (
            "idea",
            "Volunteer drivers for hospital appointments",
            "It works in the next parish; why not here?",
        ),
        (
            "experience",
            "Missed my scan because of the ferry",
            "The sailing was cancelled and I had to wait another month.",
        ),
    ],
    "safety-dignity": [
        ("concern", "Left in a wet bed for hours on the ward", "The staff were too busy to come."),
        (
            "experience",
            "Treated with respect at the walk-in centre",
            "They listened and explained everything.",
        ),
    ],
    "funding": [
        ("question", "Why do I have to sell my house to pay for care?", "We saved all our lives."),
        (
            "concern",
            "Day centre closed to save money",
            "It was the only place my son went all week.",
        ),
    ],
    "other": [
        ("idea", "Quiet hours at the hospital café", "Some of us find the noise too much."),
    ],
}

OPENINGS = ["", "I live in {place}. ", "In {place}, ", "Speaking for my family: ", "As a carer: "]
CLOSINGS = [
    "",
    " Please do something about this.",
    " Others I know say the same.",
    " Thank you for listening.",
]


@dataclass(frozen=True)
class SyntheticContribution:
    person: int
    kind: str
    theme_slug: str
    title: str
    body: str
    created_at: datetime
    supporters: tuple[int, ...]


def synthetic_contributions(
    area: DemoArea, period: Period, *, count: int, seed: int
) -> Iterator[SyntheticContribution]:
    """`count` contributions for `area` dated within `period`, reproducible from `seed`."""
    rng = random.Random(f"{seed}:{area.gss}")
    codes = sorted(TEMPLATES)
    weights = [area.emphasis.get(code, 1) for code in codes]
    local_slug = {code: slug for slug, _name, code in area.local_themes}
    people = max(10, int(count * rng.uniform(0.5, 0.75)))  # how many different residents took part
    days = (period.end - period.start).days + 1
    for _ in range(count):
        code = rng.choices(codes, weights)[0]
        kind, title, body = rng.choice(TEMPLATES[code])
        opening = rng.choice(OPENINGS).format(place=area.name)
        body_text = f"{opening}{body}{rng.choice(CLOSINGS)}"
        if opening.startswith("In "):
            body_text = opening + body[0].lower() + body[1:] + rng.choice(CLOSINGS)
        # a few people raise many things; most raise one (Zipf-like activity)
        person = min(people - 1, int(rng.paretovariate(1.2)) - 1 + rng.randrange(people) // 3)
        when = datetime.combine(
            period.start + timedelta(days=rng.randrange(days)),
            time(rng.randrange(7, 23), rng.randrange(60)),
            tzinfo=UTC,
        )
        theme = local_slug[code] if code in local_slug and rng.random() < 0.4 else code
        backing = min(people - 1, int(rng.expovariate(1 / (2 + area.emphasis.get(code, 0)))))
        supporters = tuple(sorted({rng.randrange(people) for _ in range(backing)} - {person}))
        yield SyntheticContribution(person, kind, theme, title, body_text, when, supporters)


# Census 2021 rows (characteristic, category) → the hub's "about you" answer codes.
CENSUS_ANSWERS: dict[str, tuple[str, dict[str, str]]] = {
    "age_band": (
        "age_band_requested_derived",
        {
            "Aged 0-15": "under-16",
            "Aged 16-24": "16-24",
            "Aged 25-34": "25-34",
            "Aged 35-44": "35-44",
            "Aged 45-54": "45-54",
            "Aged 55-64": "55-64",
            "Aged 65-74": "65-74",
            "Aged 75+": "75-plus",
        },
    ),
    "ethnic_group": (
        "ethnic_group_ts021_high_level_derived",
        {
            "Asian, Asian British or Asian Welsh": "asian",
            "Black, Black British, Black Welsh, Caribbean or African": "black",
            "Mixed or Multiple ethnic groups": "mixed",
            "White": "white",
            "Other ethnic group": "other",
        },
    ),
    "disability": (
        "disability_ts038",
        {
            "Disabled under the Equality Act": "disabled",
            "Not disabled under the Equality Act": "not-disabled",
        },
    ),
    "unpaid_carer": (
        "unpaid_care_ts039",
        {
            "Provides unpaid care (any hours), usual residents aged 5+": "carer",
            "Provides no unpaid care, usual residents aged 5+": "not-carer",
        },
    ),
    "urban_rural": (
        "rural_urban_ruc2011_population",
        {"Total Urban population 2011": "urban", "Total Rural population 2011": "rural"},
    ),
}
ANSWER_RATE = 0.75  # most people answer each question …
PREFER_NOT_TO_SAY_RATE = 0.05  # … a few choose "prefer not to say"; the rest skip it
UNDER_16_WEIGHT = 0.1  # children take part far less than their share of the population
QUOTE_CONSENT_RATE = 0.2  # one contribution in five comes with consent to quote it


def _census_value(gss: str, characteristic: str, category_prefix: str) -> int:
    text = resources.files("hubnet").joinpath("data", "census2021_area_profiles.csv")
    with text.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if (
                row["gss_code"] == gss
                and row["characteristic"] == characteristic
                and row["category"].startswith(category_prefix)
            ):
                return int(row["count"])
    raise LookupError(f"no Census 2021 {characteristic} for {gss}")


def census_profile(gss: str) -> dict[str, dict[str, int]]:
    """The area's Census 2021 counts per "about you" answer code (the demo's weights)."""
    text = resources.files("hubnet").joinpath("data", "census2021_area_profiles.csv")
    wanted = {census: (name, codes) for name, (census, codes) in CENSUS_ANSWERS.items()}
    profile: dict[str, dict[str, int]] = {name: {} for name in CENSUS_ANSWERS}
    with text.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["gss_code"] != gss or row["characteristic"] not in wanted:
                continue
            name, codes = wanted[row["characteristic"]]
            if row["category"] in codes:
                profile[name][codes[row["category"]]] = int(row["count"])
    if not profile["disability"]:
        # Cornwall's file has only the council's rounded figure ("120,000 disabled"), not
        # the TS038 table: the rest of the population counts as not disabled.
        rounded = _census_value(gss, "disability_rounded_page_quote", "Disabled")
        profile["disability"] = {
            "disabled": rounded,
            "not-disabled": _population(gss) - rounded,
        }
    missing = [name for name, counts in profile.items() if not counts]
    if missing:
        raise LookupError(f"no Census 2021 profile for {gss}: {', '.join(missing)}")
    return profile


def synthetic_answers(profile: dict[str, dict[str, int]], rng: random.Random) -> dict[str, str]:
    """One invented person's "about you" answers, drawn in proportion to the area's Census.

    Each question is answered with probability ANSWER_RATE (and "prefer not to
    say" chosen with PREFER_NOT_TO_SAY_RATE); the questions are drawn
    independently, so the demo has no realistic correlations between them.
    """
    answers: dict[str, str] = {}
    for name, counts in profile.items():
        roll = rng.random()
        if roll < PREFER_NOT_TO_SAY_RATE:
            answers[name] = "prefer-not-to-say"
        elif roll < PREFER_NOT_TO_SAY_RATE + ANSWER_RATE:
            codes = list(counts)
            weights = [
                counts[code] * (UNDER_16_WEIGHT if code == "under-16" else 1) for code in codes
            ]
            answers[name] = rng.choices(codes, weights=weights)[0]
    return answers


def demo_period(today: date) -> Period:
    """The demo reports on the last full calendar month."""
    return Period.last_full_month(today)
