"""Staff sign-in and sign-out, and the decorator every staff page is behind.

Signing in clears the whole browser session and starts a new one (new CSRF
token too), so nothing a browser held before signing in, or planted by
someone else, carries over into the signed-in session. The cookie holds only a
random token; the sign-in itself lives in `staff_sessions`, so signing out
ends it for good, even if someone kept a copy of the cookie. After signing in,
the person is sent back only to a path on this hub, never to another site.

Not yet here (issue 5): rate limiting of sign-in attempts (failed attempts are
in the audit log as "login-failed"), TOTP, and managing users in the browser.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from hub.staff.audit import recent_actions
from hub.staff.models import Role, StaffUser
from hub.staff.services import authenticate, end_session, session_staff, start_session
from hubnet.db import get_session

F = TypeVar("F", bound=Callable[..., Any])

pages = Blueprint("staff", __name__, url_prefix="/staff")

SESSION_KEY = "staff_token"
BAD_SIGN_IN = "Enter a correct email address and password"  # same for every failure
_UNSET = object()
_CACHE = "hubnet.current_staff"


def current_staff() -> StaffUser | None:
    """The active staff member signed in on this request's browser session, or None."""
    cached = request.environ.get(_CACHE, _UNSET)  # per request (tests may share one app context)
    if cached is not _UNSET:
        return cast(StaffUser | None, cached)
    token = session.get(SESSION_KEY)
    staff = None
    if isinstance(token, str):
        hours = float(current_app.config["STAFF_SESSION_HOURS"])
        staff = session_staff(get_session(), token, max_age=timedelta(hours=hours))
        if staff is None:
            session.pop(SESSION_KEY, None)
    request.environ[_CACHE] = staff
    return staff


def _private(response: BaseResponse) -> BaseResponse:
    """Staff pages show what residents wrote before moderation: no shared or browser caching."""
    response.headers["Cache-Control"] = "no-store"
    return response


def forbidden() -> Response:
    return cast(Response, _private(make_response(render_template("staff/forbidden.html"), 403)))


def staff_required(*roles: str) -> Callable[[F], F]:
    """Only signed-in staff holding one of `roles` (any staff if none; admin always) may pass.

    Someone not signed in is sent to the sign-in page (and back here after, for
    a page); signed-in staff without the role get a 403 page.
    """
    unknown = set(roles) - {role.value for role in Role}
    if unknown:
        raise ValueError(f"unknown staff roles: {sorted(unknown)}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> BaseResponse:
            staff = current_staff()
            if staff is None:
                target = None
                if request.method in {"GET", "HEAD"}:
                    target = request.full_path.rstrip("?")
                return _private(redirect(url_for("staff.login", next=target)))
            if not staff.may(*roles):
                return forbidden()
            return _private(make_response(view(*args, **kwargs)))

        return cast(F, wrapper)

    return decorate


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this hub, else None: the sign-in form is no open redirect.

    Refuses anything with a scheme or host, protocol-relative `//host`, and
    backslashes or control characters that browsers may read as `//`.
    """
    if not target or len(target) > 2000:
        return None
    if any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_page(values: dict[str, str], errors: dict[str, list[str]], status: int) -> BaseResponse:
    page = render_template("staff/login.html", values=values, errors=errors)
    return _private(make_response(page, status))


@pages.get("/login")
def login() -> BaseResponse:
    """The sign-in form."""
    target = safe_next(request.args.get("next"))
    if current_staff() is not None:
        return redirect(target or url_for("staff.home"))
    return _login_page({"next": target or ""}, {}, 200)


@pages.post("/login")
def login_submit() -> BaseResponse:
    """Sign in: one message for every failure, so it never says whether an account exists."""
    values = {
        "email": request.form.get("email", "").strip(),
        "next": safe_next(request.form.get("next")) or "",
    }
    password = request.form.get("password", "")
    errors: dict[str, list[str]] = {}
    if not values["email"]:
        errors["email"] = ["Enter your email address"]
    if not password:
        errors["password"] = ["Enter your password"]
    if errors:
        return _login_page(values, errors, 400)
    db = get_session()
    staff = authenticate(db, values["email"], password)
    if staff is None:
        db.commit()  # keep the failed attempt in the audit log
        return _login_page(values, {"email": [BAD_SIGN_IN]}, 400)
    token = start_session(db, staff)
    db.commit()
    session.clear()  # rotate: nothing from before signing in carries over
    session[SESSION_KEY] = token
    session.permanent = False  # ends when the browser closes (and server-side after some hours)
    request.environ[_CACHE] = staff
    return redirect(values["next"] or url_for("staff.home"))


@pages.post("/logout")
def logout() -> BaseResponse:
    """Sign out: the sign-in ends on the server and the browser session is cleared."""
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        db = get_session()
        end_session(db, token)
        db.commit()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("staff.login"))


@pages.get("/")
@staff_required()
def home() -> str:
    """Where staff start: the tasks their role allows."""
    return render_template("staff/home.html")


@pages.get("/actions")
@staff_required(Role.ADMIN)
def actions() -> str:
    """The staff audit log, newest first (admins only)."""
    return render_template("staff/actions.html", actions=recent_actions(get_session()))


@pages.app_context_processor
def _staff_globals() -> dict[str, Any]:
    return {"current_staff": current_staff}
