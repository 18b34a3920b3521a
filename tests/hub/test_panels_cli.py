"""`hubnet hub panels withdraw`: an operator removes a volunteer who lost their private link."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from hub.instance import app_session
from hub.panels.models import PanelVolunteer
from hub.panels.services import add_volunteer
from hub.staff.models import StaffAction
from tests.hub.conftest import hubnet_hub


def join(instance: Path, name: str, email: str, number: str) -> None:
    with app_session(instance) as (_app, db):
        add_volunteer(
            db, name=name, email=email, phone=None, ward_code=None, about_you={},
            support_needs=None, consent=True, number=number,
        )  # fmt: skip
        db.commit()


def pool(instance: Path) -> list[str]:
    with app_session(instance) as (_app, db):
        return list(db.scalars(select(PanelVolunteer.number).order_by(PanelVolunteer.number)))


def test_a_volunteer_is_withdrawn_by_number_or_email_and_the_audit_log_says_so(
    instance: Path,
) -> None:
    join(instance, "Ann Example", "ann@example.org", "V-0001")
    join(instance, "Bob Example", "Bob@Example.org", "V-0002")
    join(instance, "Cy Example", "cy@example.org", "V-0003")

    by_number = hubnet_hub("panels", "withdraw", "--instance", str(instance), "--number", "v-0001")
    by_email = hubnet_hub(
        "panels", "withdraw", "--instance", str(instance), "--email", "bob@example.org"
    )

    assert by_number.exit_code == 0 and "Withdrew V-0001" in by_number.output
    assert by_email.exit_code == 0 and "Withdrew V-0002" in by_email.output
    assert pool(instance) == ["V-0003"]  # never drawn: deleted outright
    with app_session(instance) as (_app, db):
        logged = db.scalar(
            select(func.count()).where(StaffAction.action == "panel-volunteer-withdrawn")
        )
    assert logged == 2


def test_an_unknown_number_or_both_options_are_refused_and_nothing_changes(
    instance: Path,
) -> None:
    join(instance, "Cy Example", "cy@example.org", "V-0003")

    unknown = hubnet_hub("panels", "withdraw", "--instance", str(instance), "--number", "V-9999")
    both = hubnet_hub(
        "panels", "withdraw", "--instance", str(instance), "--number", "V-0003",
        "--email", "cy@example.org",
    )  # fmt: skip

    assert unknown.exit_code == 1 and "no volunteer" in unknown.output
    assert both.exit_code == 2 and "exactly one" in both.output
    assert pool(instance) == ["V-0003"]
