"""Private links: a secret address that opens a person's part of the hub without an account.

The link is `/your-part/<token>` with a random 32-byte token; only the token's
SHA-256 is stored. Each thing a person raises gives them a link, and every link
they were given keeps working, so a bookmark from last month still opens
everything they raised since. A person who thinks a link leaked asks for a new
one on their part of the hub: that stops all the others (`replace_private_links`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import has_request_context, url_for
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.gather.models import Participant
from hub.residents.models import PrivateLink

TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def private_link_path(token: str) -> str:
    """The absolute path of the page a token opens."""
    if has_request_context():
        return url_for("residents.your_part", token=token)
    return f"/your-part/{token}"


def issue_private_link(db: Session, participant: Participant) -> str:
    """One more private link for this person (`/your-part/<token>`); earlier ones still work.

    Never commits. The link is shown once (the hub cannot show it again).
    """
    token = secrets.token_urlsafe(32)
    db.add(
        PrivateLink(
            participant_id=participant.id, token_hash=token_hash(token), created_at=utcnow()
        )
    )
    db.flush()
    return private_link_path(token)


def replace_private_links(db: Session, participant: Participant) -> str:
    """A new private link that stops every earlier one (for a link that may have leaked)."""
    db.execute(delete(PrivateLink).where(PrivateLink.participant_id == participant.id))
    return issue_private_link(db, participant)


def latest_link_issued_at(db: Session, participant: Participant) -> datetime | None:
    """When this person was last given a private link, or None."""
    return db.scalar(
        select(func.max(PrivateLink.created_at)).where(PrivateLink.participant_id == participant.id)
    )


def participant_for_link(db: Session, token: str) -> Participant | None:
    """The participant one of whose private links this token is, or None."""
    if len(token) != TOKEN_LENGTH or not token.isascii():
        return None
    link = db.scalar(select(PrivateLink).where(PrivateLink.token_hash == token_hash(token)))
    return None if link is None else db.get(Participant, link.participant_id)
