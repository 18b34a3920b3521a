"""Triage and routing services: route an item, answer it, remind, and count the answers.

Runs on SQLite, and on PostgreSQL with HUBNET_TEST_DATABASE_URL set. Each
refusal is checked after a rollback: nothing of it may be stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.gather.events import timeline
from hub.gather.models import Contribution, ContributionEvent
from hub.mail.models import OutgoingMail
from hub.residents import accounts
from hub.residents.models import TokenPurpose
from hub.residents.services import follow
from hub.routing import services
from hub.routing.models import Decision, Organisation, Outcome, Routing
from hub.routing.services import RoutingError
from hub.routing.stats import routing_stats
from hub.staff.models import StaffAction, StaffUser
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import make_staff

THURSDAY_17_DEC = date(2026, 12, 17)
MONDAY_2_NOV = date(2026, 11, 2)


@pytest.fixture
def admin(db: Session) -> StaffUser:
    return make_staff(db, "admin@example.org", "admin")


@pytest.fixture
def moderator(db: Session) -> StaffUser:
    return make_staff(db, "mo@example.org", "moderator")


@pytest.fixture
def trust(db: Session, moderator: StaffUser) -> Organisation:
    found = services.add_organisation(
        db, moderator, "Manchester University NHS Foundation Trust", "nhs-trust", "r0a"
    )
    db.commit()
    return found


@pytest.fixture
def council(db: Session, moderator: StaffUser) -> Organisation:
    found = services.add_organisation(
        db, moderator, "Adult Social Care", "council-department", email="asc@example.org"
    )
    db.commit()
    return found


def responder_for(
    db: Session, admin: StaffUser, organisation: Organisation, email: str
) -> StaffUser:
    staff = make_staff(db, email, "responder")
    services.link_staff(db, staff, organisation, admin)
    db.commit()
    return staff


@pytest.fixture
def trust_responder(db: Session, admin: StaffUser, trust: Organisation) -> StaffUser:
    return responder_for(db, admin, trust, "pat@trust.example.org")


@pytest.fixture
def item(db: Session) -> Contribution:
    found = raise_item(db, person(db), title="Parking at the hospital", publish=True)
    db.commit()
    return found


def follower_of(db: Session, contribution: Contribution, email: str = "fan@example.org") -> None:
    account = accounts.register_account(
        db, email=email, password="a long enough password", participant=person(db)
    )
    assert account is not None
    token = accounts.issue_token(db, account, TokenPurpose.CONFIRM, timedelta(days=1))
    assert accounts.confirm_email(db, token) is account
    follow(db, account, contribution)
    db.commit()


def mail_to(db: Session, address: str) -> list[OutgoingMail]:
    query = select(OutgoingMail).where(OutgoingMail.recipient == address)
    return list(db.scalars(query.order_by(OutgoingMail.id)))


def actions(db: Session, action: str) -> list[StaffAction]:
    query = select(StaffAction).where(StaffAction.action == action).order_by(StaffAction.id)
    return list(db.scalars(query))


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def routed(
    db: Session,
    contribution: Contribution,
    organisation: Organisation,
    me: StaffUser,
    responder: StaffUser | None = None,
    *,
    today: date = THURSDAY_17_DEC,
    days: int = 20,
) -> Routing:
    routing = services.route(db, contribution, organisation, responder, me, days=days, today=today)
    db.commit()
    return routing


# -- routing -------------------------------------------------------------------------------


def test_routing_moves_the_item_to_routed_on_its_timeline_and_tells_followers(
    db: Session, item: Contribution, trust: Organisation, moderator: StaffUser,
    trust_responder: StaffUser,
) -> None:  # fmt: skip
    follower_of(db, item)

    routing = routed(db, item, trust, moderator, trust_responder)

    # 20 working days after Thursday 17 December 2026: Christmas Day, the Boxing Day
    # substitute (Monday 28th) and New Year's Day are skipped, so Tuesday 19 January 2027.
    assert (routing.decision, routing.deadline, routing.routed_on) == (
        Decision.LOCAL,
        date(2027, 1, 19),
        THURSDAY_17_DEC,
    )
    assert (routing.organisation_id, routing.responder_id) == (trust.id, trust_responder.id)
    db.rollback()
    assert item.stage.value == "routed"
    event = timeline(db, item)[-1]
    assert (event.kind, event.stage.value if event.stage else None, event.staff_id) == (
        "status",
        "routed",
        moderator.id,
    )
    assert event.note == (
        "Passed to Manchester University NHS Foundation Trust, "
        "who are asked to respond by 19 January 2027."
    )
    [mail] = mail_to(db, "fan@example.org")
    assert "Passed to the people who can act on it" in mail.subject
    assert "who are asked to respond by 19 January 2027" in mail.text
    [entry] = actions(db, "item-routed")
    assert (entry.staff_id, entry.target, entry.detail) == (
        moderator.id,
        f"contribution:{item.id}",
        "Manchester University NHS Foundation Trust; due 2027-01-19; responder Pat",
    )


@pytest.mark.parametrize(
    ("today", "days", "deadline"),
    [
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday + 1: the Monday
        (MONDAY_2_NOV, 20, date(2026, 11, 30)),  # no bank holiday in November 2026
        # Wednesday 24 March 2027 + 5: Thu 25, (Good Friday 26, weekend, Easter Monday 29),
        # Tue 30, Wed 31 March, Thu 1 and Fri 2 April.
        (date(2027, 3, 24), 5, date(2027, 4, 2)),
    ],
)
def test_the_deadline_counts_working_days_after_the_day_of_routing(
    db: Session, item: Contribution, trust: Organisation, moderator: StaffUser,
    today: date, days: int, deadline: date,
) -> None:  # fmt: skip
    assert routed(db, item, trust, moderator, today=today, days=days).deadline == deadline


def test_an_unpublished_item_or_no_organisation_is_refused_and_nothing_is_stored(
    db: Session, item: Contribution, trust: Organisation, moderator: StaffUser
) -> None:
    waiting = raise_item(db, person(db), publish=False)
    db.commit()

    with pytest.raises(RoutingError, match="Only a published item"):
        services.route(db, waiting, trust, None, moderator)
    with pytest.raises(RoutingError, match="Choose the organisation") as refused:
        services.route(db, item, None, None, moderator)
    assert refused.value.field == "organisation"

    db.rollback()
    assert count(db, Routing) == 0
    assert (item.stage.value, waiting.stage.value) == ("published", "raised")
    assert [e.kind for e in timeline(db, item, public_only=False)] == ["raised", "published"]
    assert actions(db, "item-routed") == []


def test_only_moderators_and_admins_route_and_the_responder_must_fit(
    db: Session, item: Contribution, trust: Organisation, council: Organisation,
    admin: StaffUser, moderator: StaffUser,
) -> None:  # fmt: skip
    social_worker = responder_for(db, admin, council, "sam@council.example.org")
    unlinked = make_staff(db, "una@example.org", "responder")

    with pytest.raises(RoutingError, match=r"Your role \(responder\) cannot route items"):
        services.route(db, item, trust, None, social_worker)
    with pytest.raises(RoutingError, match="Sam answers for Adult Social Care, not Manchester"):
        services.route(db, item, trust, social_worker, moderator)
    with pytest.raises(RoutingError, match="Mo is not an active responder"):
        services.route(db, item, trust, moderator, moderator)
    db.rollback()
    assert count(db, Routing) == 0

    # A responder linked to no organisation may be named for any.
    assert services.route(db, item, trust, unlinked, admin).responder_id == unlinked.id


def test_re_routing_is_allowed_before_a_response_and_refused_after(
    db: Session, item: Contribution, trust: Organisation, council: Organisation,
    moderator: StaffUser, trust_responder: StaffUser,
) -> None:  # fmt: skip
    follower_of(db, item)
    routed(db, item, trust, moderator, today=THURSDAY_17_DEC)

    again = routed(db, item, council, moderator, today=date(2027, 1, 1))

    # Friday 1 January 2027 is a bank holiday: the next working day, Monday 4th, starts
    # the count; 20 working days on is Friday 29 January.
    assert (again.organisation_id, again.routed_on, again.deadline) == (
        council.id,
        date(2027, 1, 1),
        date(2027, 1, 29),
    )
    assert count(db, Routing) == 1
    [entry] = actions(db, "item-rerouted")
    assert entry.detail == (
        "Adult Social Care; due 2027-01-29; "
        "was routed to Manchester University NHS Foundation Trust"
    )
    notes = [
        e.note for e in timeline(db, item) if e.stage is not None and e.stage.value == "routed"
    ]
    assert notes[-1] == "Passed to Adult Social Care, who are asked to respond by 29 January 2027."
    assert len(mail_to(db, "fan@example.org")) == 2

    routed(db, item, trust, moderator, today=date(2027, 1, 4))  # and back again
    services.respond(db, again, trust_responder, "Ten bays.", "responded", today=date(2027, 1, 5))
    db.commit()
    with pytest.raises(RoutingError, match="already responded on 5 January 2027"):
        services.route(db, item, council, None, moderator)
    with pytest.raises(RoutingError, match="already responded"):
        services.triage_national(db, item, moderator)
    db.rollback()
    assert again.organisation_id == trust.id


def test_the_same_organisation_with_another_responder_changes_only_the_responder(
    db: Session, item: Contribution, trust: Organisation, admin: StaffUser,
    moderator: StaffUser, trust_responder: StaffUser,
) -> None:  # fmt: skip
    routing = routed(db, item, trust, moderator)
    events = len(timeline(db, item))

    with pytest.raises(RoutingError, match="already routed to Manchester"):
        services.route(db, item, trust, None, moderator)
    services.route(db, item, trust, trust_responder, moderator, today=date(2027, 1, 4))
    db.commit()

    assert (routing.responder_id, routing.deadline) == (trust_responder.id, date(2027, 1, 19))
    assert len(timeline(db, item)) == events
    assert [a.detail for a in actions(db, "routing-responder-set")] == ["Pat"]


def test_national_candidates_have_no_organisation_and_a_local_one_can_become_national(
    db: Session, item: Contribution, trust: Organisation, moderator: StaffUser
) -> None:
    other = raise_item(db, person(db), title="Dentists", publish=True)
    db.commit()

    national = services.triage_national(db, other, moderator)
    db.commit()
    assert (national.decision, national.organisation_id, national.deadline) == (
        Decision.NATIONAL,
        None,
        None,
    )
    assert other.stage.value == "published"
    with pytest.raises(RoutingError, match="already a national candidate"):
        services.triage_national(db, other, moderator)

    routed(db, item, trust, moderator)
    moved = services.triage_national(db, item, moderator)
    db.commit()
    assert (moved.decision, moved.organisation_id, moved.deadline) == (
        Decision.NATIONAL,
        None,
        None,
    )
    assert timeline(db, item)[-1].note == (
        "Passed to the national team as a national issue, instead of "
        "Manchester University NHS Foundation Trust."
    )
    assert [a.detail for a in actions(db, "item-triaged-national")] == [
        "",
        "was routed to Manchester University NHS Foundation Trust",
    ]
    with pytest.raises(RoutingError, match="national candidate: no local organisation"):
        services.respond(db, moved, moderator, "Yes", "responded")

    routed(db, item, trust, moderator)  # and local again, until it is answered
    assert actions(db, "item-routed")[-1].detail.endswith("; was a national candidate")


# -- responses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "text", "change", "reason", "note"),
    [
        ("responded", "We have passed this to the estates team.", None, None,
         "We have passed this to the estates team."),
        ("change-planned", "Thank you.", "Ten more bays from March.", None,
         "Thank you.\n\nChange planned: Ten more bays from March."),
        ("change-made", "Thank you.", "Ten more bays opened.", None,
         "Thank you.\n\nChange made: Ten more bays opened."),
        ("closed", "", None, "The car park belongs to a private firm.",
         "Why it is closed: The car park belongs to a private firm."),
    ],
)  # fmt: skip
def test_a_response_moves_the_public_stage_to_its_outcome_and_tells_followers(
    db: Session, item: Contribution, trust: Organisation, moderator: StaffUser,
    trust_responder: StaffUser, outcome: str, text: str, change: str | None,
    reason: str | None, note: str,
) -> None:  # fmt: skip
    follower_of(db, item)
    routing = routed(db, item, trust, moderator, today=MONDAY_2_NOV)

    services.respond(
        db, routing, trust_responder, text, outcome, change, reason, today=date(2026, 11, 4)
    )
    db.commit()

    assert (routing.outcome, routing.responded_on, routing.responded_by_id) == (
        Outcome(outcome),
        date(2026, 11, 4),
        trust_responder.id,
    )
    assert (routing.response, routing.change_description, routing.closed_reason) == (
        text or None,
        change,
        reason,
    )
    assert item.stage.value == outcome
    event = timeline(db, item)[-1]
    assert (event.stage.value if event.stage else None, event.note, event.staff_id) == (
        outcome,
        note,
        trust_responder.id,
    )
    _routed_mail, answered_mail = mail_to(db, "fan@example.org")
    assert note in answered_mail.text
    [entry] = actions(db, "routing-responded")
    assert (entry.staff_id, entry.detail) == (
        trust_responder.id,
        f"{outcome}; for Manchester University NHS Foundation Trust",
    )
    assert text == "" or text not in entry.detail  # the words stay out of the audit log


@pytest.mark.parametrize(
    ("who", "outcome", "text", "change", "reason", "field", "message"),
    [
        ("council", "responded", "Yes", None, None, "",
         "You answer for Adult Social Care; this item was routed to Manchester"),
        ("unlinked", "responded", "Yes", None, None, "", "not linked to Manchester"),
        ("moderator", "responded", "Yes", None, None, "", "Only the organisation's responders"),
        ("trust", "change-planned", "Yes", "  ", None, "change_description",
         "Say what the change is"),
        ("trust", "change-made", "Yes", None, None, "change_description", "Say what the change"),
        ("trust", "closed", "We looked into it.", None, "", "closed_reason",
         "Say why it is closed"),
        ("trust", "responded", "", None, None, "text", "Enter the response people will read"),
        ("trust", "ignored", "Yes", None, None, "outcome", "Choose responded, change planned"),
        ("trust", "responded", "x" * 2001, None, None, "text", "2,000 characters or fewer"),
    ],
)  # fmt: skip
def test_a_refused_response_stores_nothing(
    db: Session, item: Contribution, trust: Organisation, council: Organisation,
    admin: StaffUser, moderator: StaffUser, trust_responder: StaffUser, who: str,
    outcome: str, text: str, change: str | None, reason: str | None, field: str, message: str,
) -> None:  # fmt: skip
    people = {
        "trust": trust_responder,
        "council": responder_for(db, admin, council, "sam@council.example.org"),
        "unlinked": make_staff(db, "una@example.org", "responder"),
        "moderator": moderator,
    }
    follower_of(db, item)
    routing = routed(db, item, trust, moderator)
    events = db.scalar(select(func.count()).select_from(ContributionEvent))

    with pytest.raises(RoutingError, match=message) as refused:
        services.respond(db, routing, people[who], text, outcome, change, reason)
    assert refused.value.field == field

    db.rollback()
    assert (routing.outcome, routing.response, routing.responded_at) == (None, None, None)
    assert item.stage.value == "routed"
    assert db.scalar(select(func.count()).select_from(ContributionEvent)) == events
    assert len(mail_to(db, "fan@example.org")) == 1  # only the "routed" email
    assert actions(db, "routing-responded") == []


def test_an_admin_may_answer_for_any_organisation_but_only_once(
    db: Session, item: Contribution, council: Organisation, admin: StaffUser,
    moderator: StaffUser,
) -> None:  # fmt: skip
    routing = routed(db, item, council, moderator)

    services.respond(db, routing, admin, "Noted.", "responded", today=date(2026, 12, 18))
    db.commit()

    assert routing.responded_by_id == admin.id
    with pytest.raises(RoutingError, match="already has a response"):
        services.respond(db, routing, admin, "Again.", "responded")


def test_a_change_is_marked_planned_then_made_and_no_further(
    db: Session, item: Contribution, trust: Organisation, moderator: StaffUser,
    trust_responder: StaffUser,
) -> None:  # fmt: skip
    follower_of(db, item)
    routing = routed(db, item, trust, moderator)
    with pytest.raises(RoutingError, match="Respond to the item first"):
        services.mark_change(db, routing, trust_responder, "change-made", "Bays")
    services.respond(db, routing, trust_responder, "We agree.", "responded", today=THURSDAY_17_DEC)

    services.mark_change(db, routing, trust_responder, "change-planned", "Ten bays in March.")
    with pytest.raises(RoutingError, match="already planned"):
        services.mark_change(db, routing, trust_responder, "change-planned", "Twelve bays")
    with pytest.raises(RoutingError, match="Say what the change is"):
        services.mark_change(db, routing, trust_responder, "change-made", "")
    services.mark_change(db, routing, trust_responder, "change-made", "Ten bays opened.")
    db.commit()

    assert (routing.outcome, routing.change_description) == (
        Outcome.CHANGE_MADE,
        "Ten bays opened.",
    )
    assert routing.responded_on == THURSDAY_17_DEC  # the first answer still dates the response
    assert [(e.stage.value if e.stage else None, e.note) for e in timeline(db, item)][-2:] == [
        ("change-planned", "Change planned: Ten bays in March."),
        ("change-made", "Change made: Ten bays opened."),
    ]
    assert len(mail_to(db, "fan@example.org")) == 4  # routed, responded, planned, made
    assert [a.detail for a in actions(db, "routing-change-marked")] == [
        "change-planned; for Manchester University NHS Foundation Trust",
        "change-made; for Manchester University NHS Foundation Trust",
    ]
    with pytest.raises(RoutingError, match="already marked as made"):
        services.mark_change(db, routing, trust_responder, "change-made", "More")


def test_a_closed_item_cannot_be_changed_later(
    db: Session, item: Contribution, trust: Organisation, moderator: StaffUser,
    trust_responder: StaffUser,
) -> None:  # fmt: skip
    routing = routed(db, item, trust, moderator)
    services.respond(
        db, routing, trust_responder, "", "closed", closed_reason="Not ours.", today=THURSDAY_17_DEC
    )
    with pytest.raises(RoutingError, match="closed with a reason"):
        services.mark_change(db, routing, trust_responder, "change-made", "Bays")


# -- reminders -----------------------------------------------------------------------------


def test_reminders_are_due_within_five_working_days_or_late_and_once_a_day(
    db: Session, trust: Organisation, moderator: StaffUser, trust_responder: StaffUser
) -> None:
    def item_due(title: str, days: int) -> Routing:
        found = raise_item(db, person(db), title=f"About {title}", publish=True)
        return services.route(db, found, trust, None, moderator, days=days, today=MONDAY_2_NOV)

    late = item_due("Late", 5)  # due Monday 9 November
    soon = item_due("Soon", 13)  # due Thursday 19 November
    later = item_due("Later", 14)  # due Friday 20 November
    answered = item_due("Answered", 5)
    services.respond(db, answered, trust_responder, "Done.", "responded", today=MONDAY_2_NOV)
    db.commit()
    thursday_12 = date(2026, 11, 12)

    # From Thursday 12th: 13, 16, 17, 18, 19 is 5 working days to "Soon"; 6 to "Later".
    assert services.due_reminders(db, thursday_12) == [late, soon]
    assert services.due_reminders(db, thursday_12, days_before=6) == [late, soon, later]

    services.mark_reminded(db, late, at=datetime(2026, 11, 12, 9, tzinfo=UTC))
    db.commit()
    assert services.due_reminders(db, thursday_12) == [soon]
    # The next day "Late" is due again, and "Later" is now 5 working days away (16th-20th).
    assert services.due_reminders(db, date(2026, 11, 13)) == [late, soon, later]
    [entry] = actions(db, "routing-reminded")
    assert (entry.staff_id, entry.detail) == (None, "due 2026-11-09")


# -- figures -------------------------------------------------------------------------------


def test_routed_items_feed_the_statistics_with_hand_worked_figures(
    db: Session, trust: Organisation, council: Organisation, admin: StaffUser,
    moderator: StaffUser, trust_responder: StaffUser,
) -> None:  # fmt: skip
    def send(title: str, organisation: Organisation, today: date, days: int = 20) -> Routing:
        found = raise_item(db, person(db), title=f"About {title}", publish=True)
        return services.route(db, found, organisation, None, moderator, days=days, today=today)

    one = send("One", trust, MONDAY_2_NOV)
    two = send("Two", trust, MONDAY_2_NOV)
    send("Three", council, MONDAY_2_NOV, days=5)  # due Monday 9th, unanswered: late
    send("Four", council, date(2026, 11, 10))  # due in December: awaiting
    national = raise_item(db, person(db), title="National", publish=True)
    services.triage_national(db, national, moderator)  # not a routed item
    # Answered after 2 working days (3rd, 4th) with a change, and after 5 (3rd to 6th, 9th).
    services.respond(
        db, one, trust_responder, "Yes.", "change-planned", "Bays", today=date(2026, 11, 4)
    )
    services.respond(db, two, trust_responder, "Noted.", "responded", today=date(2026, 11, 9))
    db.commit()

    items = services.routed_items(db)
    stats = routing_stats(items, as_of=date(2026, 11, 12))

    assert len(items) == 4
    overall = stats.overall
    assert (overall.routed, overall.responded, overall.awaiting, len(overall.late)) == (4, 2, 1, 1)
    assert overall.response_rate == pytest.approx(2 / 3)  # 2 answered of 2 answered + 1 late
    assert overall.median_working_days_to_respond == 3.5  # median of 2 and 5
    assert (overall.changes, overall.change_share) == (1, 0.5)
    assert overall.late[0].working_days_late == 3  # 10th, 11th, 12th
    assert overall.late[0].item.reference is not None
    by_trust = stats.by_organisation[str(trust.id)]
    assert (by_trust.response_rate, by_trust.median_working_days_to_respond) == (1.0, 3.5)
    council_type = stats.by_organisation_type["council-department"]
    assert (council_type.routed, council_type.response_rate) == (2, 0.0)
    assert set(stats.by_organisation_type) == {"council-department", "nhs-trust"}


def test_you_said_we_did_lists_changes_newest_first(
    db: Session, trust: Organisation, moderator: StaffUser, trust_responder: StaffUser
) -> None:
    def answered(title: str, outcome: str, change: str | None) -> Routing:
        found = raise_item(db, person(db), title=f"About {title}", publish=True)
        routing = services.route(db, found, trust, None, moderator)
        services.respond(db, routing, trust_responder, "Thanks.", outcome, change)
        return routing

    planned = answered("Planned", "change-planned", "Bays in March")
    answered("Just answered", "responded", None)
    made = answered("Made", "change-made", "Ramp built")
    db.commit()
    assert services.you_said_we_did(db, limit=10) == [made, planned]

    services.mark_change(db, planned, trust_responder, "change-made", "Bays opened")
    db.commit()
    assert services.you_said_we_did(db, limit=10) == [planned, made]
    assert services.you_said_we_did(db, limit=1) == [planned]


# -- organisations -------------------------------------------------------------------------


def test_organisations_are_checked_and_listed(
    db: Session, trust: Organisation, council: Organisation, admin: StaffUser,
    moderator: StaffUser, trust_responder: StaffUser,
) -> None:  # fmt: skip
    assert trust.ods_code == "R0A"  # given in lower case
    assert (council.email, council.ods_code, council.active) == ("asc@example.org", None, True)

    refusals = [
        (dict(name="  ", kind="icb"), "name", "Enter the organisation's name"),
        (dict(name="X", kind="charity"), "kind", "Choose what kind"),
        (dict(name="X", kind="icb", ods_code="R-0A"), "ods_code", "3 to 9 letters and digits"),
        (dict(name="X", kind="icb", ods_code="AB"), "ods_code", "3 to 9 letters and digits"),
        (dict(name="X", kind="icb", ods_code="ABCDEFGHIJ"), "ods_code", "3 to 9"),
        (dict(name="X", kind="icb", email="no-at-sign"), "email", "Enter an email address"),
        (dict(name="adult social care", kind="other"), "name", "already an organisation"),
        (dict(name="Y", kind="icb", ods_code="R0A"), "ods_code", "already has the ODS code R0A"),
    ]
    for fields, field, message in refusals:
        with pytest.raises(RoutingError, match=message) as refused:
            services.add_organisation(db, moderator, **fields)  # type: ignore[arg-type]
        assert refused.value.field == field
    with pytest.raises(RoutingError, match="cannot add organisations"):
        services.add_organisation(db, trust_responder, "Z", "icb")
    db.rollback()
    assert count(db, Organisation) == 2

    services.set_organisation_active(db, council, False, moderator)
    db.commit()
    assert services.list_organisations(db) == [trust]
    assert services.list_organisations(db, active_only=False) == [council, trust]
    assert [a.detail for a in actions(db, "organisation-added")] == [
        "Manchester University NHS Foundation Trust (NHS trust, ODS R0A)",
        "Adult Social Care (council department)",
    ]
    assert services.organisation_of(db, trust_responder) == trust
    with pytest.raises(RoutingError, match="Only responders answer for an organisation"):
        services.link_staff(db, moderator, trust, admin)
    with pytest.raises(RoutingError, match="cannot link staff"):
        services.link_staff(db, trust_responder, council, moderator)
    services.link_staff(db, trust_responder, None, admin)
    db.commit()
    assert services.organisation_of(db, trust_responder) is None


def test_a_resident_deleting_their_data_takes_the_routing_of_their_item_with_it(
    db: Session, moderator: StaffUser, trust: Organisation, item: Contribution
) -> None:
    from hub.gather.models import Participant
    from hub.residents.services import delete_everything

    routed(db, item, trust, moderator)
    author = db.get(Participant, item.participant_id)
    assert author is not None
    item_id = item.id
    delete_everything(db, author)
    db.commit()
    assert count(db, Routing) == 0
    assert db.get(Contribution, item_id) is None
    assert count(db, Organisation) == 1  # the organisation stays
