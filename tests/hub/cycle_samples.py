"""One of each thing an issue-6 page names in its address, for the tests that visit every page
(the staff authorisation matrix, the injection crawl): a Discover entry, a jury draw, a jury,
an Assembly meeting with an agenda item, a senior manager and a reply, a Stocktake action."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from hub.assembly import services as assembly
from hub.discover import services as discover
from hub.discover.directory import DirectoryEntry
from hub.routing.models import Organisation
from hub.stocktake import services as stocktake
from tests.hub.assembly_helpers import jury_draw
from tests.hub.staff_helpers import make_staff


def cycle_samples(db: Session, organisation: Organisation) -> dict[str, Any]:
    """The rows (not committed) and their ids by URL parameter name."""
    entry = DirectoryEntry(id="4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d", name="Sample", kind="other")
    discover.import_entries(db, None, [entry])
    lead = make_staff(db, "assembly@example.org", "facilitator")
    draw = jury_draw(db, lead, members=3, reserves=0)
    jury = assembly.create_jury(
        db, lead, title="Jury", period_start=date(2026, 6, 1), period_end=date(2026, 6, 30)
    )
    meeting = assembly.create_meeting(
        db, lead, title="Assembly", held_on=date(2026, 7, 1), place="Hall"
    )
    agenda_item = assembly.add_agenda_item(db, meeting, lead, "Any other business", None)
    manager = assembly.add_senior_manager(db, meeting, lead, "Ada", "Director", "ICB")
    reply = assembly.record_reply(db, agenda_item, lead, manager.id, "An answer")
    action = stocktake.add_action(
        db, lead, title="Open the clinic on Saturdays", owner="Director", due_on=None,
        source="other", organisation=organisation,
    )  # fmt: skip
    return {
        "entry_id": entry.id,
        "draw_id": draw.id,
        "jury_id": jury.id,
        "meeting_id": meeting.id,
        "item_id": agenda_item.id,
        "attendee_id": manager.id,
        "reply_id": reply.id,
        "action_id": action.id,
    }
