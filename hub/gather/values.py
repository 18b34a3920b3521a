"""The hub's values and behaviours, and the moderation rules, as data.

The values page shows them; moderators reject an item or a comment by the
code of the value or rule it breaks, and the author is told that value's
title and plain-English words. Codes are stored, so they never change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Value:
    code: str
    title: str
    plain_english: str
    examples: tuple[str, ...]
    rule: bool = False  # a moderation rule about what the hub is for, not a behaviour


VALUES: list[Value] = [
    Value(
        "respect",
        "Respect",
        "Be polite about people, even when you are angry about a service. "
        "Criticise what happened, not who someone is.",
        (
            "“The receptionist would not listen” is fine.",
            "Insults, swearing at people, threats and hate speech are not.",
        ),
    ),
    Value(
        "honesty",
        "Honesty",
        "Say what you saw, felt or know. Do not make up stories or pretend to be someone else.",
        (
            "Your own experience, told in your own words, is what we want.",
            "Made-up claims, spam and adverts are taken down.",
        ),
    ),
    Value(
        "everyone-counts",
        "Everyone counts",
        "Everyone may take part, whoever they are. Do not put people down for their age, "
        "race, religion, disability, sex, sexuality or where they come from.",
        (
            "“Services for older people are stretched” is fine.",
            "Blaming a group of people for a problem is not.",
        ),
    ),
    Value(
        "no-personal-details",
        "No personal details of others",
        "Do not name or describe other people so they could be recognised: not staff, "
        "not patients, not neighbours. Leave out your own phone number and address too.",
        (
            "“A nurse on the ward” is fine.",
            "A named doctor, a patient’s initials with their ward and date, or a phone "
            "number will be edited out or the item will not be published.",
        ),
    ),
    Value(
        "off-topic",
        "Stay on topic",
        "Items and comments should be about the item or the theme they are in.",
        ("A comment about something unrelated may not be published.",),
        rule=True,
    ),
    Value(
        "not-health-or-care",
        "Health and care only",
        "This hub is about health and social care services. Other council matters, such as "
        "bins or parking, belong with the council’s own contact pages.",
        ("Parking at the hospital is fine; parking outside your house is not.",),
        rule=True,
    ),
]

VALUE_CODES = frozenset(value.code for value in VALUES)


def find_value(code: str | None) -> Value | None:
    """The value or rule with this code, or None."""
    return next((value for value in VALUES if value.code == code), None)
