"""`/staff/hidden-voices`: who takes part compared with who lives in the area (staff only).

Admins, facilitators and moderators see, for the last 12 months or all time,
each "about you" group's share of participants against its share of the
area's population (the profile imported with `hubnet hub profile import`), the
representation ratio with its 95% interval and a flag, and at the top the
groups clearly under-represented with the channels that reached them and the
groups listed in Discover that reach them (`hub.discover.coverage.who_reaches`),
or that none does, with a link to Discover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, current_app, render_template, request

from federation.disclosure.characteristics import CHARACTERISTICS
from hub.db import utcnow
from hub.discover.coverage import who_reaches
from hub.discover.directory import KINDS, DirectoryEntry
from hub.discover.services import list_entries
from hub.gather.models import Channel
from hub.staff.auth import staff_required
from hub.staff.models import Role
from hub.voices.profile import PopulationProfile, ProfileError
from hub.voices.representation import (
    CharacteristicRepresentation,
    Flag,
    GroupRepresentation,
    represent,
    under_represented,
)
from hub.voices.services import channel_order, channels_by_group, participant_counts
from hub.voices.store import load_stored_profile
from hubnet.db import get_session

pages = Blueprint("voices", __name__, url_prefix="/staff")

VIEWERS = (Role.ADMIN.value, Role.FACILITATOR.value, Role.MODERATOR.value)
PERIODS = {"12-months": "The last 12 months", "all": "All time"}
DEFAULT_PERIOD = "12-months"
FLAG_TAGS: dict[Flag, tuple[str, str | None]] = {
    Flag.UNDER: ("Under-represented", "red"),
    Flag.OVER: ("Over-represented", "blue"),
    Flag.IN_LINE: ("In line", "grey"),
    Flag.TOO_FEW: ("Too few answers", "white"),
    Flag.NO_POPULATION: ("No population figure", "white"),
    Flag.NONE_IN_POPULATION: ("None in the population", "white"),
}
CHANNEL_WORDS = {
    Channel.ONLINE.value: "Online",
    Channel.PAPER.value: "On paper",
    Channel.PHONE.value: "By phone",
    Channel.EVENT.value: "At an event",
    Channel.EMAIL.value: "By email",
}


@dataclass(frozen=True)
class UnderRepresented:
    """A flagged group with the channels its people raised items through."""

    group: GroupRepresentation
    characteristic_label: str
    channels: list[tuple[str, int]]  # (words, people), online first
    reached_by: tuple[DirectoryEntry, ...] = ()  # Discover's listed groups reaching it


def since_for(period: str, now: datetime) -> datetime | None:
    """The start of the chosen period: 12 months (365 days) back, or None for all time."""
    return now - timedelta(days=365) if period == DEFAULT_PERIOD else None


def is_illustrative(profile: PopulationProfile) -> bool:
    """True for the demo's profile (and any a council labels illustrative itself)."""
    texts = [profile.label, *(row.source for row in profile.rows)]
    return any("illustrative" in text.lower() for text in texts)


@pages.get("/hidden-voices")
@staff_required(*VIEWERS)
def hidden_voices() -> str:
    """Representation of each "about you" group against the area's population profile."""
    period = request.args.get("period", DEFAULT_PERIOD)
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    since = since_for(period, utcnow())
    db = get_session()
    counts = participant_counts(db, since)
    people = sum(counts[next(iter(counts))].values()) if counts else 0
    stored, broken = None, None
    try:
        stored = load_stored_profile(current_app.config["INSTANCE_PATH"])
    except ProfileError as exc:
        broken = exc
    results: tuple[CharacteristicRepresentation, ...] = ()
    flagged: list[UnderRepresented] = []
    if stored is not None:
        results = represent(counts, stored.profile)
        channels = channels_by_group(db, since)
        listed = list_entries(db)
        flagged = [
            UnderRepresented(
                group,
                CHARACTERISTICS[group.characteristic].label,
                [
                    (CHANNEL_WORDS.get(code, code), n)
                    for code in channel_order(channels[group.characteristic][group.category])
                    if (n := channels[group.characteristic][group.category][code])
                ],
                who_reaches(listed, (group.characteristic, group.category)),
            )
            for group in under_represented(results)
        ]
    return render_template(
        "voices/hidden_voices.html",
        period=period,
        period_options=list(PERIODS.items()),
        period_words=PERIODS[period],
        people=people,
        stored=stored,
        broken=broken,
        illustrative=stored is not None and is_illustrative(stored.profile),
        results=results,
        flagged=flagged,
        flag_tags=FLAG_TAGS,
        counts=counts,
        characteristics=CHARACTERISTICS,
        kinds=KINDS,
    )
