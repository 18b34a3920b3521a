"""National team access: staff accounts with roles, sign-in, and an audit log of staff actions.

Roles are analyst, board-secretary and admin (`Role`; admin may do everything).
Everything that writes is behind `staff_required(*roles)`; every published
page and the read-only API stay public. Staff actions are written with
`record_action` in the same transaction as the change. Accounts are made with
`hubnet aggregator staff add` (`national_aggregator.staff.cli`).

`init_app` registers /staff/… (login and its two-step code, logout, home,
account with two-step sign-in, set-password, actions, users and roles), its
rate limits, and CSRF checking of every form post
(`national_aggregator.csrf`). A feature lists its staff pages on /staff/ with
`add_staff_task(app, text, endpoint, *roles)`. Admins also manage accounts on
/staff/users; two-step sign-in (TOTP) uses `hubnet.totp`, shared with the hub.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from national_aggregator import csrf
from national_aggregator.staff import limits, views
from national_aggregator.staff.audit import record_action
from national_aggregator.staff.auth import (
    current_staff,
    pages,
    signed_in_staff,
    staff_required,
)
from national_aggregator.staff.models import ROLES, Role, StaffUser

__all__ = [
    "ROLES",
    "SETTINGS",
    "Role",
    "StaffUser",
    "add_staff_task",
    "current_staff",
    "init_app",
    "record_action",
    "signed_in_staff",
    "staff_required",
]

SETTINGS: Mapping[str, Any] = {
    "NATIONAL_STAFF_SESSION_HOURS": 8,  # a staff sign-in ends on the server after this long
    "NATIONAL_STAFF_PASSWORD_LINK_HOURS": 72,  # a set-password link works this long
    # Failed sign-ins (or password changes) per client address, and to one email from anywhere.
    "NATIONAL_STAFF_LOGIN_RATE_LIMIT": "10 per 15 minutes",
    "NATIONAL_STAFF_LOGIN_RATE_LIMIT_PER_EMAIL": "20 per hour",
}
"""The staff settings and their defaults (also in the app's DEFAULTS)."""


def add_staff_task(app: Flask, text: str, endpoint: str, *roles: str) -> None:
    """List a staff page on /staff/ for the roles that may use it (admins always see it)."""
    known = {role.value for role in Role}
    if set(roles) - known:
        raise ValueError(f"unknown staff roles: {sorted(set(roles) - known)}")
    app.extensions.setdefault(views.TASKS_EXTENSION, []).append((text, endpoint, roles))


def init_app(app: Flask) -> None:
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    csrf.init_app(app)
    app.register_blueprint(pages)
    app.extensions.setdefault(views.TASKS_EXTENSION, [])
    add_staff_task(app, "Users and roles: add staff, change roles, reset sign-ins", "staff.users",
                   Role.ADMIN)  # fmt: skip
    limits.init_app(app)
