"""Reminders to organisations that owe an answer: who gets one, what it says, once a day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.mail.models import OutgoingMail
from hub.routing import services
from hub.routing.reminders import send_reminders
from tests.hub.conftest import hubnet_hub, person, raise_item
from tests.hub.staff_helpers import make_staff

MONDAY_2_NOV = date(2026, 11, 2)


def mail(db: Session) -> list[OutgoingMail]:
    return list(db.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def test_due_and_late_items_remind_the_responder_or_the_organisation_once_a_day(
    db: Session,
) -> None:
    admin = make_staff(db, "admin@example.org", "admin")
    trust = services.add_organisation(db, admin, "Royal Infirmary", "nhs-trust", "R0A")
    council = services.add_organisation(
        db, admin, "Adult Social Care", "council-department", email="asc@council.example"
    )
    practice = services.add_organisation(db, admin, "Ardwick Surgery", "gp-practice", "P84001")
    responder = make_staff(db, "pat@trust.example", "responder")
    services.link_staff(db, responder, trust, admin)

    def send(title: str, organisation, days: int, who=None):  # type: ignore[no-untyped-def]
        item = raise_item(db, person(db), title=title, publish=True)
        return services.route(db, item, organisation, who, admin, days=days, today=MONDAY_2_NOV)

    late = send("Parking at the hospital", trust, 5, responder)  # due Monday 9 November
    send("Home care visits cut short", council, 10)  # due Monday 16 November
    send("Far too far ahead", council, 40)  # not due for weeks: no reminder yet
    send("Phone queue at the surgery", practice, 5)  # nobody to write to
    db.commit()

    report = send_reminders(db, today=date(2026, 11, 11))
    db.commit()

    sent = mail(db)
    assert [(m.recipient, m.subject) for m in sent] == [
        ("pat@trust.example", "Late: no answer yet to “Parking at the hospital”"),
        ("asc@council.example", "Due 16 November: “Home care visits cut short”"),
    ]
    assert sent[0].text.startswith("Hello Pat,")  # the named responder
    assert sent[1].text.startswith("Hello,")  # the organisation's shared address
    assert "was due an answer from Royal Infirmary on Monday 9 November 2026" in sent[0].text
    assert "2 working days ago" in sent[0].text  # 10th and 11th
    assert f"/staff/responses/{late.id}" in sent[0].text
    assert "(3 working days from today)" in sent[1].text  # 12th, 13th, 16th
    assert [r.contribution.title for r in report.no_address] == ["Phone queue at the surgery"]

    # The same day again: nothing new. The next working day: both again.
    assert send_reminders(db, today=date(2026, 11, 11)).sent == []
    assert len(send_reminders(db, today=date(2026, 11, 12)).sent) == 2


def test_an_answered_item_gets_no_reminder(db: Session) -> None:
    admin = make_staff(db, "admin@example.org", "admin")
    council = services.add_organisation(
        db, admin, "Adult Social Care", "council-department", email="asc@council.example"
    )
    item = raise_item(db, person(db), title="Respite care", publish=True)
    routing = services.route(db, item, council, None, admin, days=5, today=MONDAY_2_NOV)
    services.respond(db, routing, admin, "We have replied.", "responded", today=MONDAY_2_NOV)
    db.commit()
    before = len(mail(db))

    assert send_reminders(db, today=date(2026, 11, 20)).sent == []
    assert len(mail(db)) == before


def test_the_command_queues_and_says_how_many(instance: Path) -> None:
    result = hubnet_hub("routing", "remind", "--instance", str(instance))

    assert result.exit_code == 0, result.output
    assert "Queued 0 reminder(s)." in result.output
