"""Staff: accounts with roles, sign-in, and an audit log of everything staff do.

Roles are admin, moderator, facilitator and responder (`hub.staff.models.Role`);
pages are protected with `hub.staff.auth.staff_required(*roles)`, and every
staff action is written with `hub.staff.audit.record_action` in the same
transaction as the change. Accounts are made with `hubnet hub staff add`, or
by an admin on /staff/users (`hub.staff.views`), with a one-time set-password
link; two-step sign-in (TOTP) is optional per person (`hub.staff.totp`).
"""

from __future__ import annotations

from flask import Flask

from hub.staff import views  # noqa: F401  (adds the users, account and set-password pages)
from hub.staff.auth import pages


def init_app(app: Flask) -> None:
    app.register_blueprint(pages)
