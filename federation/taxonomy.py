"""The national theme taxonomy, shipped as versioned data.

Hubs keep their own local themes and map each onto one national code; a local
theme with no national match maps to `other`. The aggregator ranks national
codes only. A new taxonomy version is a new data file (`taxonomy-national-2.json`),
never an edit to a published one, so old summaries stay readable. Leaves out:
local themes (each hub owns those).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

CURRENT_VERSION = "national/1"


@dataclass(frozen=True)
class Theme:
    code: str
    name: str
    description: str


@dataclass(frozen=True)
class Taxonomy:
    version: str
    themes: tuple[Theme, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(theme.code for theme in self.themes)

    def name_of(self, code: str) -> str:
        for theme in self.themes:
            if theme.code == code:
                return theme.name
        raise KeyError(f"{code!r} is not a theme in taxonomy {self.version}")


def load_taxonomy(version: str = CURRENT_VERSION) -> Taxonomy:
    """Load a published taxonomy version from the package data (cached); KeyError if none."""
    return _load(version)


@cache
def _load(version: str) -> Taxonomy:
    name = version.replace("/", "-")
    try:
        text = (
            resources.files("federation")
            .joinpath("data", f"taxonomy-{name}.json")
            .read_text(encoding="utf-8")
        )
    except FileNotFoundError as exc:
        raise KeyError(f"no taxonomy version {version!r}") from exc
    data = json.loads(text)
    if data["version"] != version:
        raise KeyError(f"taxonomy file for {version!r} says it is {data['version']!r}")
    themes = tuple(Theme(t["code"], t["name"], t["description"]) for t in data["themes"])
    return Taxonomy(version=data["version"], themes=themes)
