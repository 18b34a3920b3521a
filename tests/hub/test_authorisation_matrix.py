"""Who may use each /staff address: one row per method and rule, checked for every role.

- Not signed in: a page sends you to sign in (and back); a form is refused (sign-in
  redirect or 403) and stores nothing.
- Signed in without the role: 403, and a refused form stores nothing.
- Signed in with the role: never 403, never sent to sign in.

`test_every_staff_rule_is_in_the_matrix` fails when a rule under /staff is added
(by any blueprint) without a row here, so no staff page escapes the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, select, table
from sqlalchemy.orm import Session

from hub.gather.services import add_comment
from hub.quotes.services import propose
from hub.routing import services as routing
from hub.routing.models import Organisation, OrganisationStaff
from hub.staff.auth import SESSION_KEY
from hub.staff.models import StaffUser
from hub.staff.services import start_session
from hub.themes.services import add_local_theme
from hubnet.db import get_session
from tests.hub.conftest import person, raise_item
from tests.hub.cycle_samples import cycle_samples
from tests.hub.staff_helpers import ROLES, form, make_staff

ANY = frozenset(ROLES)  # any signed-in staff member
ADMIN = frozenset({"admin"})
MODERATION = frozenset({"admin", "moderator"})
UPDATES = frozenset({"admin", "moderator", "responder"})  # public stage and note
ASSISTED = frozenset({"admin", "moderator", "facilitator"})  # entering for someone
VOICES = frozenset({"admin", "moderator", "facilitator"})  # hidden voices
RESPONSES = frozenset({"admin", "responder"})  # answering routed items
DISCOVER = frozenset({"admin", "moderator", "facilitator"})  # the directory, gaps, exports
DIRECTORY = frozenset({"admin", "facilitator"})  # changing the directory
PANELS = frozenset({"admin", "facilitator"})  # the volunteer pool and draws
ASSEMBLY_VIEW = frozenset({"admin", "moderator", "facilitator"})
ASSEMBLY = frozenset({"admin", "facilitator"})
STOCKTAKE_VIEW = frozenset({"admin", "moderator", "facilitator", "responder"})
STOCKTAKE = frozenset({"admin", "facilitator", "responder"})  # responders: their organisation's

ITEM = "/staff/moderation/items/<int:contribution_id>"
COMMENT = "/staff/moderation/comments/<int:comment_id>"
USER = "/staff/users/<int:staff_id>"
THEME = "/staff/themes/<int:theme_id>"
QUOTE = "/staff/quotes/<int:quote_id>"
ENTRY = "/staff/discover/<uuid:entry_id>"
MEETING = "/staff/assembly/meetings/<int:meeting_id>"
AGENDA_ITEM = f"{MEETING}/items/<int:item_id>"
ACTION = "/staff/stocktake/<int:action_id>"

# (method, rule) → roles allowed. Rules exactly as in app.url_map.
MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/staff/"): ANY,
    # your own account and its TOTP
    ("GET", "/staff/account"): ANY,
    ("POST", "/staff/account/password"): ANY,
    ("POST", "/staff/account/totp/start"): ANY,
    ("POST", "/staff/account/totp/confirm"): ANY,
    ("POST", "/staff/account/totp/disable"): ANY,
    # admin: the audit log, releases, users and roles, themes
    ("GET", "/staff/actions"): ADMIN,
    ("GET", "/staff/releases"): ADMIN,
    ("POST", "/staff/releases"): ADMIN,
    ("GET", "/staff/users"): ADMIN,
    ("GET", "/staff/users/new"): ADMIN,
    ("POST", "/staff/users/new"): ADMIN,
    ("GET", USER): ADMIN,
    ("POST", f"{USER}/role"): ADMIN,
    ("POST", f"{USER}/disable"): ADMIN,
    ("POST", f"{USER}/enable"): ADMIN,
    ("POST", f"{USER}/totp-reset"): ADMIN,
    ("POST", f"{USER}/password-link"): ADMIN,
    ("GET", "/staff/themes"): ADMIN,
    ("POST", "/staff/themes"): ADMIN,
    ("GET", THEME): ADMIN,
    ("POST", THEME): ADMIN,
    ("POST", f"{THEME}/retire"): ADMIN,
    ("POST", f"{THEME}/restore"): ADMIN,
    # moderators: the queue, items, comments, escalations, quotes
    ("GET", "/staff/moderation"): MODERATION,
    ("GET", ITEM): MODERATION,
    ("POST", f"{ITEM}/publish"): MODERATION,
    ("POST", f"{ITEM}/reject"): MODERATION,
    ("POST", f"{ITEM}/edit"): MODERATION,
    ("POST", f"{ITEM}/restore"): MODERATION,
    ("POST", f"{ITEM}/remove"): MODERATION,
    ("POST", f"{ITEM}/criticality"): MODERATION,
    ("POST", f"{ITEM}/escalate"): MODERATION,
    ("POST", f"{ITEM}/close-escalation"): MODERATION,
    ("GET", COMMENT): MODERATION,
    ("POST", f"{COMMENT}/publish"): MODERATION,
    ("POST", f"{COMMENT}/reject"): MODERATION,
    ("POST", f"{COMMENT}/edit"): MODERATION,
    ("POST", f"{COMMENT}/restore"): MODERATION,
    ("POST", f"{COMMENT}/remove"): MODERATION,
    ("GET", "/staff/escalations"): MODERATION,
    ("GET", "/staff/quotes"): MODERATION,
    ("GET", QUOTE): MODERATION,
    ("POST", "/staff/quotes/propose"): MODERATION,
    ("POST", f"{QUOTE}/edit"): MODERATION,
    ("POST", f"{QUOTE}/approve"): MODERATION,
    ("POST", f"{QUOTE}/reject"): MODERATION,
    ("POST", f"{QUOTE}/withdraw"): MODERATION,
    # status updates: moderators and responders
    ("GET", "/staff/updates"): UPDATES,
    ("GET", "/staff/updates/<int:contribution_id>"): UPDATES,
    ("POST", "/staff/updates/<int:contribution_id>"): UPDATES,
    # assisted digital: moderators and facilitators
    ("GET", "/staff/assisted"): ASSISTED,
    ("POST", "/staff/assisted"): ASSISTED,
    # hidden voices: admins, moderators and facilitators
    ("GET", "/staff/hidden-voices"): VOICES,
    # triage and routing: moderators triage and see organisations, admins change them,
    # responders answer their organisation's items
    ("GET", "/staff/routing"): MODERATION,
    ("GET", "/staff/routing/<int:contribution_id>"): MODERATION,
    ("POST", "/staff/routing/<int:contribution_id>"): MODERATION,
    ("GET", "/staff/organisations"): MODERATION,
    ("POST", "/staff/organisations"): ADMIN,
    ("POST", "/staff/organisations/link"): ADMIN,
    ("GET", "/staff/responses"): RESPONSES,
    ("GET", "/staff/responses/<int:routing_id>"): RESPONSES,
    ("POST", "/staff/responses/<int:routing_id>"): RESPONSES,
    ("POST", "/staff/responses/<int:routing_id>/change"): RESPONSES,
    # Discover: moderators view, admins and facilitators change the directory
    ("GET", "/staff/discover"): DISCOVER,
    ("GET", "/staff/discover/gaps"): DISCOVER,
    ("GET", "/staff/discover/export.json"): DISCOVER,
    ("GET", "/staff/discover/export.zip"): DISCOVER,
    ("GET", "/staff/discover/add"): DIRECTORY,
    ("POST", "/staff/discover/add"): DIRECTORY,
    ("GET", "/staff/discover/import"): DIRECTORY,
    ("POST", "/staff/discover/import"): DIRECTORY,
    ("GET", ENTRY): DIRECTORY,
    ("POST", ENTRY): DIRECTORY,
    ("GET", f"{ENTRY}/remove"): DIRECTORY,
    ("POST", f"{ENTRY}/remove"): DIRECTORY,
    # citizens' panels: facilitators (and admins) see the pool and draw
    ("GET", "/staff/panels"): PANELS,
    ("GET", "/staff/panels/draw"): PANELS,
    ("POST", "/staff/panels/draw"): PANELS,
    ("GET", "/staff/panels/draws/<int:draw_id>"): PANELS,
    # jury and assembly: facilitators change, moderators view
    ("GET", "/staff/assembly"): ASSEMBLY_VIEW,
    ("GET", "/staff/assembly/juries/new"): ASSEMBLY,
    ("POST", "/staff/assembly/juries"): ASSEMBLY,
    ("GET", "/staff/assembly/juries/<int:jury_id>"): ASSEMBLY_VIEW,
    ("POST", "/staff/assembly/juries/<int:jury_id>/shortlist"): ASSEMBLY,
    ("POST", "/staff/assembly/juries/<int:jury_id>/choice"): ASSEMBLY,
    ("GET", "/staff/assembly/meetings/new"): ASSEMBLY,
    ("POST", "/staff/assembly/meetings"): ASSEMBLY,
    ("GET", MEETING): ASSEMBLY_VIEW,
    ("POST", f"{MEETING}/agenda"): ASSEMBLY,
    ("POST", f"{MEETING}/agenda/<int:item_id>/move"): ASSEMBLY,
    ("POST", f"{MEETING}/agenda/<int:item_id>/remove"): ASSEMBLY,
    ("POST", f"{MEETING}/publish"): ASSEMBLY,
    ("GET", f"{MEETING}/attendance"): ASSEMBLY_VIEW,
    ("POST", f"{MEETING}/attendance"): ASSEMBLY,
    ("POST", f"{MEETING}/managers"): ASSEMBLY,
    ("POST", f"{MEETING}/managers/<int:attendee_id>/remove"): ASSEMBLY,
    ("GET", AGENDA_ITEM): ASSEMBLY_VIEW,
    ("POST", f"{AGENDA_ITEM}/replies"): ASSEMBLY,
    ("POST", f"{AGENDA_ITEM}/replies/<int:reply_id>/confirmation"): ASSEMBLY,
    ("POST", f"{AGENDA_ITEM}/outcomes"): ASSEMBLY,
    ("GET", f"{MEETING}/pack"): ASSEMBLY_VIEW,
    # Stocktake: everyone but residents reads; facilitators and responders update
    ("GET", "/staff/stocktake"): STOCKTAKE_VIEW,
    ("GET", ACTION): STOCKTAKE_VIEW,
    ("GET", "/staff/stocktake/new"): STOCKTAKE,
    ("POST", "/staff/stocktake/new"): STOCKTAKE,
    ("POST", f"{ACTION}/update"): STOCKTAKE,
    ("POST", f"{ACTION}/plan"): STOCKTAKE,
}
# Open to everyone: signing in (password, then the TOTP code) and out, and the one-time
# set-password link (the token in the address is the permission).
PUBLIC = {
    ("GET", "/staff/login"),
    ("POST", "/staff/login"),
    ("GET", "/staff/login/code"),
    ("POST", "/staff/login/code"),
    ("POST", "/staff/logout"),
    ("GET", "/staff/set-password/<token>"),
    ("POST", "/staff/set-password/<token>"),
}
# What a form sends (enough to get past "field missing" where a view checks early).
FORM_FIELDS = {
    "contribution_id": "0",
    "text": "Some words to quote.",
    "revision": "1",
    "period": "2026-10",
    "note": "A note.",
    "reason": "A reason.",
}


@dataclass(frozen=True)
class Rule:
    method: str
    rule: str
    roles: frozenset[str]

    def path(self, samples: dict[str, Any], app: Flask) -> str:
        for candidate in app.url_map.iter_rules():
            if candidate.rule == self.rule and self.method in (candidate.methods or ()):
                missing = set(candidate.arguments) - set(samples)
                assert not missing, f"{self.rule}: add a sample for {sorted(missing)} below"
                built = candidate.build({k: samples[k] for k in candidate.arguments})
                assert built is not None
                return built[1]
        raise AssertionError(f"{self.method} {self.rule} is not in the url_map")


RULES = [Rule(method, rule, roles) for (method, rule), roles in sorted(MATRIX.items())]


def staff_rules(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/staff"):
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                found.add((method, rule.rule))
    return found


@pytest.fixture
def samples(db: Session) -> dict[str, Any]:
    """A value for every URL parameter a staff rule takes, each naming a real row."""
    contribution = raise_item(db, person(db))
    contribution.quote_consent = True
    quote = propose(db, contribution)
    comment = add_comment(db, contribution=contribution, participant=person(db), body="Same here.")
    theme = add_local_theme(db, "hospital-discharge", "Hospital discharge", "other")
    target = make_staff(db, "target@example.org", "responder")  # someone to manage
    router = make_staff(db, "router@example.org", "moderator")
    organisation = routing.add_organisation(db, router, "Adult Social Care", "council-department")
    routed = routing.route(db, raise_item(db, person(db)), organisation, None, router)
    cycle = cycle_samples(db, organisation)
    db.commit()
    return {
        "quote_id": quote.id,
        "contribution_id": contribution.id,
        "comment_id": comment.id,
        "theme_id": theme.id,
        "staff_id": target.id,
        "routing_id": routed.id,
        **cycle,
    }


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        db = get_session()
        names = inspect(db.get_bind()).get_table_names()
        return {
            name: int(db.scalar(select(func.count()).select_from(table(name))) or 0)
            for name in names
            if name != "alembic_version"
        }


def signed_in(app: Flask, db: Session, role: str) -> FlaskClient:
    """A new client signed in as this test's staff member with `role` (made once: hashing
    a password is slow; each client gets its own sign-in, as a form may end one)."""
    email = f"{role}-{id(app)}@example.org"
    staff = db.scalar(select(StaffUser).where(StaffUser.email == email))
    if staff is None:
        staff = make_staff(db, email, role)
        if role == "responder":  # answers for the samples' organisation, as responders do
            organisation = db.scalar(select(Organisation).order_by(Organisation.id))
            if organisation is not None:
                db.add(OrganisationStaff(staff_id=staff.id, organisation_id=organisation.id))
    token = start_session(db, staff)
    db.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = token
    return client


def request(client: FlaskClient, rule: Rule, path: str) -> Any:
    if rule.method == "GET":
        return client.get(path)
    return client.post(path, data=form(client, **FORM_FIELDS))


def test_every_staff_rule_is_in_the_matrix(app: Flask) -> None:
    found = staff_rules(app)

    missing = sorted(found - set(MATRIX) - PUBLIC)
    stale = sorted(set(MATRIX) - found)
    assert not missing, "rules under /staff with no row in MATRIX:\n" + "\n".join(map(str, missing))
    assert not stale, "rows in MATRIX for rules that no longer exist:\n" + "\n".join(
        map(str, stale)
    )


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.method} {r.rule}")
def test_not_signed_in(app: Flask, samples: dict[str, Any], rule: Rule) -> None:
    client = app.test_client()
    path = rule.path(samples, app)
    before = row_counts(app)

    response = request(client, rule, path)

    location = urlsplit(response.headers.get("Location", ""))
    if rule.method == "GET":
        assert response.status_code == 302
        assert location.path == "/staff/login"
        assert parse_qs(location.query)["next"] == [path]
    else:
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert location.path == "/staff/login"
    assert row_counts(app) == before


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_refused_exactly_where_the_matrix_says(
    app: Flask, db: Session, samples: dict[str, Any], role: str
) -> None:
    denied = [rule for rule in RULES if role not in rule.roles]
    allowed = [rule for rule in RULES if role in rule.roles]
    client = signed_in(app, db, role)
    before = row_counts(app)

    for rule in denied:
        response = request(client, rule, rule.path(samples, app))
        assert response.status_code == 403, f"{role} {rule.method} {rule.rule}"
        if rule.method == "GET":  # the page says so, and is never cached
            assert "You cannot use this page" in response.get_data(as_text=True)
            assert response.headers["Cache-Control"] == "no-store"
    assert row_counts(app) == before, f"a refused {role} request stored something"

    for rule in allowed:
        response = request(signed_in(app, db, role), rule, rule.path(samples, app))
        location = response.headers.get("Location", "")
        assert response.status_code != 403, f"{role} {rule.method} {rule.rule}"
        assert response.status_code < 500, f"{role} {rule.method} {rule.rule}"
        assert not urlsplit(location).path.startswith("/staff/login"), (
            f"{role} {rule.method} {rule.rule} sent to sign in"
        )


def test_a_disabled_account_is_refused_everywhere(
    app: Flask, db: Session, samples: dict[str, Any]
) -> None:
    client = signed_in(app, db, "admin")
    for staff in db.scalars(select(StaffUser).where(StaffUser.email.like("admin-%"))):
        staff.active = False  # e.g. an admin disabled them while they were signed in
    db.commit()

    for rule in RULES:
        response = request(client, rule, rule.path(samples, app))
        assert response.status_code in (302, 403), f"{rule.method} {rule.rule}"
