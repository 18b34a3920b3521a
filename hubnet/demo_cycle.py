"""The demo's NHS Citizen cycle in each hub: organisations, triage and routing with answers.

`seed_routing` adds the area's local organisations (illustrative names, no
real ODS codes), links the demo responder to the hospital trust, and routes
the most supported items through the same services the staff pages use
(`hub.routing.services`): each storied item is routed, answered and, by its
ending, marked change planned, change made or closed with a reason; more
items are routed and left unanswered (some within their deadline, some late),
and a few are triaged as national candidates. Dates are spread over the weeks
since each item was raised, in England's working days, so the public
`/organisations` figures and "You said, we did" look like a hub in use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

# (key, name pattern, kind): the organisations a hub routes to
ORGANISATIONS = (
    ("asc", "{place} Council: Adult Social Care", "council-department"),
    ("public-health", "{place} Council: Public Health", "council-department"),
    ("transport", "{place} Council: Highways and Transport", "council-department"),
    ("icb", "NHS {place} Integrated Care Board", "icb"),
    ("trust", "{place} Hospitals NHS Foundation Trust", "nhs-trust"),
    ("mental-health", "{place} Mental Health NHS Trust", "nhs-trust"),
    ("primary-care", "{place} Central Primary Care Network", "gp-practice"),
    ("healthwatch", "Healthwatch {place}", "healthwatch"),
)
# Which organisation answers for each national theme of the demo's stories.
THEME_ORGANISATION = {
    "gp-access": "primary-care",
    "mental-health": "mental-health",
    "dentistry": "icb",
    "transport-access": "transport",
    "planned-care-waiting": "trust",
    "adult-social-care": "asc",
    "unpaid-carers": "asc",
    "children-young-people": "trust",
    "health-inequalities": "public-health",
    "urgent-emergency-care": "trust",
    "learning-disability-autism": "icb",
}
ROUTED_UNANSWERED = 6  # more popular items routed and not yet answered (some late)
ANSWERED_PLAINLY = 4  # and some answered without a change
NATIONAL = 4  # items triaged as national candidates
PLAIN_ANSWER = (
    "Thank you for raising this. We have read every comment on it and will take it to "
    "our next service review; we will post here what it decides."
)


@dataclass
class RoutingSeeded:
    organisations: dict[str, Any] = field(default_factory=dict)
    routed: int = 0
    answered: int = 0
    changes: int = 0
    national: int = 0
    late: int = 0
    routings: list[Any] = field(default_factory=list)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(10, 30), tzinfo=UTC)


def seed_routing(
    session: Any,
    *,
    place: str,
    staff: dict[str, Any],
    storied: list[tuple[Any, str, str, Any]],
    others: list[tuple[Any, str]],
    now: datetime,
    backdate: Callable[[Any, Any, datetime], None],
) -> RoutingSeeded:
    """Route the demo's items. `storied`: (item, national theme, ending, StatusStory) for
    the items with a story; `others`: (item, national theme) for more popular items."""
    from hub.routing import services
    from hub.routing.calendar import add_working_days
    from hub.routing.services import england_today

    seeded = RoutingSeeded()
    admin, moderator, responder = staff["admin"], staff["moderator"], staff["responder"]
    for key, pattern, kind in ORGANISATIONS:
        email = f"{key}@{place.lower().replace(' ', '-')}.demo.hubnet.invalid"
        seeded.organisations[key] = services.add_organisation(
            session, admin, pattern.format(place=place), kind, None, email
        )
    trust = seeded.organisations["trust"]
    services.link_staff(session, responder, trust, admin)
    today = england_today()

    def organisation_for(theme: str) -> Any:
        return seeded.organisations[THEME_ORGANISATION.get(theme, "healthwatch")]

    def route(item: Any, theme: str, on: date) -> Any:
        organisation = organisation_for(theme)
        named = responder if organisation is trust else None
        routing = services.route(session, item, organisation, named, moderator, today=on)
        routing.routed_at = _moment(on)
        backdate(session, item, _moment(on))
        seeded.routed += 1
        seeded.routings.append(routing)
        return routing

    def answerer(routing: Any) -> Any:
        return responder if routing.organisation is trust else admin

    def day_between(start: datetime, share: float) -> date:
        span = (now - start).total_seconds() * share
        return min((start + timedelta(seconds=span)).date(), today)

    for item, theme, ending, story in storied:
        routed_on = day_between(item.created_at, 0.15)
        routing = route(item, theme, routed_on)
        if ending == "routed":
            continue
        answered_on = min(add_working_days(routed_on, 8), today)
        text = story.responded.format(place=place)
        if ending == "closed":
            services.respond(
                session, routing, answerer(routing), text, "closed",
                closed_reason=story.closed.format(place=place), today=answered_on,
            )  # fmt: skip
        elif ending in ("change-planned", "change-made"):
            services.respond(
                session, routing, answerer(routing), text, "change-planned",
                change_description=story.change_planned.format(place=place), today=answered_on,
            )  # fmt: skip
            seeded.changes += 1
        else:
            services.respond(
                session, routing, answerer(routing), text, "responded", today=answered_on
            )
        routing.responded_at = _moment(answered_on)
        backdate(session, item, _moment(answered_on))
        seeded.answered += 1
        if ending == "change-made":
            made_on = min(add_working_days(answered_on, 10), today)
            services.mark_change(
                session, routing, answerer(routing), "change-made",
                story.change_made.format(place=place),
            )  # fmt: skip
            routing.changed_at = _moment(made_on)
            backdate(session, item, _moment(made_on))

    # More items: some answered plainly, some waiting (a few of them late), some national.
    plain = others[:ANSWERED_PLAINLY]
    waiting = others[ANSWERED_PLAINLY : ANSWERED_PLAINLY + ROUTED_UNANSWERED]
    national = others[ANSWERED_PLAINLY + ROUTED_UNANSWERED :][:NATIONAL]
    for index, (item, theme) in enumerate(plain):
        routed_on = day_between(item.created_at, 0.1)
        routing = route(item, theme, routed_on)
        answered_on = min(add_working_days(routed_on, 4 + 5 * index), today)
        services.respond(
            session, routing, answerer(routing), PLAIN_ANSWER, "responded", today=answered_on
        )
        routing.responded_at = _moment(answered_on)
        backdate(session, item, _moment(answered_on))
        seeded.answered += 1
    for index, (item, theme) in enumerate(waiting):
        # half routed long enough ago to be late, half recently (still within the deadline)
        back = 30 + 3 * index if index % 2 == 0 else 3 + index
        routed_on = max(item.created_at.date(), today - timedelta(days=back))
        routing = route(item, theme, routed_on)
        if routing.deadline is not None and routing.deadline < today:
            seeded.late += 1
    for item, _theme in national:
        services.triage_national(session, item, moderator)
        seeded.national += 1
    return seeded
