"""The email a follower gets when the board answers (or updates its answer on) a theme."""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app, render_template
from sqlalchemy.orm import Session

from hub.board.models import BoardResponseVersion
from hub.board.services import DECISION_SENTENCES, PROGRESS_WORDS, theme_name
from hub.gather.models import Contribution
from hub.mail.services import queue_mail
from hub.residents.models import Account
from hub.residents.notify import external_url, unfollow_url


def queue_board_email(
    db: Session, account: Account, items: Sequence[Contribution], row: BoardResponseVersion
) -> None:
    """One email to `account` about this version, naming the items that made them a follower."""
    hub_name = current_app.config["HUB_NAME"]
    name = theme_name(row.theme)
    first = row.version == 1
    text = render_template(
        "mail/board_response.txt",
        hub_name=hub_name,
        theme=name,
        row=row,
        first=first,
        decision=DECISION_SENTENCES.get(row.decision, row.decision),
        progress=None if row.progress is None else PROGRESS_WORDS.get(row.progress),
        link=external_url("board.board_page", _anchor=f"response-{row.response_id}"),
        items=[
            (
                item,
                external_url("gather.contribution_page", contribution_id=item.id),
                unfollow_url(account.id, item.id),
            )
            for item in items
        ],
    )
    verb = "answered" if first else "updated its answer on"
    queue_mail(
        db,
        to=account.email,
        subject=f"The NHS England board {verb}: {name}",
        text=text,
        # One item: the mail program's "Unsubscribe" unfollows it. With several, each has
        # its own link in the text, and one header cannot name them all.
        unsubscribe_url=unfollow_url(account.id, items[0].id) if len(items) == 1 else None,
    )
