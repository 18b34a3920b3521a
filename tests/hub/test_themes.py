"""Local themes: seeded from the national taxonomy, added by the council, listed by the API."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from federation.taxonomy import load_taxonomy
from hub.themes.services import add_local_theme, list_themes


def test_migration_seeds_one_local_theme_per_national_theme(db: Session) -> None:
    national = load_taxonomy("national/1")

    themes = {theme.slug: theme for theme in list_themes(db)}

    assert set(themes) == set(national.codes)
    for code in national.codes:
        assert themes[code].national_code == code
        assert themes[code].name == national.name_of(code)


def test_a_council_adds_a_local_theme_mapped_to_a_national_code(db: Session) -> None:
    theme = add_local_theme(db, "hospital-discharge", "Leaving hospital", "care-integration")
    db.commit()

    assert theme.id is not None
    assert {t.slug: t.national_code for t in list_themes(db)}["hospital-discharge"] == (
        "care-integration"
    )


@pytest.mark.parametrize(
    ("slug", "name", "code", "message"),
    [
        ("buses", "Buses to hospital", "buses", "'buses' is not a national theme code"),
        ("Bad Slug", "Buses", "transport-access", "slug 'Bad Slug' must be"),
        ("buses", "B", "transport-access", "name must be 2–80 characters"),
        ("gp-access", "GP again", "gp-access", "slug 'gp-access' already exists"),
    ],
)
def test_a_bad_local_theme_is_refused_with_a_clear_message(
    db: Session, slug: str, name: str, code: str, message: str
) -> None:
    before = len(list_themes(db))

    with pytest.raises(ValueError, match=message):
        add_local_theme(db, slug, name, code)

    assert len(list_themes(db)) == before


def test_an_unknown_national_code_lists_the_codes_to_choose_from(db: Session) -> None:
    with pytest.raises(ValueError) as refused:
        add_local_theme(db, "buses", "Buses", "transport")
    assert "transport-access" in str(refused.value)
    assert "national/1" in str(refused.value)


def test_api_lists_themes_with_their_national_theme(client: FlaskClient) -> None:
    response = client.get("/api/v1/themes")

    assert response.status_code == 200
    items = {item["slug"]: item for item in response.get_json()["items"]}
    assert items["gp-access"] == {
        "slug": "gp-access",
        "name": "GP access",
        "national_code": "gp-access",
        "national_name": "GP access",
    }
