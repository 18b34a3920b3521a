"""Your part (see, change, delete what you raised; download or delete your data), accounts, follows.

Who "you" are, in order: the private link in the address, the signed-in
account, or the participant id in the browser's session (set by gather when
you raise something). Every page here is private to the person: no caching,
and the private-link pages send no Referer, so the link does not leak to
other sites.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as BaseResponse

from hub.csrf import signed_link
from hub.db import utcnow
from hub.gather.models import Contribution, Participant, Status
from hub.gather.services import get_or_create_participant
from hub.limits import limit
from hub.residents import accounts, notify
from hub.residents.links import participant_for_link, replace_private_links
from hub.residents.models import Account, TokenPurpose
from hub.residents.services import (
    FollowRefused,
    ItemLocked,
    ItemNotFound,
    change_item,
    delete_everything,
    delete_item,
    export_data,
    follow,
    followed_items,
    is_following,
    unfollow,
    your_item,
    your_items,
)
from hub.staff.auth import safe_next
from hub.staff.passwords import hash_password
from hubnet.db import get_session

F = TypeVar("F", bound=Callable[..., Any])

pages = Blueprint("residents", __name__)

PARTICIPANT_KEY = "participant_id"  # the browser's participant, as hub.gather.views keeps it
RESIDENT_KEY = "resident_token"  # a resident's sign-in (staff use "staff_token")
TOKEN = "string(length=43)"  # secrets.token_urlsafe(32)
_UNSET = object()
_CACHE = "hubnet.current_account"


# -- who is this -------------------------------------------------------------------------


def current_account() -> Account | None:
    """The resident account signed in on this browser session, or None."""
    cached = request.environ.get(_CACHE, _UNSET)
    if cached is not _UNSET:
        return cast(Account | None, cached)
    token = session.get(RESIDENT_KEY)
    account = None
    if isinstance(token, str):
        days = float(current_app.config["ACCOUNT_SESSION_DAYS"])
        account = accounts.session_account(get_session(), token, max_age=timedelta(days=days))
        if account is None:
            session.pop(RESIDENT_KEY, None)
    request.environ[_CACHE] = account
    return account


@dataclass(frozen=True)
class Part:
    """Whose part a page shows, and how they reached it."""

    participant: Participant | None
    account: Account | None  # the signed-in account (never set on a private-link page)
    token: str | None  # the private link's token, kept in every link on the page

    def url(self, endpoint: str, **values: Any) -> str:
        return url_for(endpoint, token=self.token, **values)


def _part(token: str | None) -> Part:
    """The person this request acts for; a private link that does not work is a 404 page."""
    db = get_session()
    if token is not None:
        participant = participant_for_link(db, token)
        if participant is None:
            abort(_page("residents/link_not_working.html", status=404))
        return Part(participant, None, token)
    account = current_account()
    if account is not None:
        return Part(account.participant, account, None)
    participant_id = session.get(PARTICIPANT_KEY)
    participant = db.get(Participant, participant_id) if isinstance(participant_id, str) else None
    return Part(participant, None, None)


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return make_response(render_template(template, **context), status)


def _moderation() -> str:
    return str(current_app.config.get("MODERATION", "pre"))


@pages.after_request
def _private(response: Response) -> Response:
    """What a person has raised, their links and their account are for them only."""
    response.headers["Cache-Control"] = "no-store"
    if request.view_args and request.view_args.get("token"):
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _both(rule: str, **options: Any) -> Callable[[F], F]:
    """Route a your-part page at /your-part<rule> and /your-part/<token><rule>."""

    def decorate(view: F) -> F:
        pages.add_url_rule(f"/your-part{rule}", view_func=view, **options)
        pages.add_url_rule(f"/your-part/<{TOKEN}:token>{rule}", view_func=view, **options)
        return view

    return decorate


# -- your part ---------------------------------------------------------------------------


@_both("")
def your_part(token: str | None = None) -> Response:
    """What you raised, with its status; your follows, account and data."""
    part = _part(token)
    db = get_session()
    items = your_items(db, part.participant) if part.participant is not None else []
    follows = followed_items(db, part.account) if part.account is not None else []
    return _page(
        "residents/your_part.html",
        part=part,
        items=items,
        follows=follows,
        moderation=_moderation(),
    )


def _item_or_404(part: Part, contribution_id: int) -> Contribution:
    if part.participant is None:
        abort(_page("not_found.html", status=404))
    try:
        return your_item(get_session(), part.participant, contribution_id)
    except ItemNotFound:
        abort(_page("not_found.html", status=404))


@_both("/items/<int:contribution_id>/change", methods=["GET", "POST"])
def change(contribution_id: int, token: str | None = None) -> BaseResponse:
    """Change the title and text of something you raised."""
    part = _part(token)
    contribution = _item_or_404(part, contribution_id)
    if contribution.status is Status.REMOVED:
        flash("A moderator removed this, so it cannot be changed. You can still delete it.")
        return redirect(part.url("residents.your_part"))
    values = {"title": contribution.title, "body": contribution.body}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {"title": request.form.get("title", ""), "body": request.form.get("body", "")}
        db = get_session()
        assert part.participant is not None
        try:
            changed = change_item(
                db,
                part.participant,
                contribution_id,
                title=values["title"],
                body=values["body"],
                moderation=_moderation(),
            )
        except ValidationError as error:
            db.rollback()
            errors = {
                f: error.messages_dict[f] for f in ("title", "body") if f in error.messages_dict
            }
        except (ItemNotFound, ItemLocked):
            db.rollback()
            abort(_page("not_found.html", status=404))
        else:
            db.commit()
            if changed.status is Status.PENDING:
                flash("Your changes are saved. A moderator will check them before they are shown.")
            else:
                flash("Your changes are saved and shown on the hub.")
            return redirect(part.url("residents.your_part"))
    return _page(
        "residents/change.html",
        status=400 if errors else 200,
        part=part,
        contribution=contribution,
        values=values,
        errors=errors,
        moderation=_moderation(),
    )


@_both("/items/<int:contribution_id>/delete", methods=["GET", "POST"])
def delete(contribution_id: int, token: str | None = None) -> BaseResponse:
    """Delete something you raised (a page asks first)."""
    part = _part(token)
    contribution = _item_or_404(part, contribution_id)
    if request.method == "GET":
        return _page("residents/delete_item.html", part=part, contribution=contribution)
    db = get_session()
    assert part.participant is not None
    title = contribution.title
    delete_item(db, part.participant, contribution_id)
    db.commit()
    flash(f"“{title}” has been deleted.")
    return redirect(part.url("residents.your_part"))


@_both("/download")
def download(token: str | None = None) -> BaseResponse:
    """Everything the hub holds about you, as a JSON file."""
    part = _part(token)
    if part.participant is None:
        flash("There is nothing about you on this hub from this browser.")
        return redirect(url_for("residents.your_part"))
    data = export_data(get_session(), part.participant, hub_name=current_app.config["HUB_NAME"])
    body = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    response = Response(body, mimetype="application/json")
    filename = f"your-data-{utcnow():%Y-%m-%d}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@_both("/delete", methods=["GET", "POST"])
def delete_all(token: str | None = None) -> BaseResponse:
    """Delete everything the hub holds about you (a page says what, and asks first)."""
    part = _part(token)
    if part.participant is None:
        flash("There is nothing about you on this hub from this browser.")
        return redirect(url_for("residents.your_part"))
    if request.method == "GET":
        db = get_session()
        return _page(
            "residents/delete_all.html",
            part=part,
            items=your_items(db, part.participant),
            account=accounts.account_for_participant(db, part.participant.id),
        )
    db = get_session()
    gone = part.participant.id
    delete_everything(db, part.participant)
    db.commit()
    if session.get(PARTICIPANT_KEY) == gone or part.account is not None:
        session.clear()  # this browser was the person: it forgets them (and signs them out)
    return redirect(url_for("residents.deleted"))


@pages.get("/your-part/deleted")
def deleted() -> Response:
    """Confirmation that everything was deleted."""
    return _page("residents/deleted.html")


@_both("/private-link", methods=["POST"])
def private_link(token: str | None = None) -> BaseResponse:
    """Make a new private link (shown once); every earlier link stops working."""
    part = _part(token)
    if part.participant is None:
        flash("There is nothing about you on this hub from this browser yet.")
        return redirect(url_for("residents.your_part"))
    db = get_session()
    path = replace_private_links(db, part.participant)
    db.commit()
    return _page(
        "residents/private_link.html",
        link=request.host_url.rstrip("/") + path,
        path=path,
    )


# -- accounts ---------------------------------------------------------------------------


def _sign_in_as(account: Account) -> None:
    db = get_session()
    token = accounts.start_session(db, account)
    db.commit()
    session.clear()  # rotate: nothing from before signing in carries over
    session[RESIDENT_KEY] = token
    session[PARTICIPANT_KEY] = account.participant_id  # this browser now acts as the account
    session.permanent = True
    request.environ[_CACHE] = account


@pages.route("/account/register", methods=["GET", "POST"])
@limit("account")
def register() -> BaseResponse:
    """Make an account: email and password; a link confirms the address."""
    if current_account() is not None:
        return redirect(url_for("residents.your_part"))
    values = {"email": request.form.get("email", "").strip()}
    if request.method == "GET":
        return _page("residents/register.html", values=values, errors={})
    password = request.form.get("password", "")
    errors = accounts.check_registration(values["email"], password)
    if errors:
        return _page("residents/register.html", status=400, values=values, errors=errors)
    db = get_session()
    if accounts.find_account(db, values["email"]) is not None:
        hash_password(password)  # the same work as a new account: the answer takes as long
        notify.send_already_registered(db, accounts.normalise_email(values["email"]))
    else:
        participant_id = session.get(PARTICIPANT_KEY)
        participant = get_or_create_participant(
            db, participant_id if isinstance(participant_id, str) else None
        )
        if accounts.account_for_participant(db, participant.id) is not None:
            participant = get_or_create_participant(db, None)  # this browser's belongs to another
        try:
            account = accounts.register_account(
                db, email=values["email"], password=password, participant=participant
            )
        except accounts.AccountFormError as error:
            db.rollback()
            return _page("residents/register.html", status=400, values=values, errors=error.errors)
        if account is not None:
            token = accounts.issue_token(
                db,
                account,
                TokenPurpose.CONFIRM,
                timedelta(days=current_app.config["CONFIRM_LINK_DAYS"]),
            )
            notify.send_confirmation(db, account, token)
    try:
        db.commit()
    except IntegrityError:  # the same address registered twice at once: the first one won
        db.rollback()
    return redirect(url_for("residents.check_email", sent="register"))


@pages.get("/account/check-your-email")
def check_email() -> Response:
    """After registering or asking for a reset: look in your inbox."""
    sent = request.args.get("sent")
    return _page(
        "residents/check_email.html",
        sent=sent if sent in {"register", "reset"} else "",
        minutes=current_app.config["RESET_LINK_MINUTES"],
    )


@pages.get(f"/account/confirm/<{TOKEN}:token>")
def confirm_email(token: str) -> Response:
    """The link in the confirmation email: confirms the address."""
    db = get_session()
    account = accounts.confirm_email(db, token)
    if account is None:
        db.rollback()
        return _page("residents/link_not_working.html", status=404, kind="confirm")
    db.commit()
    return _page("residents/confirmed.html", signed_in=current_account() is not None)


@pages.post("/account/confirm/resend")
@limit("account")
def resend_confirmation() -> BaseResponse:
    """Send the confirmation link again (signed in, address not yet confirmed)."""
    account = current_account()
    if account is None:
        return redirect(url_for("residents.sign_in"))
    if not account.confirmed:
        db = get_session()
        token = accounts.issue_token(
            db,
            account,
            TokenPurpose.CONFIRM,
            timedelta(days=current_app.config["CONFIRM_LINK_DAYS"]),
        )
        notify.send_confirmation(db, account, token)
        db.commit()
        flash(f"We have sent a new link to {account.email}.")
    return redirect(url_for("residents.your_part"))


@pages.route("/account/sign-in", methods=["GET", "POST"])
@limit("login")
def sign_in() -> BaseResponse:
    """Sign in with your email address and password."""
    target = safe_next(request.values.get("next"))
    if current_account() is not None and request.method == "GET":
        return redirect(target or url_for("residents.your_part"))
    values = {"email": request.form.get("email", "").strip(), "next": target or ""}
    if request.method == "GET":
        return _page("residents/sign_in.html", values=values, errors={})
    password = request.form.get("password", "")
    errors: dict[str, list[str]] = {}
    if not values["email"]:
        errors["email"] = ["Enter your email address"]
    if not password:
        errors["password"] = ["Enter your password"]
    if errors:
        return _page("residents/sign_in.html", status=400, values=values, errors=errors)
    db = get_session()
    account = accounts.authenticate(db, values["email"], password)
    if account is None:
        db.rollback()
        errors = {"email": [accounts.BAD_SIGN_IN]}
        return _page("residents/sign_in.html", status=400, values=values, errors=errors)
    _sign_in_as(account)
    return redirect(target or url_for("residents.your_part"))


@pages.post("/account/sign-out")
def sign_out() -> BaseResponse:
    """Sign out: the sign-in ends on the server and this browser forgets you."""
    token = session.get(RESIDENT_KEY)
    if isinstance(token, str):
        db = get_session()
        accounts.end_session(db, token)
        db.commit()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("gather.home"))


@pages.route("/account/reset", methods=["GET", "POST"])
@limit("account")
def reset_request() -> BaseResponse:
    """Forgotten your password: we email a link to choose a new one."""
    values = {"email": request.form.get("email", "").strip()}
    if request.method == "GET":
        return _page("residents/reset_request.html", values=values, errors={})
    problem = accounts.email_problem(accounts.normalise_email(values["email"]))
    if problem:
        return _page(
            "residents/reset_request.html", status=400, values=values, errors={"email": [problem]}
        )
    db = get_session()
    account = accounts.find_account(db, values["email"])
    if account is not None:
        minutes = current_app.config["RESET_LINK_MINUTES"]
        token = accounts.issue_token(db, account, TokenPurpose.RESET, timedelta(minutes=minutes))
        notify.send_reset(db, account, token)
        db.commit()
    return redirect(url_for("residents.check_email", sent="reset"))


@pages.route(f"/account/reset/<{TOKEN}:token>", methods=["GET", "POST"])
@limit("account")
def reset_password(token: str) -> BaseResponse:
    """The link in the reset email: choose a new password."""
    db = get_session()
    account = accounts.token_account(db, token, TokenPurpose.RESET)
    if account is None:
        return _page("residents/link_not_working.html", status=404, kind="reset")
    if request.method == "GET":
        return _page("residents/reset_password.html", token=token, errors={})
    try:
        changed = accounts.reset_password(db, token, request.form.get("password", ""))
    except accounts.AccountFormError as error:
        db.rollback()
        return _page("residents/reset_password.html", status=400, token=token, errors=error.errors)
    if changed is None:
        db.rollback()
        return _page("residents/link_not_working.html", status=404, kind="reset")
    db.commit()
    session.clear()
    flash("Your password has been changed. Sign in with your new password.")
    return redirect(url_for("residents.sign_in"))


# -- following ---------------------------------------------------------------------------


def _contribution_or_404(contribution_id: int) -> Contribution:
    contribution = get_session().get(Contribution, contribution_id)
    if contribution is None:
        abort(_page("not_found.html", status=404))
    return contribution


@pages.post("/contributions/<int:contribution_id>/follow", endpoint="follow")
def follow_item(contribution_id: int) -> BaseResponse:
    """Follow an item: an email each time its status changes (confirmed accounts)."""
    back = url_for("gather.contribution_page", contribution_id=contribution_id)
    account = current_account()
    if account is None:
        flash("Sign in to follow items. You need an account with a confirmed email address.")
        return redirect(url_for("residents.sign_in", next=back))
    contribution = _contribution_or_404(contribution_id)
    db = get_session()
    try:
        follow(db, account, contribution)
        db.commit()
    except FollowRefused as refusal:
        db.rollback()
        flash(str(refusal))
    except IntegrityError:  # two clicks raced: the first one counted
        db.rollback()
    else:
        flash("You are following this. We will email you when its status changes.")
    return redirect(back)


@pages.post("/contributions/<int:contribution_id>/unfollow", endpoint="unfollow")
def unfollow_item(contribution_id: int) -> BaseResponse:
    """Stop following an item."""
    back = url_for("gather.contribution_page", contribution_id=contribution_id)
    account = current_account()
    if account is None:
        return redirect(url_for("residents.sign_in", next=back))
    db = get_session()
    if unfollow(db, account.id, contribution_id):
        db.commit()
        flash("You no longer follow this. We will not email you about it.")
    target = safe_next(request.form.get("next"))
    return redirect(target or back)


@pages.route("/unfollow/<string:token>", methods=["GET", "POST"])
@signed_link  # also the email's one-click List-Unsubscribe (RFC 8058): no session, no form token
def unfollow_link(token: str) -> BaseResponse:
    """The link in a status email: stop following that item, without signing in."""
    found = notify.read_unfollow_token(token)
    if found is None:
        return _page("residents/link_not_working.html", status=404, kind="unfollow")
    account_id, contribution_id = found
    db = get_session()
    contribution = db.get(Contribution, contribution_id)
    if request.method == "POST":
        unfollow(db, account_id, contribution_id)
        db.commit()
        return _page("residents/unfollow.html", contribution=contribution, done=True, token=token)
    return _page("residents/unfollow.html", contribution=contribution, done=False, token=token)


@pages.app_context_processor
def _resident_globals() -> dict[str, Any]:
    def following(contribution_id: int) -> bool:
        return is_following(get_session(), current_account(), contribution_id)

    return {
        "current_account": current_account,
        "is_following": following,
        "stage_words": notify.stage_words,
    }
