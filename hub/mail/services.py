"""Queue an email in the caller's transaction; send what is queued, with retries and backoff.

`queue_mail` only writes a row (services never commit). `send_pending(app)`
sends every row that is due over one SMTP connection: a row is claimed by
moving its `next_attempt_at` on by a lease before it is sent, so two workers
(or a worker and `hubnet hub mail send` from a timer) never send one row at
once; a sender that dies mid-send leaves the row to be tried again when the
lease runs out (so delivery is at least once). A temporary failure (the server
is down, or answers 4xx) backs off exponentially, `MAIL_RETRY_BASE_SECONDS`
doubling up to `MAIL_RETRY_CAP_SECONDS`, and gives up after
`MAIL_MAX_ATTEMPTS`; a permanent one (5xx: no such mailbox) gives up at once.
With `SMTP_HOST` unset nothing is sent and mail stays queued.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, has_app_context
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.mail.models import OutgoingMail

log = logging.getLogger(__name__)

QUEUED_FLAG = "hub_mail_queued"  # on flask.g: this request queued mail, so try to send it
LEASE = timedelta(minutes=5)  # how long a claimed row is left to its sender
SMTP_TIMEOUT = 20  # seconds, per SMTP command
MAX_SUBJECT = 200


@dataclass(frozen=True)
class SendReport:
    """What one `send_pending` run did."""

    configured: bool  # False: SMTP_HOST is unset and nothing was tried
    sent: int = 0
    retrying: int = 0  # failed for now; will be tried again
    failed: int = 0  # given up on in this run
    error: str | None = None  # the last error met, for the operator


@dataclass(frozen=True)
class MailStatus:
    """The outbox at a glance, for the staff home page."""

    configured: bool
    queued: int  # not sent yet, still being tried
    failed: int  # given up on
    oldest_queued_at: datetime | None


def one_line(text: str, limit: int = MAX_SUBJECT) -> str:
    """Whitespace (newlines included) collapsed to single spaces, cut to `limit` characters.

    Subjects carry titles people typed; a newline in a header would be refused
    by the email library (and must never add a header).
    """
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def queue_mail(
    db: Session,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    unsubscribe_url: str | None = None,
) -> None:
    """Queue one email in the caller's transaction (sent after the caller commits).

    `unsubscribe_url`: an https (or, on a trial, http) link whose POST stops this kind
    of email with no sign-in; it becomes the `List-Unsubscribe` header (RFC 8058).
    """
    now = utcnow()
    db.add(
        OutgoingMail(
            recipient=to.strip(),
            subject=one_line(subject),
            text=text,
            html=html,
            unsubscribe_url=unsubscribe_url,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        )
    )
    if has_app_context():
        setattr(g, QUEUED_FLAG, True)


def mail_status(db: Session, config: Any) -> MailStatus:
    """How much mail waits and whether the hub can send it (`config`: the app's config)."""
    waiting = OutgoingMail.sent_at.is_(None) & OutgoingMail.failed_at.is_(None)
    queued, oldest = db.execute(
        select(func.count(OutgoingMail.id), func.min(OutgoingMail.created_at)).where(waiting)
    ).one()
    failed = db.scalar(
        select(func.count(OutgoingMail.id)).where(
            OutgoingMail.sent_at.is_(None), OutgoingMail.failed_at.is_not(None)
        )
    )
    return MailStatus(bool(config.get("SMTP_HOST")), queued or 0, failed or 0, oldest)


def list_mail(db: Session, *, include_sent: bool = False, limit: int = 200) -> list[OutgoingMail]:
    """Mail not yet sent (and, with `include_sent`, sent mail still kept), newest first."""
    query = select(OutgoingMail).order_by(OutgoingMail.id.desc()).limit(limit)
    if not include_sent:
        query = query.where(OutgoingMail.sent_at.is_(None))
    return list(db.scalars(query))


def delete_mail_to(db: Session, address: str) -> int:
    """Delete every kept or queued email to this address (a person deleting their data)."""
    result = db.execute(
        delete(OutgoingMail).where(func.lower(OutgoingMail.recipient) == address.strip().lower())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def backoff(config: Any, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: base · 2^(attempts-1), at most the cap."""
    base = float(config["MAIL_RETRY_BASE_SECONDS"])
    cap = float(config["MAIL_RETRY_CAP_SECONDS"])
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def sender_address(config: Any) -> str:
    """`MAIL_FROM`, or no-reply@ the host of `PUBLIC_URL` (or localhost)."""
    if config.get("MAIL_FROM"):
        return str(config["MAIL_FROM"])
    host = urlsplit(str(config.get("PUBLIC_URL") or "")).hostname or "localhost"
    return f"{config['HUB_NAME']} <no-reply@{host}>"


def build_message(row: OutgoingMail, config: Any) -> EmailMessage:
    message = EmailMessage()
    sender = sender_address(config)
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = formatdate(usegmt=True)
    domain = sender.rsplit("@", 1)[-1].rstrip(">") or "localhost"
    message["Message-ID"] = make_msgid(idstring=f"hubnet.{row.id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    if row.unsubscribe_url:
        # RFC 2369 and RFC 8058: a mail program's own "Unsubscribe" button POSTs to the link.
        message["List-Unsubscribe"] = f"<{row.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(row.text)
    if row.html:
        message.add_alternative(row.html, subtype="html")
    return message


@contextmanager
def smtp_connection(config: Any) -> Iterator[smtplib.SMTP]:
    """An SMTP connection made as the settings say (STARTTLS and login when set)."""
    smtp = smtplib.SMTP(str(config["SMTP_HOST"]), int(config["SMTP_PORT"]), timeout=SMTP_TIMEOUT)
    try:
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            smtp.login(str(config["SMTP_USERNAME"]), str(config.get("SMTP_PASSWORD") or ""))
        yield smtp
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _permanent(error: Exception) -> bool:
    """A refusal that trying again will not change (5xx), as opposed to 4xx or a network error."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return isinstance(error, (ValueError, UnicodeError))  # an address that cannot be sent to


def _connection_lost(error: Exception) -> bool:
    """The connection itself failed (not just this email): stop and leave the rest queued."""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def _claim(db: Session, row_id: int, seen: datetime, now: datetime) -> bool:
    """Take the row for this run: true only if nobody else moved it on since we looked."""
    claimed = db.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == row_id, OutgoingMail.next_attempt_at == seen)
        .values(next_attempt_at=now + LEASE)
    )
    db.commit()
    return bool(getattr(claimed, "rowcount", 0))


def _due(db: Session, now: datetime, limit: int) -> list[tuple[int, datetime]]:
    rows = db.execute(
        select(OutgoingMail.id, OutgoingMail.next_attempt_at)
        .where(
            OutgoingMail.sent_at.is_(None),
            OutgoingMail.failed_at.is_(None),
            OutgoingMail.next_attempt_at <= now,
        )
        .order_by(OutgoingMail.id)
        .limit(limit)
    )
    return [(row_id, seen) for row_id, seen in rows]


def _purge_sent(db: Session, config: Any, now: datetime) -> None:
    keep = timedelta(days=float(config["MAIL_KEEP_DAYS"]))
    db.execute(
        delete(OutgoingMail).where(
            or_(OutgoingMail.sent_at < now - keep, OutgoingMail.failed_at < now - keep)
        )
    )


def send_pending(app: Flask, *, now: datetime | None = None, limit: int = 500) -> SendReport:
    """Send every due email over one connection; see the module docstring for retries.

    Opens its own database session (it runs after a request has ended, from the
    CLI, or from a timer), commits per email, and never raises for an SMTP
    problem: it is reported in the result and the mail stays queued.
    """
    config = app.config
    if not config.get("SMTP_HOST"):
        return SendReport(configured=False)
    now = now or utcnow()
    sent = retrying = failed = 0
    last_error: str | None = None
    db: Session = app.extensions["hubnet.sessionmaker"]()
    try:
        due = _due(db, now, limit)
        if not due:
            _purge_sent(db, config, now)
            db.commit()
            return SendReport(configured=True)
        try:
            with smtp_connection(config) as smtp:
                for row_id, seen in due:
                    if not _claim(db, row_id, seen, now):
                        continue
                    row = db.get(OutgoingMail, row_id)
                    if row is None:
                        continue
                    try:
                        smtp.send_message(build_message(row, config))
                    except (smtplib.SMTPException, OSError, ValueError, UnicodeError) as error:
                        last_error = f"{type(error).__name__}: {error}"
                        if _record_failure(row, config, now, last_error, _permanent(error)):
                            failed += 1
                        else:
                            retrying += 1
                        db.commit()
                        if _connection_lost(error):
                            break  # the connection is gone; the rest wait for the next run
                        continue
                    row.sent_at = utcnow()
                    row.attempts += 1
                    row.last_error = None
                    db.commit()
                    sent += 1
        except (smtplib.SMTPException, OSError) as error:  # could not connect or log in
            last_error = f"{type(error).__name__}: {error}"
            log.warning("mail: cannot reach the SMTP server: %s", last_error)
            db.rollback()
            for row_id, seen in due:
                if not _claim(db, row_id, seen, now):
                    continue  # sent or claimed by another sender meanwhile
                row = db.get(OutgoingMail, row_id)
                if row is None:
                    continue
                if _record_failure(row, config, now, last_error, permanent=False):
                    failed += 1
                else:
                    retrying += 1
                db.commit()
        _purge_sent(db, config, now)
        db.commit()
    finally:
        db.close()
    if last_error:
        log.warning(
            "mail: %d sent, %d to retry, %d given up: %s", sent, retrying, failed, last_error
        )
    return SendReport(True, sent, retrying, failed, last_error)


def _record_failure(
    row: OutgoingMail, config: Any, now: datetime, error: str, permanent: bool
) -> bool:
    """Count a failed try; True if the hub gives up on this email now."""
    row.attempts += 1
    row.last_error = error[:1000]
    if permanent or row.attempts >= int(config["MAIL_MAX_ATTEMPTS"]):
        row.failed_at = now
        return True
    row.next_attempt_at = now + backoff(config, row.attempts)
    return False
