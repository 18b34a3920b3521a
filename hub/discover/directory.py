"""One entry in the Discover directory of existing participation, and its checks.

Discover lists the groups people can already join to have a say about health and
care: patient participation groups, Healthwatch, voluntary and community
organisations, council and NHS forums. Each entry says who it reaches (groups of
people, in the same characteristic codes the hub publishes: see
federation/disclosure/characteristics.py), where (ONS ward codes; none means the
whole hub area), what about (national theme codes or free words) and how to join.

An entry checks itself when made: every problem is collected into one
`EntryError`, whose `problems` are (field, message) pairs a form or an importer can
show against the field at fault. Lists passed for the tuple fields are turned into
tuples, so entries stay hashable. The `id` is a UUID (Open Referral UK gives every
record one; use `new_entry_id()` for a new entry). Leaves out: storage, who edited
an entry, and opening times or meeting places.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED

KINDS: dict[str, str] = {
    "ppg": "Patient participation group",
    "healthwatch": "Healthwatch",
    "vcse": "Voluntary and community organisation",
    "council": "Council forum or panel",
    "nhs": "NHS forum or panel",
    "other": "Other",
}

WARD_CODE = re.compile(r"[ENSW]05\d{6}")  # as hub/gather's ward list
# ODS codes are 1 to 9 capital letters and digits (NHS England, "ODS codes").
ODS_CODE = re.compile(r"[A-Z0-9]{1,9}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
PHONE = re.compile(r"\+?[0-9 ()-]+")
MAX_TOPIC = 80

Group = tuple[str, str]  # (characteristic code, category code), e.g. ("age_band", "75-plus")


class EntryError(ValueError):
    """A directory entry with one or more problems, each (field, message)."""

    def __init__(self, problems: Iterable[tuple[str, str]]) -> None:
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.problems))


def new_entry_id() -> str:
    """A fresh entry id (a random UUID in its usual lower-case form)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class DirectoryEntry:
    """A group people can join; see the module docstring for each field's meaning."""

    id: str
    name: str
    kind: str
    description: str = ""
    how_to_join: str = ""
    url: str | None = None
    email: str | None = None
    phone: str | None = None
    ods_code: str | None = None
    wards: tuple[str, ...] = ()
    reaches: tuple[Group, ...] = ()
    topics: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "wards", _as_tuple(self.wards))
        object.__setattr__(
            self, "reaches", tuple(_as_tuple(pair) for pair in _as_tuple(self.reaches))
        )
        object.__setattr__(self, "topics", _as_tuple(self.topics))
        problems = entry_problems(self)
        if problems:
            raise EntryError(problems)

    @property
    def covers_whole_area(self) -> bool:
        """True when the entry names no wards: it is taken to reach the whole hub area."""
        return not self.wards


def _as_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def entry_problems(entry: DirectoryEntry) -> list[tuple[str, str]]:
    """Every problem with the entry as (field, message); empty when it is valid."""
    problems: list[tuple[str, str]] = []

    def text(field: str, value: object, *, required: bool) -> None:
        if not isinstance(value, str):
            problems.append((field, "must be text"))
        elif required and not value.strip():
            problems.append((field, "must not be empty"))
        elif value != value.strip():
            problems.append((field, "must not start or end with spaces"))

    try:
        if str(uuid.UUID(entry.id)) != entry.id:
            raise ValueError
    except (ValueError, TypeError, AttributeError):
        problems.append(("id", f"{entry.id!r} is not a UUID in lower-case form"))
    text("name", entry.name, required=True)
    if entry.kind not in KINDS:
        problems.append(("kind", f"{entry.kind!r} is not one of {', '.join(KINDS)}"))
    text("description", entry.description, required=False)
    text("how_to_join", entry.how_to_join, required=False)
    if entry.url is not None:
        parts = urlsplit(entry.url) if isinstance(entry.url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(("url", f"{entry.url!r} is not a web address starting http(s)://"))
    if entry.email is not None and not (
        isinstance(entry.email, str) and EMAIL.fullmatch(entry.email)
    ):
        problems.append(("email", f"{entry.email!r} is not an email address"))
    if entry.phone is not None:
        digits = sum(ch.isdigit() for ch in entry.phone) if isinstance(entry.phone, str) else 0
        if not (
            isinstance(entry.phone, str) and PHONE.fullmatch(entry.phone) and 7 <= digits <= 15
        ):
            problems.append(
                ("phone", f"{entry.phone!r} is not a phone number (digits, spaces, +, brackets)")
            )
    if entry.ods_code is not None and not (
        isinstance(entry.ods_code, str) and ODS_CODE.fullmatch(entry.ods_code)
    ):
        problems.append(
            ("ods_code", f"{entry.ods_code!r} is not an ODS code (1 to 9 capitals and digits)")
        )
    problems.extend(_ward_problems(entry.wards))
    problems.extend(_reach_problems(entry.reaches))
    problems.extend(_topic_problems(entry.topics))
    return problems


def _ward_problems(wards: object) -> list[tuple[str, str]]:
    if not isinstance(wards, tuple):
        return [("wards", "must be a tuple of ONS ward codes")]
    problems = [
        ("wards", f"{ward!r} is not an ONS ward code such as E05011234")
        for ward in wards
        if not (isinstance(ward, str) and WARD_CODE.fullmatch(ward))
    ]
    problems += [("wards", f"{ward!r} is listed twice") for ward in _repeated(wards)]
    return problems


def _reach_problems(reaches: object) -> list[tuple[str, str]]:
    if not isinstance(reaches, tuple):
        return [("reaches", "must be a tuple of (characteristic, category) pairs")]
    problems: list[tuple[str, str]] = []
    for pair in reaches:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            problems.append(("reaches", f"{pair!r} is not a (characteristic, category) pair"))
            continue
        characteristic, category = pair
        if characteristic not in CHARACTERISTICS:
            problems.append(
                (
                    "reaches",
                    f"{characteristic!r} is not a characteristic; "
                    f"one of {', '.join(CHARACTERISTICS)}",
                )
            )
        elif category == NOT_STATED or category not in CHARACTERISTICS[characteristic].codes:
            codes = [code for code in CHARACTERISTICS[characteristic].codes if code != NOT_STATED]
            problems.append(
                (
                    "reaches",
                    f"{category!r} is not a category of {characteristic}; "
                    f"one of {', '.join(codes)}",
                )
            )
    problems += [("reaches", f"{pair!r} is listed twice") for pair in _repeated(reaches)]
    return problems


def _topic_problems(topics: object) -> list[tuple[str, str]]:
    if not isinstance(topics, tuple):
        return [("topics", "must be a tuple of theme codes or words")]
    problems: list[tuple[str, str]] = []
    for topic in topics:
        if not isinstance(topic, str) or not topic.strip() or topic != topic.strip():
            problems.append(("topics", f"{topic!r} must be non-empty text without outer spaces"))
        elif len(topic) > MAX_TOPIC:
            problems.append(("topics", f"{topic[:20]!r}… is longer than {MAX_TOPIC} characters"))
    problems += [("topics", f"{topic!r} is listed twice") for topic in _repeated(topics)]
    return problems


def _repeated(values: tuple[Any, ...]) -> list[Any]:
    seen: set[Any] = set()
    repeated: list[Any] = []
    for value in values:
        try:
            if value in seen and value not in repeated:
                repeated.append(value)
            seen.add(value)
        except TypeError:  # unhashable: already reported as the wrong shape
            continue
    return repeated


def group_label(group: Group) -> str:
    """A reader's label for a group, e.g. "Age band: 75 and over" (codes as the hub publishes)."""
    characteristic = CHARACTERISTICS[group[0]]
    return f"{characteristic.label}: {characteristic.label_of(group[1])}"
