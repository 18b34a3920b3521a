"""Admins manage local themes: add, rename, re-map to another national theme, retire, restore.

A retired theme is no longer offered (the API and the raise form list only the
others) but its items keep it and keep counting. Every change is logged.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.gather.models import Contribution
from hub.staff.models import StaffAction, StaffUser
from hub.themes.models import LocalTheme
from hub.themes.services import find_theme, list_themes
from tests.hub.staff_helpers import ROLES, form, staff_client


def actions(db: Session, action: str) -> list[StaffAction]:
    db.rollback()
    return list(db.scalars(select(StaffAction).where(StaffAction.action == action)))


def theme(db: Session, slug: str) -> LocalTheme:
    db.rollback()
    found = find_theme(db, slug)
    assert found is not None
    return found


def api_slugs(client: FlaskClient) -> set[str]:
    return {item["slug"] for item in client.get("/api/v1/themes").get_json()["items"]}


@pytest.fixture
def admin(app: Flask, db: Session) -> tuple[FlaskClient, StaffUser]:
    return staff_client(app, db, "admin", "ad@example.org")


def test_the_themes_page_lists_each_local_theme_with_its_national_theme(
    admin: tuple[FlaskClient, StaffUser],
) -> None:
    client, _ = admin

    page = client.get("/staff/themes").get_data(as_text=True)

    assert "Local themes and the national theme each counts under" in page
    assert "GP access" in page
    assert '<select class="nhsuk-select" id="national_code" name="national_code"' in page


def test_an_admin_adds_a_theme(db: Session, admin: tuple[FlaskClient, StaffUser]) -> None:
    client, me = admin

    response = client.post(
        "/staff/themes",
        data=form(
            client, name="Leaving hospital", slug="hospital-discharge", national_code="other"
        ),
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "Added the theme “Leaving hospital”" in response.get_data(as_text=True)
    added = theme(db, "hospital-discharge")
    assert (added.name, added.national_code, added.retired) == ("Leaving hospital", "other", False)
    [entry] = actions(db, "theme-added")
    assert (entry.staff_id, entry.target) == (me.id, "theme:hospital-discharge")
    assert "hospital-discharge" in api_slugs(client)


@pytest.mark.parametrize(
    ("fields", "anchor", "message"),
    [
        ({"name": "Buses", "slug": "Bad Slug", "national_code": "other"}, "slug", "must be"),
        ({"name": "B", "slug": "buses", "national_code": "other"}, "name", "2–80 characters"),
        (
            {"name": "Buses", "slug": "buses", "national_code": ""},
            "national_code",
            "not a national",
        ),
        ({"name": "GP", "slug": "gp-access", "national_code": "other"}, "slug", "already exists"),
    ],
)
def test_a_bad_theme_is_refused_with_the_field_named(
    db: Session,
    admin: tuple[FlaskClient, StaffUser],
    fields: dict[str, str],
    anchor: str,
    message: str,
) -> None:
    client, _ = admin
    before = len(list_themes(db, include_retired=True))

    response = client.post("/staff/themes", data=form(client, **fields))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'<a href="#{anchor}">' in page and message in page
    db.rollback()
    assert len(list_themes(db, include_retired=True)) == before
    assert actions(db, "theme-added") == []


def test_renaming_and_remapping_are_logged_separately(
    db: Session, admin: tuple[FlaskClient, StaffUser]
) -> None:
    client, me = admin
    gp = theme(db, "gp-access")

    response = client.post(
        f"/staff/themes/{gp.id}",
        data=form(client, name="Seeing a GP", national_code="other"),
        follow_redirects=True,
    )

    assert "the theme is renamed and re-mapped" in response.get_data(as_text=True)
    changed = theme(db, "gp-access")
    assert (changed.name, changed.national_code) == ("Seeing a GP", "other")
    [renamed] = actions(db, "theme-renamed")
    [remapped] = actions(db, "theme-remapped")
    assert (renamed.staff_id, renamed.detail) == (me.id, "GP access to Seeing a GP")
    assert remapped.detail == "gp-access to other"


def test_a_bad_edit_changes_nothing(db: Session, admin: tuple[FlaskClient, StaffUser]) -> None:
    client, _ = admin
    gp = theme(db, "gp-access")

    response = client.post(
        f"/staff/themes/{gp.id}", data=form(client, name="Seeing a GP", national_code="nope")
    )

    assert response.status_code == 400
    assert '<a href="#national_code">' in response.get_data(as_text=True)
    assert theme(db, "gp-access").name == "GP access"
    assert actions(db, "theme-renamed") == []


def test_a_retired_theme_is_no_longer_offered_until_restored(
    db: Session, admin: tuple[FlaskClient, StaffUser]
) -> None:
    client, _ = admin
    gp = theme(db, "gp-access")

    client.post(f"/staff/themes/{gp.id}/retire", data=form(client))

    assert theme(db, "gp-access").retired
    assert "gp-access" not in api_slugs(client)
    assert "gp-access" not in {t.slug for t in list_themes(db)}
    # nor accepted from someone who posts the old slug directly: nothing is stored
    before = db.scalar(select(func.count()).select_from(Contribution))
    refused = client.post(
        "/api/v1/contributions",
        json={
            "kind": "idea",
            "title": "Evening surgeries",
            "body": "Open later on Thursdays.",
            "theme": "gp-access",
        },
    )
    assert refused.status_code == 400
    assert refused.get_json()["errors"][0]["field"] == "theme"
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Contribution)) == before
    page = client.get("/staff/themes").get_data(as_text=True)
    assert "Retired" in page
    client.post(f"/staff/themes/{gp.id}/restore", data=form(client))
    assert not theme(db, "gp-access").retired
    assert "gp-access" in api_slugs(client)
    assert [len(actions(db, a)) for a in ("theme-retired", "theme-restored")] == [1, 1]


def test_theme_text_is_escaped(db: Session, admin: tuple[FlaskClient, StaffUser]) -> None:
    client, _ = admin
    client.post(
        "/staff/themes",
        data=form(client, name="<script>alert(1)</script>", slug="xss", national_code="other"),
    )

    page = client.get("/staff/themes").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_admins_manage_themes(app: Flask, db: Session, role: str) -> None:
    client, _ = staff_client(app, db, role)
    gp = theme(db, "gp-access")

    assert client.get("/staff/themes").status_code == 403
    assert client.get(f"/staff/themes/{gp.id}").status_code == 403
    for path, data in (
        ("/staff/themes", {"name": "Buses", "slug": "buses", "national_code": "other"}),
        (f"/staff/themes/{gp.id}", {"name": "Renamed", "national_code": "other"}),
        (f"/staff/themes/{gp.id}/retire", {}),
    ):
        assert client.post(path, data=form(client, **data)).status_code == 403, path
    after = theme(db, "gp-access")
    assert (after.name, after.retired, find_theme(db, "buses")) == ("GP access", False, None)


def test_an_unknown_theme_is_not_found(admin: tuple[FlaskClient, StaffUser]) -> None:
    client, _ = admin

    assert client.get("/staff/themes/99999").status_code == 404
    assert client.post("/staff/themes/99999/retire", data=form(client)).status_code == 404


def test_usable_theme_leaves_out_retired_ones(
    db: Session, admin: tuple[FlaskClient, StaffUser]
) -> None:
    from hub.themes.services import usable_theme

    client, _ = admin
    gp = theme(db, "gp-access")
    assert usable_theme(db, "gp-access") is not None

    client.post(f"/staff/themes/{gp.id}/retire", data=form(client))

    db.rollback()
    assert usable_theme(db, "gp-access") is None
    assert find_theme(db, "gp-access") is not None  # old items keep it
    assert usable_theme(db, "no-such-theme") is None
