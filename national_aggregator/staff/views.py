"""Staff pages: sign in and out, the staff home page, your account, set-password links, the log.

Signing in clears the whole browser session and starts a new one (a new CSRF
token too), so nothing a browser held before signing in, or planted by
someone else, carries over. After signing in the person is sent back only to a
path on this site. The forms that check a password are rate limited
(`national_aggregator.staff.limits`); every refusal gives the same message
whether or not the account exists.
"""

from __future__ import annotations

from typing import Any

from flask import (
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

from hubnet.db import get_session
from hubnet.passwords import MIN_LENGTH
from national_aggregator.staff.audit import recent_actions
from national_aggregator.staff.auth import (
    SESSION_KEY,
    current_staff,
    pages,
    private,
    remember_staff,
    safe_next,
    session_hours,
    signed_in_staff,
    staff_required,
)
from national_aggregator.staff.models import ROLES, Role, StaffUser
from national_aggregator.staff.services import (
    StaffAccountError,
    authenticate,
    change_password,
    end_session,
    password_link,
    start_session,
    use_password_link,
)

BAD_SIGN_IN = "Enter a correct email address and password"  # the same for every failure
TASKS_EXTENSION = "national_aggregator.staff_tasks"  # (text, endpoint, roles) features add

Errors = dict[str, list[str]]


@pages.before_request
def _needs_secret_key() -> Response | None:
    """Without SECRET_KEY there are no sessions: say so rather than fail with a 500."""
    if current_app.config.get("SECRET_KEY"):
        return None
    return make_response(render_template("staff/unavailable.html"), 503)


def _page(template: str, status: int = 200, **context: Any) -> BaseResponse:
    return private(make_response(render_template(template, **context), status))


# -- signing in and out ------------------------------------------------------------------


def _login_page(values: dict[str, str], errors: Errors, status: int) -> BaseResponse:
    return _page("staff/login.html", status, values=values, errors=errors)


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
    errors: Errors = {}
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
    session.permanent = False  # ends when the browser closes (and on the server after some hours)
    remember_staff(staff)
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
    remember_staff(None)
    flash("You have signed out.")
    return redirect(url_for("staff.login"))


# -- the staff home page and the activity log --------------------------------------------


def staff_tasks(staff: StaffUser) -> list[tuple[str, str]]:
    """(text, href) of the pages features added for staff that this person may use."""
    tasks = []
    for text, endpoint, roles in current_app.extensions.get(TASKS_EXTENSION, []):
        if endpoint in current_app.view_functions and staff.may(*roles):
            tasks.append((text, url_for(endpoint)))
    return tasks


@pages.get("/")
@staff_required()
def home() -> BaseResponse:
    """What your role may do, and links to the staff pages you can use."""
    me = signed_in_staff()
    return _page(
        "staff/home.html",
        me=me,
        role=ROLES[me.role],
        tasks=staff_tasks(me),
        is_admin=me.role is Role.ADMIN,
    )


@pages.get("/actions")
@staff_required(Role.ADMIN)
def actions() -> BaseResponse:
    """The staff activity log, newest first (admins only)."""
    return _page("staff/actions.html", actions=recent_actions(get_session()))


# -- your account ------------------------------------------------------------------------


def _account_page(values: dict[str, str], errors: Errors, status: int) -> BaseResponse:
    me = signed_in_staff()
    return _page(
        "staff/account.html",
        status,
        me=me,
        role=ROLES[me.role],
        hours=session_hours(),
        min_length=MIN_LENGTH,
        values=values,
        errors=errors,
    )


@pages.get("/account")
@staff_required()
def account() -> BaseResponse:
    """Your name, email, role and last sign-in, and changing your password."""
    return _account_page({}, {}, 200)


@pages.post("/account/password")
@staff_required()
def account_password() -> BaseResponse:
    """Change your password; your other sign-ins end."""
    current = request.form.get("current", "")
    new = request.form.get("password", "")
    confirm = request.form.get("confirm", "")
    errors: Errors = {}
    if not current:
        errors["current"] = ["Enter your current password"]
    if not new:
        errors["password"] = ["Enter a new password"]
    elif new != confirm:
        errors["confirm"] = ["Enter the same new password twice"]
    if errors:
        return _account_page({}, errors, 400)
    db = get_session()
    token = session.get(SESSION_KEY)
    try:
        change_password(
            db,
            signed_in_staff(),
            current,
            new,
            keep_token=token if isinstance(token, str) else None,
        )
    except StaffAccountError as error:
        db.commit()  # keep a failed attempt in the audit log; nothing else changed
        return _account_page({}, {error.field or "password": [str(error)]}, 400)
    db.commit()
    flash("Your password is changed. Any other browser you were signed in on is signed out.")
    return redirect(url_for("staff.account"))


# -- setting a password through a one-time link (no sign-in) -------------------------------


def _set_password_page(token: str, errors: Errors, status: int) -> BaseResponse:
    link = password_link(get_session(), token)
    response = _page(
        "staff/set_password.html",
        status if link is not None else 404,
        link=link,
        token=token,
        errors=errors,
        min_length=MIN_LENGTH,
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the path
    return response


@pages.get("/set-password/<token>")
def set_password(token: str) -> BaseResponse:
    """Choose a password through a one-time link."""
    return _set_password_page(token, {}, 200)


@pages.post("/set-password/<token>")
def set_password_submit(token: str) -> BaseResponse:
    """Save the password; the link is used up and any sign-ins of the account end."""
    password = request.form.get("password", "")
    confirm = request.form.get("confirm", "")
    errors: Errors = {}
    if not password:
        errors["password"] = ["Enter a password"]
    elif password != confirm:
        errors["confirm"] = ["Enter the same password twice"]
    if errors:
        return _set_password_page(token, errors, 400)
    db = get_session()
    try:
        staff = use_password_link(db, token, password)
    except StaffAccountError as error:
        db.rollback()
        return _set_password_page(token, {"password": [str(error)]}, 400)
    db.commit()
    flash(f"Your password is set, {staff.name}. Sign in with it now.")
    return redirect(url_for("staff.login"))
