"""The emails residents get: status updates on what they follow, rejections, account links.

`hub.gather.events.contribution_changed` is sent inside the transaction that
changes an item; `on_contribution_changed` queues the emails in that same
transaction (`hub.mail.queue_mail`), so they go only if the change is
committed. Who is told what:

- the item reaches a new public stage (published, routed, responded, change
  planned, change made, closed): every confirmed account following it (the
  author's account follows its own items from the start);
- the item is rejected (or removed after publication): the author's confirmed
  account only, naming the value it broke in the words of the values page
  (`hub.gather.values`);
- an author's item that is raised while their account is confirmed: they
  start following it.

Every status email carries a link that stops it (unfollow, no sign-in needed):
a signed, never-expiring token of (account, item), checked with SECRET_KEY. The
same link is the email's `List-Unsubscribe` header with one-click POST
(RFC 8058), so a mail program's own "Unsubscribe" button works too.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any
from urllib.parse import urljoin

from flask import (
    current_app,
    has_app_context,
    has_request_context,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.gather.events import contribution_changed
from hub.gather.models import Contribution, ContributionEvent, Stage
from hub.gather.values import find_value
from hub.mail.services import one_line, queue_mail
from hub.residents.models import Account
from hub.residents.services import FollowRefused, follow, followers

log = logging.getLogger(__name__)

STAGE_WORDS = {
    Stage.RAISED: "Raised",
    Stage.PUBLISHED: "Published",
    Stage.ROUTED: "Passed to the people who can act on it",
    Stage.RESPONDED: "Responded to",
    Stage.CHANGE_PLANNED: "Change planned",
    Stage.CHANGE_MADE: "Change made",
    Stage.CLOSED: "Closed",
}
UNFOLLOW_SALT = "hub.residents.unfollow"


def stage_words(stage: Stage | str | None) -> str:
    if stage is None:
        return ""
    try:
        return STAGE_WORDS[Stage(stage)]
    except ValueError:
        return str(stage).replace("-", " ").capitalize()


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an email: `PUBLIC_URL` (else the request's host) + the path."""
    if has_request_context():
        path = url_for(endpoint, **values)
        base = current_app.config.get("PUBLIC_URL") or request.host_url
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
        base = current_app.config.get("PUBLIC_URL") or "http://localhost/"
    return urljoin(str(base).rstrip("/") + "/", path.lstrip("/"))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNFOLLOW_SALT)


def unfollow_token(account_id: int, contribution_id: int) -> str:
    return _serializer().dumps([account_id, contribution_id])


def unfollow_url(account_id: int, contribution_id: int) -> str:
    """The link in an email that stops `account_id` following the item (GET asks, POST does)."""
    token = unfollow_token(account_id, contribution_id)
    return external_url("residents.unfollow_link", token=token)


def read_unfollow_token(token: str) -> tuple[int, int] | None:
    """(account id, item id) from an unfollow link, or None if it was not made by this hub."""
    try:
        account_id, contribution_id = _serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(account_id, int) or not isinstance(contribution_id, int):
        return None
    return account_id, contribution_id


def _queue(
    db: Session,
    to: str,
    template: str,
    subject: str,
    *,
    unsubscribe_url: str | None = None,
    **context: Any,
) -> None:
    context.setdefault("hub_name", current_app.config["HUB_NAME"])
    text = render_template(f"mail/{template}.txt", **context)
    queue_mail(db, to=to, subject=subject, text=text, unsubscribe_url=unsubscribe_url)


# -- account emails ----------------------------------------------------------------------


def send_confirmation(db: Session, account: Account, token: str) -> None:
    _queue(
        db,
        account.email,
        "confirm_email",
        f"Confirm your email address for {current_app.config['HUB_NAME']}",
        link=external_url("residents.confirm_email", token=token),
        days=current_app.config["CONFIRM_LINK_DAYS"],
    )


def send_already_registered(db: Session, email: str) -> None:
    """Someone tried to register an address that has an account: tell its owner, nobody else."""
    _queue(
        db,
        email,
        "already_registered",
        f"Your account on {current_app.config['HUB_NAME']}",
        sign_in=external_url("residents.sign_in"),
        reset=external_url("residents.reset_request"),
    )


def send_reset(db: Session, account: Account, token: str) -> None:
    _queue(
        db,
        account.email,
        "reset_password",
        f"Choose a new password for {current_app.config['HUB_NAME']}",
        link=external_url("residents.reset_password", token=token),
        minutes=current_app.config["RESET_LINK_MINUTES"],
    )


# -- item emails -------------------------------------------------------------------------


def queue_status_update(db: Session, contribution: Contribution, event: ContributionEvent) -> int:
    """Email every confirmed follower that the item reached a new public stage; how many."""
    people = followers(db, contribution.id)
    for account in people:
        unfollow = unfollow_url(account.id, contribution.id)
        _queue(
            db,
            account.email,
            "status_changed",
            f"Update: “{one_line(contribution.title, 120)}” – {stage_words(event.stage)}",
            unsubscribe_url=unfollow,
            contribution=contribution,
            stage=stage_words(event.stage),
            note=event.note,
            own=account.participant_id == contribution.participant_id,
            link=external_url("gather.contribution_page", contribution_id=contribution.id),
            unfollow=unfollow,
        )
    return len(people)


def queue_rejection_notice(
    db: Session, contribution: Contribution, *, removed: bool = False
) -> bool:
    """Tell the author's confirmed account which value the item broke; False if there is none.

    `removed`: it was taken down after it had been published, rather than not published.
    """
    account = db.scalar(
        select(Account).where(Account.participant_id == contribution.participant_id)
    )
    if account is None or not account.confirmed:
        return False
    _queue(
        db,
        account.email,
        "rejected",
        f"Your {contribution.kind.value} was {'taken down' if removed else 'not published'}: "
        f"“{one_line(contribution.title, 120)}”",
        contribution=contribution,
        removed=removed,
        value=find_value(contribution.rejection_value),
        note=contribution.rejection_note,
        your_part=external_url("residents.your_part"),
        values_page=(
            external_url("gather.values_page")
            if "gather.values_page" in current_app.view_functions
            else None
        ),
    )
    return True


def on_contribution_changed(
    sender: Session, *, contribution: Contribution, event: ContributionEvent, **_: Any
) -> None:
    """`contribution_changed` receiver: queue the emails this step calls for (never commits)."""
    if not has_app_context():
        log.warning("contribution %s changed outside an app: no emails queued", contribution.id)
        return
    db = sender
    if event.kind in ("rejected", "removed"):
        queue_rejection_notice(db, contribution, removed=event.kind == "removed")
    elif event.kind == "raised":
        account = db.scalar(
            select(Account).where(Account.participant_id == contribution.participant_id)
        )
        if account is not None and account.confirmed:
            with contextlib.suppress(FollowRefused):
                follow(db, account, contribution)
    elif event.public and event.stage is not None and event.stage is not Stage.RAISED:
        queue_status_update(db, contribution, event)


def connect() -> None:
    """Subscribe to item changes (once per process; blinker keeps one receiver per function)."""
    contribution_changed.connect(on_contribution_changed)
