"""The demo hubs' Discover directory: six illustrative groups, with gaps left on purpose.

`seed_demo(session, gss=..., wards=[...], staff=...)` adds (or, run again, updates)
six groups of the kinds a real area has: a GP practice's patient participation
group, the local Healthwatch, a carers' centre, a Deaf community group, a young
people's health forum and a faith communities' health outreach. Every name is
made up and every description says it is demo data; contacts use example.org
and Ofcom's drama phone numbers (01632 960000 to 960999), so nobody real is
contacted.

They reach varied groups of people and wards, and leave gaps for the coverage
page and hidden voices to show: no group lists people aged 25 to 54, white or
mixed ethnic groups, or urban residents, and (given two or more wards) the last
ward is named by no group and no group is area-wide. With no wards given, every
group works across the whole area. Ids are derived from the hub's GSS code, so
seeding twice gives the same entries. Needs `staff` to be an admin or a
facilitator (or None, as an operator's command); the caller commits.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from hub.discover import services
from hub.discover.directory import DirectoryEntry
from hub.staff.models import StaffUser

NAMESPACE = uuid.UUID("3f6c2b8e-1d4a-4c7e-9b2f-5a8d7e6c4b31")
DEMO_NOTE = "Demo data: an illustrative group, not a real one."

# (slug, fields, which of the covered wards: "all", or indexes into them)
_GROUPS: list[tuple[str, dict[str, Any], str | tuple[int, ...]]] = [
    (
        "ppg",
        {
            "name": "Riverside Surgery Patient Participation Group",
            "kind": "ppg",
            "description": "Patients who meet every two months with the practice team to talk "
            "about appointments, the phone system and what could be better.",
            "how_to_join": "Ask at reception or email the practice manager; any patient of the "
            "surgery can come.",
            "email": "ppg@riverside-surgery.example.org",
            "phone": "01632 960101",
            "ods_code": "Y99901",
            "reaches": (("age_band", "65-74"), ("age_band", "75-plus")),
            "topics": ("gp-access", "pharmacy"),
        },
        (0,),
    ),
    (
        "healthwatch",
        {
            "name": "Local Healthwatch (demo)",
            "kind": "healthwatch",
            "description": "The independent champion for people who use health and care "
            "services, with volunteers who visit villages on the mobile bus.",
            "how_to_join": "Share your experience online or by phone, or volunteer to visit "
            "services and villages with us.",
            "url": "https://healthwatch.example.org/",
            "email": "info@healthwatch.example.org",
            "phone": "01632 960202",
            "reaches": (("urban_rural", "rural"), ("age_band", "55-64")),
            "topics": ("rights-information-advocacy", "health-inequalities"),
        },
        "all",
    ),
    (
        "carers",
        {
            "name": "Carers' Centre",
            "kind": "vcse",
            "description": "Support and a voice for unpaid carers of all ages, with a monthly "
            "carers' forum that feeds into the council's carers strategy.",
            "how_to_join": "Register as a carer with the centre (free), then come to the forum "
            "on the first Tuesday of the month.",
            "url": "https://carers-centre.example.org/",
            "phone": "01632 960303",
            "reaches": (("unpaid_carer", "carer"), ("age_band", "55-64")),
            "topics": ("unpaid-carers", "adult-social-care"),
        },
        (0, 1),
    ),
    (
        "deaf",
        {
            "name": "Deaf Community Health Group",
            "kind": "vcse",
            "description": "Deaf and hard of hearing people meeting in British Sign Language, "
            "with interpreters, to raise problems with access to services.",
            "how_to_join": "Come to the Deaf club on Thursday evenings, or email or text us; "
            "BSL interpreters are at every meeting.",
            "email": "hello@deaf-health.example.org",
            "reaches": (("disability", "disabled"),),
            "topics": ("digital-access", "sign language"),
        },
        (1,),
    ),
    (
        "youth",
        {
            "name": "Young People's Health Forum",
            "kind": "council",
            "description": "Young people aged 13 to 24 who advise the council and the NHS on "
            "services for them, run with the youth service.",
            "how_to_join": "Ask your school or youth club, or message the youth service; "
            "meetings are after school.",
            "url": "https://youth-forum.example.org/",
            "reaches": (("age_band", "under-16"), ("age_band", "16-24")),
            "topics": ("children-young-people", "mental-health"),
        },
        (0, 2),
    ),
    (
        "faith",
        {
            "name": "Faith Communities Health Outreach",
            "kind": "vcse",
            "description": "Health checks and conversations after Friday prayers at the mosque "
            "and Sunday services at two churches, in English, Urdu and Somali.",
            "how_to_join": "Come along after prayers or the service, or ask the outreach "
            "worker at your mosque or church.",
            "phone": "01632 960404",
            "reaches": (("ethnic_group", "asian"), ("ethnic_group", "black")),
            "topics": ("prevention-public-health", "health-inequalities"),
        },
        (2, 3),
    ),
]


def demo_entries(gss: str, wards: list[str]) -> list[DirectoryEntry]:
    """The six illustrative entries for a hub (see the module docstring for the gaps)."""
    covered = wards[:-1] if len(wards) >= 2 else list(wards)
    entries = []
    for slug, fields, where in _GROUPS:
        if not covered:
            chosen: tuple[str, ...] = ()
        elif isinstance(where, str):  # "all"
            chosen = tuple(covered)
        else:
            chosen = tuple(dict.fromkeys(covered[i % len(covered)] for i in where))
        entries.append(
            DirectoryEntry(
                id=str(uuid.uuid5(NAMESPACE, f"{gss}/{slug}")),
                **{**fields, "description": f"{fields['description']} {DEMO_NOTE}"},
                wards=chosen,
            )
        )
    return entries


def seed_demo(session: Session, *, gss: str, wards: list[str], staff: StaffUser | None) -> None:
    """Add the illustrative entries to the hub's directory (updating them if already there)."""
    services.import_entries(session, staff, demo_entries(gss, wards), source="the demo")
