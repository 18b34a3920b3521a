"""The national taxonomy shipped as data: exactly DESIGN.md §6's 26 codes."""

from __future__ import annotations

import pytest

from federation.taxonomy import CURRENT_VERSION, load_taxonomy

DESIGN_CODES = (
    "gp-access",
    "urgent-emergency-care",
    "planned-care-waiting",
    "mental-health",
    "adult-social-care",
    "care-integration",
    "unpaid-carers",
    "children-young-people",
    "maternity",
    "long-term-conditions",
    "cancer",
    "learning-disability-autism",
    "dementia",
    "prevention-public-health",
    "dentistry",
    "pharmacy",
    "community-services",
    "end-of-life-care",
    "workforce",
    "digital-access",
    "health-inequalities",
    "rights-information-advocacy",
    "transport-access",
    "safety-dignity",
    "funding",
    "other",
)


def test_national_1_has_exactly_the_design_codes_in_order() -> None:
    taxonomy = load_taxonomy("national/1")
    assert taxonomy.version == "national/1" == CURRENT_VERSION
    assert len(DESIGN_CODES) == 26
    assert taxonomy.codes == DESIGN_CODES


def test_every_theme_is_named_and_described() -> None:
    for theme in load_taxonomy().themes:
        assert theme.name.strip() and theme.description.strip()
        assert theme.code == theme.code.strip().lower()


def test_name_of() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.name_of("gp-access") == "GP access"
    with pytest.raises(KeyError):
        taxonomy.name_of("potholes")


def test_unknown_version() -> None:
    with pytest.raises(KeyError):
        load_taxonomy("national/99")


def test_taxonomy_is_cached_and_immutable() -> None:
    assert load_taxonomy() is load_taxonomy(CURRENT_VERSION)
    assert isinstance(load_taxonomy().themes, tuple)
