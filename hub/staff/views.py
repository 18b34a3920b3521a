"""Staff pages beyond signing in: users and roles (admins), your own account, set-password links.

An admin adds a person with a name, email and role; the account has no
password until its owner opens the one-time set-password link, which is shown
to the admin once (to pass on by hand) and emailed through `hub.mail` when the
hub can send email. An admin can issue a new link (a password reset), change a
role, disable or enable an account, and turn off someone's two-step sign-in
when they have lost their phone. Each person changes their own password and
sets up their own two-step sign-in on "Your account".
"""

from __future__ import annotations

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

from hub.limits import limit
from hub.mail import queue_mail
from hub.staff import totp
from hub.staff.auth import SESSION_KEY, not_found, pages, signed_in_staff, staff_required
from hub.staff.models import Role, StaffUser
from hub.staff.passwords import MIN_LENGTH
from hub.staff.services import (
    StaffAccountError,
    TotpError,
    change_password,
    change_role,
    confirm_totp,
    disable_totp,
    invite_staff,
    issue_password_link,
    list_staff,
    password_link,
    pending_totp_secret,
    reset_totp,
    set_active,
    start_totp,
    use_password_link,
)
from hubnet.db import get_session

ROLE_WORDS = {
    Role.ADMIN.value: "Admin: everything, including users, themes and the activity log",
    Role.MODERATOR.value: "Moderator: the moderation queue, escalations, quotes, status updates",
    Role.FACILITATOR.value: "Facilitator: entering contributions for people (assisted digital)",
    Role.RESPONDER.value: "Responder: public status updates on published items",
}


def _secret_key() -> str:
    return str(current_app.config["SECRET_KEY"])


def _hours() -> float:
    return float(current_app.config["STAFF_PASSWORD_LINK_HOURS"])


def _external(path: str) -> str:
    """An absolute link: `PUBLIC_URL` (or this request's host) + path."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return urljoin(str(base).rstrip("/") + "/", path.lstrip("/"))


def _link_for(token: str) -> str:
    return _external(url_for("staff.set_password", token=token))


def _email_link(staff: StaffUser, link: str, *, new: bool) -> None:
    text = render_template(
        "staff/email_set_password.txt",
        staff=staff,
        link=link,
        hours=_hours(),
        new=new,
        login=_external(url_for("staff.login")),
    )
    subject = (
        f"Your staff account on {current_app.config['HUB_NAME']}"
        if new
        else f"Choose a new password for {current_app.config['HUB_NAME']}"
    )
    queue_mail(get_session(), to=staff.email, subject=subject, text=text)


def _staff_or_404(staff_id: int) -> StaffUser | None:
    return get_session().get(StaffUser, staff_id)


# -- users and roles (admins) ------------------------------------------------------------


@pages.get("/users")
@staff_required(Role.ADMIN)
def users() -> str:
    """Every staff account with its role and state."""
    return render_template("staff/users.html", users=list_staff(get_session()))


def _new_user_page(values: dict[str, str], errors: dict[str, list[str]], status: int) -> Response:
    page = render_template(
        "staff/user_new.html", values=values, errors=errors, roles=ROLE_WORDS, hours=_hours()
    )
    return make_response(page, status)


@pages.get("/users/new")
@staff_required(Role.ADMIN)
def user_new() -> Response:
    """The form to add a member of staff."""
    return _new_user_page({}, {}, 200)


@pages.post("/users/new")
@staff_required(Role.ADMIN)
def user_add() -> Response:
    """Add an account without a password; show its one-time set-password link and email it."""
    values = {key: request.form.get(key, "").strip() for key in ("name", "email", "role")}
    errors: dict[str, list[str]] = {}
    if not values["name"]:
        errors["name"] = ["Enter their name"]
    if not values["email"]:
        errors["email"] = ["Enter their email address"]
    if values["role"] not in ROLE_WORDS:
        errors["role"] = ["Choose a role"]
    if errors:
        return _new_user_page(values, errors, 400)
    db = get_session()
    try:
        staff, token = invite_staff(
            db, email=values["email"], name=values["name"], role=values["role"],
            by=signed_in_staff(), hours=_hours(),
        )  # fmt: skip
    except StaffAccountError as error:
        db.rollback()
        return _new_user_page(values, {error.field or "email": [str(error)]}, 400)
    link = _link_for(token)
    _email_link(staff, link, new=True)
    db.commit()
    page = render_template("staff/user_link.html", user=staff, link=link, hours=_hours(), new=True)
    return make_response(page, 200)


@pages.get("/users/<int:staff_id>")
@staff_required(Role.ADMIN)
def user_page(staff_id: int) -> Response:
    """One account: role, state, two-step sign-in, and what an admin can change."""
    user = _staff_or_404(staff_id)
    if user is None:
        return not_found()
    page = render_template("staff/user.html", user=user, roles=ROLE_WORDS, me=signed_in_staff())
    return make_response(page, 200)


def _change(staff_id: int, change: str) -> BaseResponse:
    db = get_session()
    user = _staff_or_404(staff_id)
    if user is None:
        return not_found()
    me = signed_in_staff()
    try:
        if change == "role":
            done = change_role(db, user, request.form.get("role", ""), by=me)
            message = (
                f"{user.name} is now {'an' if user.role is Role.ADMIN else 'a'} {user.role.value}."
            )
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
def user_password_link(staff_id: int) -> Response:
    """A new one-time set-password link (a reset), shown once and emailed."""
    db = get_session()
    user = _staff_or_404(staff_id)
    if user is None:
        return not_found()
    if not user.active:
        flash("Not done: enable the account first.")
        return make_response(redirect(url_for("staff.user_page", staff_id=staff_id)))
    token = issue_password_link(db, user, by=signed_in_staff(), hours=_hours())
    link = _link_for(token)
    _email_link(user, link, new=not user.has_password)
    db.commit()
    page = render_template("staff/user_link.html", user=user, link=link, hours=_hours(), new=False)
    return make_response(page, 200)


# -- setting a password through a link (no sign-in) -------------------------------------


def _set_password_page(token: str, errors: dict[str, list[str]], status: int) -> Response:
    link = password_link(get_session(), token)
    page = render_template(
        "staff/set_password.html",
        link=link,
        token=token,
        errors=errors,
        min_length=MIN_LENGTH,
    )
    response = make_response(page, status if link is not None else 404)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the path
    return response


@pages.get("/set-password/<token>")
def set_password(token: str) -> Response:
    """Choose a password through a one-time link."""
    return _set_password_page(token, {}, 200)


@pages.post("/set-password/<token>")
@limit("account")
def set_password_submit(token: str) -> BaseResponse:
    """Save the password; the link is used up and any sign-ins of the account end."""
    password = request.form.get("password", "")
    confirm = request.form.get("confirm", "")
    errors: dict[str, list[str]] = {}
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


# -- your own account: password and two-step sign-in ------------------------------------


def _account_page(errors: dict[str, list[str]], status: int) -> Response:
    me = signed_in_staff()
    secret = pending_totp_secret(me, secret_key=_secret_key())
    context: dict[str, Any] = {
        "errors": errors,
        "me": me,
        "setting_up": secret is not None,
        "min_length": MIN_LENGTH,
    }
    if secret is not None:
        issuer = current_app.config.get("STAFF_TOTP_ISSUER") or current_app.config["HUB_NAME"]
        uri = totp.provisioning_uri(secret, account=me.email, issuer=str(issuer))
        context.update(qr=totp.qr_data_uri(uri), secret=totp.grouped(secret))
    return make_response(render_template("staff/account.html", **context), status)


@pages.get("/account")
@staff_required()
def account() -> Response:
    """Your account: changing your password; two-step sign-in on or off, and setting it up."""
    return _account_page({}, 200)


@pages.post("/account/password")
@staff_required()
@limit("login")  # each try counts against the sign-in limit, so no guessing from here
def account_password() -> BaseResponse:
    """Change your password with your current one; your other sign-ins end."""
    current = request.form.get("current", "")
    new = request.form.get("password", "")
    errors: dict[str, list[str]] = {}
    if not current:
        errors["current"] = ["Enter your current password"]
    if not new:
        errors["password"] = ["Enter a new password"]
    elif new != request.form.get("confirm", ""):
        errors["confirm"] = ["Enter the same new password twice"]
    if errors:
        return _account_page(errors, 400)
    db = get_session()
    token = session.get(SESSION_KEY)
    keep = token if isinstance(token, str) else None
    try:
        change_password(db, signed_in_staff(), current, new, keep_token=keep)
    except StaffAccountError as error:
        db.commit()  # keeps a wrong current password in the activity log; nothing else changed
        return _account_page({error.field or "password": [str(error)]}, 400)
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
    return redirect(url_for("staff.account", _anchor="set-up"))


@pages.post("/account/totp/confirm")
@staff_required()
@limit("login")  # wrong codes count as failed sign-ins (no guessing from a signed-in browser)
def totp_confirm() -> BaseResponse:
    """Turn two-step sign-in on with a code the app shows."""
    db = get_session()
    try:
        confirm_totp(db, signed_in_staff(), request.form.get("code", ""), secret_key=_secret_key())
    except TotpError as error:
        db.rollback()
        return _account_page({"code": [str(error)]}, 400)
    db.commit()
    flash("Two-step sign-in is on. Each time you sign in you will be asked for a code.")
    return redirect(url_for("staff.account"))


@pages.post("/account/totp/disable")
@staff_required()
@limit("login")
def totp_disable() -> BaseResponse:
    """Turn your two-step sign-in off, with a current code."""
    db = get_session()
    try:
        disable_totp(db, signed_in_staff(), request.form.get("code", ""), secret_key=_secret_key())
    except TotpError as error:
        db.rollback()
        return _account_page({"code": [str(error)]}, 400)
    db.commit()
    flash("Two-step sign-in is off.")
    return redirect(url_for("staff.account"))
