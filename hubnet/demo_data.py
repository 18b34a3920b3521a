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
    organisation: str = ""  # the council that runs the hub (HUB_ORGANISATION)


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
            "Manchester City Council",
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
            "Cornwall Council",
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
            "Leeds City Council",
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


# -- what happens to items after they are raised -------------------------------------------
# Comments, status updates and the moderation queue, so both the public and the staff
# side of a demo hub have something to show. Invented like everything above: the
# responses name no real service's decisions. "{place}" is the hub's area.

GENERIC_COMMENTS = [
    "Same for us in {place}. Thank you for raising it.",
    "I have added my “me too”. It helps to know it is not just us.",
    "Thank you for putting this so clearly. It is exactly what happened to my family.",
    "The patient advice service at the hospital helped us when we were stuck. Worth a try.",
    "I hope the right people read this. It has got harder over the last couple of years.",
    "We had a better experience last month, so it can work. It seems to depend on the day.",
    "Healthwatch listened to us about something similar and passed it on.",
]

COMMENTS: dict[str, list[str]] = {
    "gp-access": [
        "The online form opens at 8am too and closes when it is full. Could it stay open all day?",
        "Our practice tried a call-back system: you keep your place without waiting on the line. "
        "It helped.",
        "Seeing the same GP matters so much when you have a long-term condition.",
    ],
    "mental-health": [
        "Waiting is the hardest part. A peer support group at our community centre kept me "
        "going while I waited.",
        "Evening drop-ins would help teenagers too; everything shuts at five.",
        "Thank you for sharing this. It takes courage.",
    ],
    "dentistry": [
        "We drive to the next county for a dentist now. Not everyone can do that.",
        "The urgent dental line did find us an appointment for a bad tooth, but nothing for "
        "check-ups.",
        "Children's check-ups matter so much. I hope this gets picked up.",
    ],
    "transport-access": [
        "A community bus used to run to the hospital on clinic days. Bringing it back would help.",
        "Being able to move an appointment online when the bus or the boat is cancelled would "
        "save so many missed slots.",
        "Volunteer drivers took my mum to her appointments last winter. They were wonderful.",
    ],
    "planned-care-waiting": [
        "Even a letter every few months saying we are still on the list would help.",
        "My husband waited over a year too. Physio while he waited made a real difference.",
        "Knowing who to ask is half the battle.",
    ],
    "adult-social-care": [
        "Fifteen minutes is not enough for anyone to be cared for with dignity.",
        "The carers who visit my dad are lovely but always rushing. It is not their fault.",
        "Our assessment took months too. Keep asking, in writing.",
    ],
    "unpaid-carers": [
        "A few hours' break a month would make such a difference. Thank you for speaking up "
        "for carers.",
        "The carers' group at our library has been a lifeline. Worth asking if there is one "
        "near you.",
        "Pharmacies recognising a carer's card would save me so many trips.",
    ],
    "children-young-people": [
        "Our son waited over a year for speech therapy. The school's own support helped a bit "
        "in the meantime.",
        "Turning 18 should not mean starting again from scratch.",
        "Other parents have been the best source of advice for us.",
    ],
    "health-inequalities": [
        "Health checks at the community centre would reach people who never go to the surgery.",
        "Interpreters make all the difference. Children should not have to translate for "
        "their parents.",
        "Thank you for raising this for our part of {place}.",
    ],
    "urgent-emergency-care": [
        "We waited seven hours last month. The staff were doing their best.",
        "Clearer advice on when to use 111 would help so many people.",
        "Somewhere to lie down would be a start for older people waiting overnight.",
    ],
    "learning-disability-autism": [
        "We waited nearly two years too. Support at school should not depend on a diagnosis.",
        "Easy read letters would help my sister so much.",
        "Thank you. It helps to know other families are in the same position.",
    ],
}


@dataclass(frozen=True)
class StatusStory:
    """What the hub's staff posted on a popular item of a theme, stage by stage."""

    routed: str
    responded: str
    change_planned: str
    change_made: str
    closed: str  # the reason, when the item is closed instead


STATUS_STORIES: dict[str, StatusStory] = {
    "gp-access": StatusStory(
        "Passed to the primary care team that works with {place}'s GP practices.",
        "The primary care team replied: practices are moving to taking requests online and "
        "by phone all day, not only at 8am, and want to hear whether it helps.",
        "Several practices will let people book routine appointments up to two weeks ahead "
        "from next month. We will update this page when it starts.",
        "Routine appointments can now be booked up to two weeks ahead at those practices. "
        "Tell us in the comments whether it has made a difference.",
        "How each practice runs its phone lines is the practice's decision. We have shared "
        "every comment here with them and will raise it again at the next primary care "
        "meeting.",
    ),
    "mental-health": StatusStory(
        "Passed to the mental health services' patient experience team.",
        "The team replied: they know waits for talking therapies are too long and are "
        "recruiting more therapists. Anyone in crisis can call NHS 111 and choose the mental "
        "health option, day or night.",
        "An evening drop-in for people waiting for support will open in {place} this season. "
        "We will post the details here.",
        "The evening drop-in is open twice a week. Details are on the council's website and "
        "at every library.",
        "This is being looked at nationally, not locally. We have passed it on and will "
        "update this page if anything changes.",
    ),
    "dentistry": StatusStory(
        "Passed to the team that plans dental services for {place}.",
        "The dental services team replied: they are offering extra payments to practices "
        "that take on new NHS patients, starting with children.",
        "Two practices have agreed to open their lists to children. We will update this page "
        "when they start taking names.",
        "Two practices are now taking on children as NHS patients. Ring NHS 111 to find the "
        "nearest one.",
        "The NHS dental contract is decided nationally, not by the hub or the council. We "
        "have passed this to Healthwatch England, who are collecting experiences like yours.",
    ),
    "transport-access": StatusStory(
        "Passed to the council's transport team and the hospital's patient transport service.",
        "The transport team replied: they are looking at timing buses around clinic hours, "
        "and the hospital will offer afternoon slots to people who travel far.",
        "A trial of a volunteer driver scheme for hospital appointments starts next season.",
        "The volunteer driver scheme is running. Ask your GP surgery how to book a lift.",
        "Bus timetables are set by the bus companies. We have sent them this item and the "
        "comments, and will post any reply here.",
    ),
    "planned-care-waiting": StatusStory(
        "Passed to the hospital's waiting list team.",
        "The waiting list team replied: everyone waiting will get a letter with a contact "
        "number and an idea of how long they may wait.",
        "Text message updates for people on waiting lists will start in the spring.",
        "People on waiting lists now get a text every two months with their place and who "
        "to contact.",
        "Waiting times are reported nationally each month. We have passed this on, and the "
        "hospital has replied to each comment that asked a question.",
    ),
    "adult-social-care": StatusStory(
        "Passed to the council's adult social care team.",
        "Adult social care replied: visits should be as long as a person's care plan says. "
        "Anyone whose visits are too short can ask for a review.",
        "The council will stop booking fifteen-minute visits for personal care from April.",
        "Visits for personal care are now at least thirty minutes long.",
        "This has been passed to the council's complaints team, who will contact people "
        "directly. We are closing it here so it does not wait on this list.",
    ),
    "unpaid-carers": StatusStory(
        "Passed to the council's carers' support service.",
        "The carers' support service replied: every carer may ask for a carer's assessment, "
        "and a short break can be part of the support that follows.",
        "A carers' card that GP practices and pharmacies recognise will be trialled next year.",
        "The carers' card is now accepted at GP practices and most pharmacies in {place}.",
        "Answered: anyone who looks after someone may ask the council for a carer's "
        "assessment. The carers' support service can help you ask.",
    ),
    "children-young-people": StatusStory(
        "Passed to the children's community health services.",
        "Children's services replied: they are training school staff to give speech and "
        "language support while children wait.",
        "A transition clinic for 17-year-olds moving to adult services is being planned.",
        "The transition clinic is open: young people meet their adult team before they turn 18.",
        "This has been passed to the children's services complaints team, who will contact "
        "the family directly.",
    ),
    "health-inequalities": StatusStory(
        "Passed to the public health team.",
        "Public health replied: they are planning health checks in community venues in the "
        "areas where people live shortest.",
        "Health check sessions at community centres will start this season.",
        "Health checks now run monthly at community centres in {place}.",
        "This is part of a wider plan that the health and wellbeing board reviews each year. "
        "We have added it to that review.",
    ),
    "urgent-emergency-care": StatusStory(
        "Passed to the hospital's urgent and emergency care team.",
        "The hospital replied: it is opening a separate waiting area for older and frail "
        "people, with reclining chairs.",
        "The new waiting area for older and frail people will open in the winter.",
        "The waiting area for older and frail people is open.",
        "Answered: NHS 111 (online or by phone) is for when you need help but it is not an "
        "emergency; A&E or 999 is for life-threatening emergencies.",
    ),
    "learning-disability-autism": StatusStory(
        "Passed to the team that commissions autism assessments.",
        "The team replied: they are adding assessment clinics and will write to every "
        "family on the waiting list with a contact number.",
        "Schools will be told that support does not need a diagnosis first.",
        "Every school in {place} has been told that support must not wait for a diagnosis.",
        "Assessment waiting times are being reviewed nationally. We have passed this on.",
    ),
}
# The most supported items with a story, in order, end at these stages.
STORY_ENDINGS = ("change-made", "change-planned", "responded", "routed", "closed")


@dataclass(frozen=True)
class StoryItem:
    kind: str
    theme: str  # a national theme code (every hub has the national themes)
    title: str
    body: str


# Waiting in the moderation queue on every hub.
QUEUE_ITEMS = [
    StoryItem(  # fine as it is: publish it
        "idea",
        "prevention-public-health",
        "Blood pressure checks at the library",
        "The library in {place} is open late and people already go there. A monthly blood "
        "pressure check there would catch problems early.",
    ),
    StoryItem(  # names a member of staff and gives a phone number: edit them out
        "experience",
        "gp-access",
        "Rude reply at the surgery reception",
        "The receptionist, Sharon, told me to stop wasting her time when I asked for an "
        "appointment for my son. Call me on 07700 900461 if you need more details.",
    ),
    StoryItem(  # not about health or care: reject with "not-health-or-care"
        "concern",
        "other",
        "Bins not collected for three weeks",
        "Our street's bins have not been emptied for three weeks and the bags are piling up.",
    ),
]
SAFEGUARDING_ITEM = StoryItem(  # escalated by the moderator, still in the queue
    "concern",
    "adult-social-care",
    "Worried about an older neighbour living alone",
    "The man next door has not been out for weeks, his post is piling up and his house is "
    "cold. I knocked but nobody answered. I don't know who to tell.",
)
SAFEGUARDING_NOTE = (
    "Possible self-neglect of an older adult living alone. Passed to the adult social care "
    "front door for a welfare check on the day it came in."
)
REJECTED_ITEM = StoryItem(
    "idea",
    "dentistry",
    "Private dental plans: 20% off this month",
    "Join our private dental plan today: 20% off for the first year and no waiting list. "
    "Visit our website to sign up.",
)
REJECTED_VALUE = "honesty"  # adverts are taken down
REJECTED_NOTE = "Adverts are not published on the hub."
PENDING_COMMENTS = [
    "My mum had the same problem. Ringing just after 8.30 worked better for us.",
    "I will mention this at our practice's patient group next month.",
    "Dr Jones at the surgery on the high street is the only one who listens.",  # edit it
]
REPORTED_COMMENT = "The people who run this service are useless and should all be sacked."
REPORT_REASONS = ["Insulting about staff", "This is rude about people who work hard", ""]
# Entered by the demo facilitator for people who are not online.
PAPER_ITEM = StoryItem(  # from a paper form; published by the moderator
    "experience",
    "community-services",
    "Thank you to the community nurses",
    "The nurses who came to my home every day after my fall were kind, patient and always "
    "on time. I could not have managed without them.",
)
PHONE_ITEM = StoryItem(  # taken by phone; waits in the queue
    "question",
    "pharmacy",
    "Can my prescriptions be delivered?",
    "I cannot get to the chemist since my operation and my family work all week. Is there "
    "a delivery service in {place}?",
)
# The demo resident's own items: one published and passed on, one waiting for a moderator.
RESIDENT_PUBLISHED = StoryItem(
    "idea",
    "digital-access",
    "Paper copies of appointment letters",
    "Please keep sending letters by post as well as in the app. Not everyone in {place} "
    "checks their phone, and a letter on the fridge is easier to remember.",
)
RESIDENT_PENDING = StoryItem(
    "question",
    "pharmacy",
    "Why are some medicines out of stock for weeks?",
    "My pharmacy has been waiting for my inhaler for three weeks. Who decides which "
    "medicines are in short supply, and what should I do meanwhile?",
)
