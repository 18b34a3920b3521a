"""Hand-built prerequisites for the Assembly tests: a drawn jury panel and supported items.

    draw = jury_draw(db, staff, members=12, reserves=2)   # volunteers V-0001 … named "Member 1" …
    supported(db, item, 3, at=datetime(2026, 6, 2, 12, tzinfo=UTC))

The draw is built row by row (its report is a placeholder): the Assembly only needs a
draw with purpose "jury" and its members, not the fair-selection computation itself,
which `hub.panels` tests.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hub.gather.models import Contribution
from hub.gather.services import get_or_create_participant, support_contribution
from hub.panels.models import PanelDraw, PanelMember, Purpose
from hub.panels.services import add_volunteer
from hub.staff.models import StaffUser


def jury_draw(
    db: Session,
    staff: StaffUser,
    *,
    members: int = 12,
    reserves: int = 0,
    title: str = "Citizens' Jury, spring 2026",
    purpose: str = "jury",
    first_number: int = 1,
) -> PanelDraw:
    """A draw with `members` panel members ("Member 1" …) then `reserves` reserves."""
    draw = PanelDraw(
        title=title,
        purpose=Purpose(purpose),
        panel_size=members,
        seed="test-seed",
        quotas="[]",
        oversample="[]",
        report="{}",
        drawn_at=datetime(2026, 5, 1, 10, tzinfo=UTC),
        drawn_by_id=staff.id,
    )
    db.add(draw)
    db.flush()
    for index in range(members + reserves):
        number = first_number + index
        volunteer, _ = add_volunteer(
            db,
            name=f"Member {number}",
            email=f"member{number}@example.org",
            phone=None,
            ward_code=None,
            about_you={},
            support_needs=None,
            consent=True,
            number=f"V-{number:04d}",
        )
        db.add(PanelMember(draw_id=draw.id, volunteer_id=volunteer.id, reserve=index >= members))
    db.flush()
    return draw


def supported(db: Session, item: Contribution, people: int, *, at: datetime) -> None:
    """`people` new people say "me too" to the item at `at`."""
    for _ in range(people):
        support_contribution(
            db,
            contribution_id=item.id,
            participant=get_or_create_participant(db, None),
            created_at=at,
        )
