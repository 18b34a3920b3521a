"""Response statistics per organisation and per type, against hand-worked figures.

The dates are in June and early July 2026, which hold no bank holiday (the
spring bank holiday is Monday 25 May, the summer one Monday 31 August), so a
working day is simply Monday to Friday. Most items are routed on a Monday:
20 working days later is the Monday four weeks on.
"""

from __future__ import annotations

from datetime import date

import pytest

from hub.routing.calendar import add_working_days
from hub.routing.stats import Outcome, RoutedItem, response_stats, routing_stats

AS_OF = date(2026, 7, 3)  # Friday 3 July 2026


def item(
    reference: str,
    organisation_id: str,
    organisation_type: str,
    routed_on: date,
    responded_on: date | None = None,
    outcome: Outcome | None = None,
) -> RoutedItem:
    return RoutedItem(
        organisation_id=organisation_id,
        organisation_type=organisation_type,
        routed_on=routed_on,
        responded_on=responded_on,
        outcome=outcome,
        deadline=add_working_days(routed_on, 20),
        reference=reference,
    )


def june(day: int) -> date:
    return date(2026, 6, day)


ITEMS = [
    # Adult care (a council): four answers, an even count.
    #   a1 Mon 1 -> Wed 3 June: Tue, Wed = 2 working days
    #   a2 Mon 1 -> Mon 8 June: Tue-Fri 4 + Mon 1 = 5
    #   a3 Mon 8 -> Fri 19 June: Tue-Fri 4 + Mon-Fri 5 = 9
    #   a4 Mon 1 June -> Thu 2 July (its deadline was Mon 29 June: answered late,
    #      still answered): 4 + 5 + 5 + 5 + (Mon 29, Tue 30, Wed 1, Thu 2) 4 = 23
    item("a1", "adult-care", "council", june(1), june(3), "responded"),
    item("a2", "adult-care", "council", june(1), june(8), "change-planned"),
    item("a3", "adult-care", "council", june(8), june(19), "change-made"),
    item("a4", "adult-care", "council", june(1), date(2026, 7, 2), "closed"),
    # The ICB: three answers (an odd count), one not yet due, one late.
    #   b1 Mon 1 -> Tue 2 June: 1
    #   b2 Mon 1 -> Fri 12 June: 4 + 5 = 9
    #   b3 Mon 8 -> Mon 15 June: 5
    #   b4 routed Mon 22 June, deadline Mon 20 July: within its deadline
    #   b5 routed Mon 1 June, deadline Mon 29 June, unanswered: late by
    #      Tue 30, Wed 1, Thu 2, Fri 3 = 4 working days
    item("b1", "icb-north", "icb", june(1), june(2), "responded"),
    item("b2", "icb-north", "icb", june(1), june(12), "change-made"),
    item("b3", "icb-north", "icb", june(8), june(15), "responded"),
    item("b4", "icb-north", "icb", june(22)),
    item("b5", "icb-north", "icb", june(1)),
    # The trust: nothing answered.
    #   c1 routed Wed 27 May: Thu 28, Fri 29 (2), 1-5 June (7), 8-12 (12),
    #      15-19 (17), Mon 22 (18), Tue 23 (19), Wed 24 June (20) = deadline;
    #      late by Thu 25, Fri 26, Mon 29, Tue 30, Wed 1, Thu 2, Fri 3 = 7
    #   c2 routed Mon 8 June, deadline Mon 6 July: within its deadline
    item("c1", "general-hospital", "nhs-trust", date(2026, 5, 27)),
    item("c2", "general-hospital", "nhs-trust", june(8)),
    # A GP practice with only an item not yet due (deadline Mon 27 July).
    item("d1", "riverside-gp", "gp-practice", june(29)),
    # Housing (a second council department): Mon 15 -> Wed 17 June = 2.
    item("e1", "housing", "council", june(15), june(17), "change-planned"),
]


def test_the_deadlines_used_here() -> None:
    assert ITEMS[3].deadline == june(29)  # a4
    assert ITEMS[7].deadline == date(2026, 7, 20)  # b4
    assert ITEMS[9].deadline == june(24)  # c1
    assert ITEMS[10].deadline == date(2026, 7, 6)  # c2


def test_even_number_of_answers_late_answer_counted() -> None:
    adult_care = routing_stats(ITEMS, AS_OF).by_organisation["adult-care"]
    assert adult_care.routed == 4
    assert adult_care.responded == 4
    assert adult_care.awaiting == 0
    assert adult_care.late == ()
    assert adult_care.response_rate == 1.0  # 4 / (4 answered + 0 late)
    # 2, 5, 9, 23: the mean of the two middle values, (5 + 9) / 2 = 7
    assert adult_care.median_working_days_to_respond == 7.0
    assert adult_care.changes == 2  # a2 planned, a3 made (a4 closed is not a change)
    assert adult_care.change_share == 0.5  # 2 / 4


def test_odd_number_of_answers_not_yet_due_left_out_of_the_rate() -> None:
    icb = routing_stats(ITEMS, AS_OF).by_organisation["icb-north"]
    assert icb.routed == 5
    assert icb.responded == 3
    assert icb.awaiting == 1  # b4
    assert [(late.item.reference, late.working_days_late) for late in icb.late] == [("b5", 4)]
    # 3 / (3 answered + 1 late) = 0.75; b4 is not yet a failure (3 / 5 would be 0.6)
    assert icb.response_rate == 0.75
    assert icb.median_working_days_to_respond == 5.0  # 1, 5, 9: the middle one
    assert icb.changes == 1
    assert icb.change_share == 1 / 3


def test_nothing_answered() -> None:
    trust = routing_stats(ITEMS, AS_OF).by_organisation["general-hospital"]
    assert trust.routed == 2
    assert trust.responded == 0
    assert trust.awaiting == 1  # c2
    assert [(late.item.reference, late.working_days_late) for late in trust.late] == [("c1", 7)]
    assert trust.response_rate == 0.0  # 0 / (0 + 1 late)
    assert trust.median_working_days_to_respond is None
    assert trust.changes == 0
    assert trust.change_share is None


def test_only_an_item_not_yet_due() -> None:
    gp = routing_stats(ITEMS, AS_OF).by_organisation["riverside-gp"]
    assert (gp.routed, gp.responded, gp.awaiting, gp.late) == (1, 0, 1, ())
    assert gp.response_rate is None  # nothing answered or late: no rate yet, not 0%
    assert gp.median_working_days_to_respond is None
    assert gp.change_share is None


def test_per_organisation_type() -> None:
    by_type = routing_stats(ITEMS, AS_OF).by_organisation_type
    assert list(by_type) == ["council", "gp-practice", "icb", "nhs-trust"]
    council = by_type["council"]  # adult care and housing together
    assert council.routed == 5
    assert council.responded == 5
    assert council.response_rate == 1.0
    # 2, 2, 5, 9, 23: the middle one
    assert council.median_working_days_to_respond == 5.0
    assert council.changes == 3  # a2, a3, e1
    assert council.change_share == 0.6  # 3 / 5
    assert by_type["icb"] == routing_stats(ITEMS, AS_OF).by_organisation["icb-north"]


def test_overall() -> None:
    overall = routing_stats(ITEMS, AS_OF).overall
    assert overall.routed == 13  # 4 + 5 + 2 + 1 + 1
    assert overall.responded == 8  # 4 + 3 + 0 + 0 + 1
    assert overall.awaiting == 3  # b4, c2, d1
    # most late first: c1 by 7, then b5 by 4
    assert [(late.item.reference, late.working_days_late) for late in overall.late] == [
        ("c1", 7),
        ("b5", 4),
    ]
    assert overall.response_rate == 0.8  # 8 / (8 + 2)
    # 1, 2, 2, 5, 5, 9, 9, 23: an even count, (5 + 5) / 2 = 5
    assert overall.median_working_days_to_respond == 5.0
    assert overall.changes == 4  # a2, a3, b2, e1
    assert overall.change_share == 0.5  # 4 / 8
    assert response_stats(ITEMS, AS_OF) == overall


def test_late_from_the_first_working_day_after_the_deadline() -> None:
    # Routed Fri 5 June: 20 working days later is Fri 3 July.
    friday = [item("f1", "housing", "council", june(5))]
    assert friday[0].deadline == date(2026, 7, 3)
    on_the_day = response_stats(friday, date(2026, 7, 3))
    weekend = response_stats(friday, date(2026, 7, 5))  # Sunday
    monday = response_stats(friday, date(2026, 7, 6))
    assert (on_the_day.awaiting, on_the_day.late) == (1, ())
    assert (weekend.awaiting, weekend.late) == (1, ())
    assert weekend.response_rate is None
    assert monday.awaiting == 0
    assert [late.working_days_late for late in monday.late] == [1]
    assert monday.response_rate == 0.0


def test_a_hubs_closure_days_count_against_lateness_and_response_time() -> None:
    # The ICB's office closed on Thu 2 July: b5 is late by Tue 30, Wed 1, Fri 3 = 3;
    # closed on Tue 9 June too: b3 (Mon 8 -> Mon 15) took 4 working days, not 5.
    icb = routing_stats(ITEMS, AS_OF, [date(2026, 7, 2), june(9)]).by_organisation["icb-north"]
    assert [late.working_days_late for late in icb.late] == [3]
    assert icb.median_working_days_to_respond == 4.0  # 1, 4, 9


def test_figures_as_they_stood_on_an_earlier_day() -> None:
    # As of Fri 19 June: b4 (routed 22 June) and d1 (29 June) are left out; a4,
    # answered on 2 July, is not answered yet and is within its deadline (29 June);
    # e1, answered on 17 June, counts.
    earlier = routing_stats(ITEMS, june(19))
    adult_care = earlier.by_organisation["adult-care"]
    assert adult_care.responded == 3  # a1, a2, a3 (a3 answered that very day)
    assert adult_care.awaiting == 1  # a4
    assert "riverside-gp" not in earlier.by_organisation
    assert earlier.overall.routed == 11  # 13 less b4 and d1
    assert earlier.overall.late == ()  # the earliest deadline, c1's, is 24 June


def test_inconsistent_items_are_refused() -> None:
    with pytest.raises(ValueError, match="not one of"):
        item("x", "housing", "council", june(1), june(2), "answered")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="set both"):
        item("x", "housing", "council", june(1), june(2), None)
    with pytest.raises(ValueError, match="set both"):
        item("x", "housing", "council", june(1), None, "closed")
    with pytest.raises(ValueError, match="before it was routed"):
        item("x", "housing", "council", june(8), june(2), "responded")
    mixed = [
        item("x", "housing", "council", june(1)),
        item("y", "housing", "icb", june(1)),
    ]
    with pytest.raises(ValueError, match="one type"):
        routing_stats(mixed, AS_OF)
