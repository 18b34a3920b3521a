"""Staff accounts and signed-in test clients, for any hub test that needs a staff page.

    staff = make_staff(db, "mo@example.org", "moderator")   # committed
    client = app.test_client()
    login(client, "mo@example.org")                          # asserts it worked
    client.post("/staff/quotes/1/approve", data=form(client, revision=1))

`form(client, **fields)` adds the session's CSRF token, so a test can post to
any staff form without scraping a page first.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from hub.csrf import FIELD
from hub.staff.models import StaffUser
from hub.staff.services import add_staff

PASSWORD = "correct horse battery staple"
ROLES = ("admin", "moderator", "facilitator", "responder")


def make_staff(
    session: Session,
    email: str,
    role: str,
    password: str = PASSWORD,
    *,
    name: str | None = None,
) -> StaffUser:
    """A new active staff account, committed so the app sees it at once."""
    staff = add_staff(
        session,
        email=email,
        name=name or email.split("@")[0].title(),
        role=role,
        password=password,
    )
    session.commit()
    return staff


def page_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the form carries a CSRF token"
    return match[1]


def login(
    client: FlaskClient, email: str, password: str = PASSWORD, *, next: str | None = None
) -> TestResponse:
    """Sign in through the real form; asserts it succeeded (use `try_login` to test failures)."""
    response = try_login(client, email, password, next=next)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def try_login(
    client: FlaskClient, email: str, password: str, *, next: str | None = None
) -> TestResponse:
    """Post the sign-in form (with a fresh CSRF token from the page) and return the response."""
    token = page_token(client.get("/staff/login").get_data(as_text=True))
    data = {"csrf_token": token, "email": email, "password": password}
    if next is not None:
        data["next"] = next
    return client.post("/staff/login", data=data)


def logout(client: FlaskClient) -> TestResponse:
    return client.post("/staff/logout", data=form(client))


def form(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    """Form data carrying this client's session CSRF token (made if the session has none)."""
    with client.session_transaction() as session:
        token = session.get(FIELD)
        if not isinstance(token, str):
            token = session[FIELD] = secrets.token_urlsafe(32)
    return {FIELD: token, **fields}


def staff_client(
    app: Flask, session: Session, role: str, email: str | None = None
) -> tuple[FlaskClient, StaffUser]:
    """A new test client signed in as a new staff member with `role`."""
    staff = make_staff(session, email or f"{role}-{secrets.token_hex(3)}@example.org", role)
    client = app.test_client()
    login(client, staff.email)
    return client, staff
