"""Staff sign-in and sign-out, and the decorator every staff page is behind.

Signing in clears the whole browser session and starts a new one (new CSRF
token too), so nothing a browser held before signing in, or planted by
someone else, carries over into the signed-in session. The cookie holds only a
random token; the sign-in itself lives in `staff_sessions`, so signing out
ends it for good, even if someone kept a copy of the cookie. After signing in,
the person is sent back only to a path on this hub, never to another site.

Someone with two-step sign-in on is asked, after a right password, for a code
from their authenticator app (`/staff/login/code`) before the sign-in starts.
Between the two steps the browser session holds only who passed the password
step and when; five wrong codes (counted on the server) or five minutes, and
they start again from the password. Both sign-in forms are rate
limited (`hub.limits`, "login"); failed passwords and codes are in the audit
log ("login-failed", "totp-failed").
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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

from hub.limits import limit
from hub.staff.audit import recent_actions, record_action
from hub.staff.models import Role, StaffUser
from hub.staff.services import (
    authenticate,
    check_totp,
    end_session,
    failed_codes_since,
    session_staff,
    start_session,
)
from hub.staff.totp import normalise_code
from hubnet.db import get_session

F = TypeVar("F", bound=Callable[..., Any])

pages = Blueprint("staff", __name__, url_prefix="/staff")

SESSION_KEY = "staff_token"
BAD_SIGN_IN = "Enter a correct email address and password"  # same for every failure
PENDING_KEY = "staff_totp_pending"  # between the password and the code: {id, at, next}
CODE_MINUTES = 5  # the code must follow the password within this long …
CODE_TRIES = 5  # … and within this many wrong codes
BAD_CODE = "Enter the current 6-digit code from your authenticator app"
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


def signed_in_staff() -> StaffUser:
    """The staff member on a page behind `staff_required` (which has already let them in)."""
    staff = current_staff()
    assert staff is not None  # staff_required let the request in
    return staff


def not_found() -> Response:
    """The hub's "page not found" (404), for a staff or public page whose record is missing."""
    return Response(render_template("not_found.html"), status=404)


def form_values() -> dict[str, str]:
    """Every posted field but the CSRF token, as typed (a form shown again keeps it)."""
    return {key: request.form.get(key, "") for key in request.form if key != "csrf_token"}


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
@limit("login")
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
    if staff.totp_enabled:
        record_action(db, staff, "login-password-ok", f"staff:{staff.id}", "code asked for")
        db.commit()  # a rehashed password, and the log line
        session.clear()  # rotate now too: the code step starts a fresh session
        session[PENDING_KEY] = {"id": staff.id, "at": int(time.time()), "next": values["next"]}
        return redirect(url_for("staff.login_code"))
    return _signed_in(staff, values["next"])


def _signed_in(staff: StaffUser, target: str) -> BaseResponse:
    """Start the sign-in: a new server-side session, and a cleared browser session holding it."""
    db = get_session()
    token = start_session(db, staff)
    db.commit()
    session.clear()  # rotate: nothing from before signing in carries over
    session[SESSION_KEY] = token
    session.permanent = False  # ends when the browser closes (and server-side after some hours)
    request.environ[_CACHE] = staff
    return redirect(target or url_for("staff.home"))


def _pending() -> tuple[StaffUser, dict[str, Any]] | None:
    """Who passed the password step in this browser session, if still in time and active."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    started = pending.get("at")
    if not isinstance(started, int) or time.time() - started > CODE_MINUTES * 60:
        session.pop(PENDING_KEY, None)
        return None
    staff = get_session().get(StaffUser, pending.get("id"))
    if staff is None or not staff.active or not staff.totp_enabled:
        session.pop(PENDING_KEY, None)
        return None
    return staff, pending


def _start_again() -> BaseResponse:
    flash("Sign in again: enter your email address and password.")
    return redirect(url_for("staff.login"))


def _code_page(errors: dict[str, list[str]], status: int) -> BaseResponse:
    return _private(make_response(render_template("staff/login_code.html", errors=errors), status))


@pages.get("/login/code")
def login_code() -> BaseResponse:
    """The second step: the code from the authenticator app."""
    if _pending() is None:
        return _start_again()
    return _code_page({}, 200)


@pages.post("/login/code")
@limit("login")
def login_code_submit() -> BaseResponse:
    """Check the code; a right one finishes signing in, too many wrong ones start again."""
    found = _pending()
    if found is None:
        return _start_again()
    staff, pending = found
    db = get_session()
    code = request.form.get("code", "")
    if normalise_code(code) is not None and check_totp(
        db, staff, code, secret_key=current_app.config["SECRET_KEY"]
    ):
        return _signed_in(staff, safe_next(pending.get("next")) or "")
    record_action(db, staff, "totp-failed", f"staff:{staff.id}")
    db.commit()
    # Counted on the server (the audit log), not in the cookie: an old copy of the cookie
    # cannot buy more tries.
    started = datetime.fromtimestamp(int(pending["at"]), UTC)
    if failed_codes_since(db, staff, started) >= CODE_TRIES:
        session.pop(PENDING_KEY, None)
        return _start_again()
    return _code_page({"code": [BAD_CODE]}, 400)


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
    """Where staff start: their tasks, what waits, and (for admins) whether email is sent."""
    # Imported here: these features import hub.staff themselves.
    from hub.gather.moderation import pending_comments, pending_contributions, reported
    from hub.mail.services import mail_status
    from hub.moderation.services import escalations

    me = current_staff()
    db = get_session()
    waiting = None
    if me is not None and me.may(Role.MODERATOR):
        waiting = {
            "items": len(pending_contributions(db)),
            "comments": len(pending_comments(db)),
            "reported": len(reported(db)),
            "escalations": len(escalations(db)),
        }
    status = None
    if me is not None and me.may(Role.ADMIN):
        status = mail_status(db, current_app.config)
    return render_template("staff/home.html", mail=status, waiting=waiting)


@pages.get("/actions")
@staff_required(Role.ADMIN)
def actions() -> str:
    """The staff audit log, newest first (admins only)."""
    return render_template("staff/actions.html", actions=recent_actions(get_session()))


@pages.app_context_processor
def _staff_globals() -> dict[str, Any]:
    return {"current_staff": current_staff}
