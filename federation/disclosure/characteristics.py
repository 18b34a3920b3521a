"""The demographic characteristics a hub may break a count down by, shipped as versioned data.

One characteristic at a time (DESIGN.md §5): the engine only ever makes the
one-way tables listed here, never a cross-tabulation, so the list *is* the
catalogue of what may be asked. Each characteristic has a `not-stated`
category that takes both "not answered" and "prefer not to say": publishing
the two apart would tell a reader who chose to withhold, which is itself
personal. The hub stores `prefer-not-to-say` locally (`stored_to_category`
maps it). Age bands match the Census 2021 bands so a national reader can
compare participation with the population. A new list is a new file
(`characteristics-2.json`), never an edit to this one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

VERSION = "characteristics/1"
NOT_STATED = "not-stated"
PREFER_NOT_TO_SAY = "prefer-not-to-say"


@dataclass(frozen=True)
class Category:
    code: str
    label: str


@dataclass(frozen=True)
class Characteristic:
    code: str
    label: str
    categories: tuple[Category, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """Category codes in publication order (not-stated last)."""
        return tuple(category.code for category in self.categories)

    def label_of(self, code: str) -> str:
        for category in self.categories:
            if category.code == code:
                return category.label
        raise KeyError(f"{code!r} is not a category of {self.code}")

    @property
    def stored_values(self) -> tuple[str, ...]:
        """What a hub may store for a person: any category but not-stated, or prefer-not-to-say."""
        return (*(code for code in self.codes if code != NOT_STATED), PREFER_NOT_TO_SAY)


def stored_to_category(value: str | None) -> str:
    """The published category for a stored answer: NULL and prefer-not-to-say become not-stated."""
    if value is None or value == PREFER_NOT_TO_SAY:
        return NOT_STATED
    return value


@cache
def load_characteristics(version: str = VERSION) -> Mapping[str, Characteristic]:
    """Read a published characteristics list from package data (cached); KeyError if none."""
    name = version.replace("characteristics/", "characteristics-")
    try:
        text = resources.files("federation").joinpath("data", f"{name}.json").read_text("utf-8")
    except FileNotFoundError as exc:
        raise KeyError(f"no characteristics version {version!r}") from exc
    data = json.loads(text)
    if data["version"] != version:
        raise KeyError(f"characteristics file for {version!r} says it is {data['version']!r}")
    result: dict[str, Characteristic] = {}
    for item in data["characteristics"]:
        categories = tuple(Category(c["code"], c["label"]) for c in item["categories"])
        codes = [category.code for category in categories]
        if len(set(codes)) != len(codes) or codes[-1] != NOT_STATED:
            raise ValueError(f"{item['code']}: categories must be unique, not-stated last")
        result[item["code"]] = Characteristic(item["code"], item["label"], categories)
    return MappingProxyType(result)


CHARACTERISTICS: Mapping[str, Characteristic] = load_characteristics()
