"""Staff pages: sign in and out, the staff home page, your account, set-password links, the log,
and users and roles (admins).

Signing in clears the whole browser session and starts a new one (a new CSRF
token too), so nothing a browser held before signing in, or planted by
someone else, carries over. After signing in the person is sent back only to a
path on this site. The forms that check a password or a code are rate limited
(`national_aggregator.staff.limits`); every refusal gives the same message
whether or not the account exists.

Someone with two-step sign-in on is asked, after a right password, for a code
from their authenticator app (/staff/login/code) before the sign-in starts.
Between the two steps the browser session holds only who passed the password
step and when; five wrong codes (counted on the server, in the audit log) or
five minutes, and they start again from the password. Each person sets it up
on /staff/account (a QR code drawn by `hubnet.totp`, confirmed with a code).

An admin adds a person with a name, email and role on /staff/users/new; the
account has no password until its owner opens the one-time set-password
link, shown to the admin once to pass on (the aggregator sends no email). An
admin can issue a new link (a password reset), change a role, disable or
enable an account, and turn off someone's two-step sign-in.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

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

from hubnet import totp
from hubnet.db import get_session
from hubnet.passwords import MIN_LENGTH
from national_aggregator.staff.audit import recent_actions, record_action
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
    TotpError,
    authenticate,
    change_password,
    change_role,
    check_totp,
    confirm_totp,
    disable_totp,
    end_session,
    failed_codes_since,
    invite_staff,
    issue_password_link,
    list_staff,
    password_link,
    pending_totp_secret,
    reset_totp,
    set_active,
    start_session,
    start_totp,
    use_password_link,
)

BAD_SIGN_IN = "Enter a correct email address and password"  # the same for every failure
BAD_CODE = "Enter the current 6-digit code from your authenticator app"
PENDING_KEY = "staff_totp_pending"  # between the password and the code: {id, at, next}
CODE_MINUTES = 5  # the code must follow the password within this long …
CODE_TRIES = 5  # … and within this many wrong codes
LINK_HOURS_SETTING = "NATIONAL_STAFF_PASSWORD_LINK_HOURS"
TOTP_ISSUER = "hubnet national"  # how the account is named in the authenticator app
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


def _secret_key() -> str:
    return str(current_app.config["SECRET_KEY"])


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
    session.permanent = False  # ends when the browser closes (and on the server after some hours)
    remember_staff(staff)
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
    staff_id = pending.get("id")
    staff = get_session().get(StaffUser, staff_id) if isinstance(staff_id, int) else None
    if staff is None or not staff.active or not staff.totp_enabled:
        session.pop(PENDING_KEY, None)
        return None
    return staff, pending


def _start_again() -> BaseResponse:
    flash("Sign in again: enter your email address and password.")
    return redirect(url_for("staff.login"))


def _code_page(errors: Errors, status: int) -> BaseResponse:
    return _page("staff/login_code.html", status, errors=errors)


@pages.get("/login/code")
def login_code() -> BaseResponse:
    """The second step: the code from the authenticator app."""
    if _pending() is None:
        return _start_again()
    return _code_page({}, 200)


@pages.post("/login/code")
def login_code_submit() -> BaseResponse:
    """Check the code; a right one finishes signing in, too many wrong ones start again."""
    found = _pending()
    if found is None:
        return _start_again()
    staff, pending = found
    db = get_session()
    code = request.form.get("code", "")
    if totp.normalise_code(code) is not None and check_totp(
        db, staff, code, secret_key=_secret_key()
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
    secret = pending_totp_secret(me, secret_key=_secret_key())
    context: dict[str, Any] = {"setting_up": secret is not None}
    if secret is not None:
        uri = totp.provisioning_uri(secret, account=me.email, issuer=TOTP_ISSUER)
        context.update(qr=totp.qr_data_uri(uri), secret=totp.grouped(secret), issuer=TOTP_ISSUER)
    return _page(
        "staff/account.html",
        status,
        me=me,
        role=ROLES[me.role],
        hours=session_hours(),
        min_length=MIN_LENGTH,
        values=values,
        errors=errors,
        **context,
    )


@pages.get("/account")
@staff_required()
def account() -> BaseResponse:
    """Your name, email, role and last sign-in, changing your password, two-step sign-in."""
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


@pages.post("/account/totp/start")
@staff_required()
def totp_start() -> BaseResponse:
    """Make a new secret to scan into an authenticator app."""
    db = get_session()
    try:
        start_totp(db, signed_in_staff(), secret_key=_secret_key())
    except TotpError as error:
        db.rollback()
        flash(f"Not done: {error}.")
        return redirect(url_for("staff.account"))
    db.commit()
    return redirect(url_for("staff.account", _anchor="totp-heading"))


@pages.post("/account/totp/confirm")
@staff_required()
def totp_confirm() -> BaseResponse:
    """Turn two-step sign-in on with a code the app shows (wrong codes are rate limited)."""
    db = get_session()
    try:
        confirm_totp(db, signed_in_staff(), request.form.get("code", ""), secret_key=_secret_key())
    except TotpError as error:
        db.rollback()
        return _account_page({}, {"code": [str(error)]}, 400)
    db.commit()
    flash("Two-step sign-in is on. Each time you sign in you will be asked for a code.")
    return redirect(url_for("staff.account"))


@pages.post("/account/totp/disable")
@staff_required()
def totp_disable() -> BaseResponse:
    """Turn your two-step sign-in off, with a current code."""
    db = get_session()
    try:
        disable_totp(db, signed_in_staff(), request.form.get("code", ""), secret_key=_secret_key())
    except TotpError as error:
        db.rollback()
        return _account_page({}, {"code": [str(error)]}, 400)
    db.commit()
    flash("Two-step sign-in is off.")
    return redirect(url_for("staff.account"))


# -- users and roles (admins) ------------------------------------------------------------


def _link_hours() -> float:
    return float(current_app.config[LINK_HOURS_SETTING])


def _set_password_url(token: str) -> str:
    """The absolute set-password link: `PUBLIC_URL` (or this request's host) + its path."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    path = url_for("staff.set_password", token=token)
    return urljoin(str(base).rstrip("/") + "/", path.lstrip("/"))


def _role_choices() -> dict[str, str]:
    return {role.value: ROLES[role].title for role in Role}


def _user_or_none(staff_id: int) -> StaffUser | None:
    return get_session().get(StaffUser, staff_id)


def _not_found() -> BaseResponse:
    return _page("staff/user_not_found.html", 404)


@pages.get("/users")
@staff_required(Role.ADMIN)
def users() -> BaseResponse:
    """Every staff account with its role and state."""
    return _page("staff/users.html", users=list_staff(get_session()))


def _new_user_page(values: dict[str, str], errors: Errors, status: int) -> BaseResponse:
    return _page(
        "staff/user_new.html",
        status,
        values=values,
        errors=errors,
        roles=_role_choices(),
        hours=_link_hours(),
    )


@pages.get("/users/new")
@staff_required(Role.ADMIN)
def user_new() -> BaseResponse:
    """The form to add a member of the national team."""
    return _new_user_page({}, {}, 200)


@pages.post("/users/new")
@staff_required(Role.ADMIN)
def user_add() -> BaseResponse:
    """Add an account without a password, and show its one-time set-password link once."""
    values = {key: request.form.get(key, "").strip() for key in ("name", "email", "role")}
    errors: Errors = {}
    if not values["name"]:
        errors["name"] = ["Enter their name"]
    if not values["email"]:
        errors["email"] = ["Enter their email address"]
    if values["role"] not in _role_choices():
        errors["role"] = ["Choose a role"]
    if errors:
        return _new_user_page(values, errors, 400)
    db = get_session()
    try:
        staff, token = invite_staff(
            db, email=values["email"], name=values["name"], role=values["role"],
            by=signed_in_staff(), hours=_link_hours(),
        )  # fmt: skip
    except StaffAccountError as error:
        db.rollback()
        return _new_user_page(values, {error.field or "email": [str(error)]}, 400)
    db.commit()
    return _link_page(staff, token, new=True)


def _link_page(staff: StaffUser, token: str, *, new: bool) -> BaseResponse:
    response = _page(
        "staff/user_link.html",
        user=staff,
        link=_set_password_url(token),
        hours=_link_hours(),
        new=new,
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # the page shows a token
    return response


@pages.get("/users/<int:staff_id>")
@staff_required(Role.ADMIN)
def user_page(staff_id: int) -> BaseResponse:
    """One account: role, state, two-step sign-in, and what an admin can change."""
    user = _user_or_none(staff_id)
    if user is None:
        return _not_found()
    return _page(
        "staff/user.html",
        user=user,
        roles=_role_choices(),
        me=signed_in_staff(),
        hours=_link_hours(),
    )


def _change(staff_id: int, change: str) -> BaseResponse:
    db = get_session()
    user = _user_or_none(staff_id)
    if user is None:
        return _not_found()
    me = signed_in_staff()
    try:
        if change == "role":
            done = change_role(db, user, request.form.get("role", ""), by=me)
            message = f"{user.name} is now {ROLES[user.role].title.lower()}."
        elif change in ("disable", "enable"):
            done = set_active(db, user, change == "enable", by=me)
            message = f"{user.name}'s account is {'enabled' if user.active else 'disabled'}."
        else:
            done = reset_totp(db, user, by=me)
            message = f"Two-step sign-in is off for {user.name}. They can set it up again."
    except StaffAccountError as error:
        db.rollback()
        flash(f"Not changed: {error}.")
        return redirect(url_for("staff.user_page", staff_id=staff_id))
    db.commit()
    flash(message if done else "Nothing needed changing.")
    return redirect(url_for("staff.user_page", staff_id=staff_id))


@pages.post("/users/<int:staff_id>/role")
@staff_required(Role.ADMIN)
def user_role(staff_id: int) -> BaseResponse:
    """Change someone's role (there is always one active admin)."""
    return _change(staff_id, "role")


@pages.post("/users/<int:staff_id>/disable")
@staff_required(Role.ADMIN)
def user_disable(staff_id: int) -> BaseResponse:
    """Disable an account: its sign-ins end at once."""
    return _change(staff_id, "disable")


@pages.post("/users/<int:staff_id>/enable")
@staff_required(Role.ADMIN)
def user_enable(staff_id: int) -> BaseResponse:
    """Enable a disabled account."""
    return _change(staff_id, "enable")


@pages.post("/users/<int:staff_id>/totp-reset")
@staff_required(Role.ADMIN)
def user_totp_reset(staff_id: int) -> BaseResponse:
    """Turn off someone's two-step sign-in (they lost their phone)."""
    return _change(staff_id, "totp")


@pages.post("/users/<int:staff_id>/password-link")
@staff_required(Role.ADMIN)
def user_password_link(staff_id: int) -> BaseResponse:
    """A new one-time set-password link (a reset), shown once; older links stop working."""
    db = get_session()
    user = _user_or_none(staff_id)
    if user is None:
        return _not_found()
    if not user.active:
        flash("Not done: enable the account first.")
        return redirect(url_for("staff.user_page", staff_id=staff_id))
    token = issue_password_link(db, user, by=signed_in_staff(), hours=_link_hours())
    db.commit()
    return _link_page(user, token, new=False)


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
