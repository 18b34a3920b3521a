"""Reminders to the organisations that owe an answer (`hubnet hub routing remind`).

Run once a working day (cron or the systemd timer in deploy/systemd): every
unanswered routed item due within `days_before` working days, or already
late, gets one email a day, to its named responder or, with no one named,
to the organisation's email address. The email is queued in the same
transaction that records the reminder (`hubnet hub mail send` delivers it),
so a failure sends nothing and marks nothing. An item with nobody to write to
is reported, not skipped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from flask import current_app, render_template
from sqlalchemy.orm import Session

from hub.mail.services import one_line, queue_mail
from hub.residents.notify import external_url
from hub.routing.calendar import working_days_between
from hub.routing.models import Routing
from hub.routing.services import due_reminders, england_today, mark_reminded

DAYS_BEFORE = 5  # start reminding this many working days before the deadline


@dataclass
class ReminderReport:
    sent: list[Routing] = field(default_factory=list)
    no_address: list[Routing] = field(default_factory=list)


def _recipient(routing: Routing) -> tuple[str | None, str | None]:
    """(email, name): the named responder if active, else the organisation's address."""
    if routing.responder is not None and routing.responder.active:
        return routing.responder.email, routing.responder.name
    organisation = routing.organisation
    return (organisation.email if organisation is not None else None), None


def send_reminders(
    db: Session, today: date | None = None, days_before: int = DAYS_BEFORE
) -> ReminderReport:
    """Queue today's reminders and record each one; the caller commits.

    `today` (England) defaults to now; given, the reminder is recorded at its noon
    (UTC), so running again for the same day sends nothing twice.
    """
    at = None if today is None else datetime.combine(today, time(12), tzinfo=UTC)
    today = today or england_today()
    report = ReminderReport()
    for routing in due_reminders(db, today, days_before):
        to, name = _recipient(routing)
        if not to:
            report.no_address.append(routing)
            continue
        deadline = routing.deadline
        assert deadline is not None and routing.organisation is not None
        late = deadline < today
        if late:
            days = working_days_between(deadline, today)
            when = f"{days} working {'day' if days == 1 else 'days'} ago"
        elif deadline == today:
            when = "today"
        else:
            days = working_days_between(today, deadline)
            when = f"{days} working {'day' if days == 1 else 'days'} from today"
        title = routing.contribution.title
        subject = (
            f"Late: no answer yet to “{title}”" if late else f"Due {deadline:%-d %B}: “{title}”"
        )
        text = render_template(
            "mail/routing_reminder.txt",
            name=name,
            late=late,
            when=when,
            deadline=f"{deadline:%A %-d %B %Y}",
            organisation=routing.organisation.name,
            title=title,
            link=external_url("routing.response_page", routing_id=routing.id),
            hub_name=current_app.config["HUB_NAME"],
        )
        queue_mail(db, to=to, subject=one_line(subject), text=text)
        mark_reminded(db, routing, at=at)
        report.sent.append(routing)
    return report
