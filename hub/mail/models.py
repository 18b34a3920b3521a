"""The mail outbox: every email the hub sends is first a row here, in the sender's transaction.

A row is written in the same transaction as the change it tells someone about
(a status change, a new account), so an email is never lost when the SMTP
server is down and never sent for a change that was rolled back. Sent rows
are kept for a while (`MAIL_KEEP_DAYS`) for the `hubnet hub mail list` view,
then deleted: they hold people's email addresses.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime, utcnow


class OutgoingMail(Base):
    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text, default=None)
    # The one-click unsubscribe link of an email about a followed item (RFC 8058), else None.
    unsubscribe_url: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    # When a sender may next try it. A sender claims a row by moving this on (a lease),
    # so two senders never send one row at once, on SQLite or PostgreSQL.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)  # gave up
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    @property
    def state(self) -> str:
        if self.sent_at is not None:
            return "sent"
        if self.failed_at is not None:
            return "failed"
        return "queued" if self.attempts == 0 else "retrying"
