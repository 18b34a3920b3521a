"""Response statistics per organisation, the way Care Opinion shows them (issue 6).

`routing_stats(items, as_of, extra_closures=())` takes every routed item (a
`RoutedItem`: who it went to, when, its deadline, and when and how it was
answered) and gives a `RoutingStats`: the same `ResponseStats` figures overall,
per organisation (keyed by `organisation_id`) and per organisation type (the
type counts go nationally in `summary/1`). `response_stats(items, as_of, …)`
works out one group. No database, no Flask: the caller loads the rows.

The figures are a snapshot at the end of `as_of`: an item routed after it is
left out, and a response dated after it counts as not yet given, so a past
period's figures can be rebuilt exactly.

- `routed`: items routed to the group.
- `responded`: items with a response (`responded_on` set). Closing an item with
  a reason is a response too: it is public and says why nothing more will happen.
- `awaiting`: unanswered items not yet late (still within their deadline).
- `late`: unanswered items past their deadline, each with how many working days
  late, most late first. An item becomes late on the first working day after its deadline
  (`calendar.working_days_between(deadline, as_of) >= 1`), so the weekend after
  a Friday deadline does not make it late yet.
- `response_rate` = responded ÷ (responded + late). The denominator is the items
  that have either been answered or had their chance to be: an unanswered item
  still within its deadline is not yet a failure, and counting it would make a
  busy month look like poor performance. A late answer still counts as answered.
  None when nothing is answered or late yet.
- `median_working_days_to_respond`: the median of working days from routing to
  response (`calendar.working_days_between(routed_on, responded_on)`) over the
  answered items: the middle value for an odd count, the mean of the two middle
  values for an even count (so it may end in .5). None when nothing is answered.
- `changes`: responses whose outcome is "change-planned" or "change-made";
  `change_share` = changes ÷ responded (None when nothing is answered).

Rates and shares are unrounded floats; pages and the summary round them.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from types import MappingProxyType
from typing import Literal, get_args

from hub.routing.calendar import working_days_between

Outcome = Literal["responded", "change-planned", "change-made", "closed"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
CHANGE_OUTCOMES = frozenset({"change-planned", "change-made"})


@dataclass(frozen=True)
class RoutedItem:
    """One item routed to an organisation, as the statistics need it.

    `outcome` is None exactly when `responded_on` is None. `reference` is the
    caller's own key (the item's id, say), carried into `LateItem` untouched.
    """

    organisation_id: str
    organisation_type: str
    routed_on: date
    responded_on: date | None
    outcome: Outcome | None
    deadline: date
    reference: str | None = None

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ValueError(
                f"outcome {self.outcome!r} of item {self._name()} is not one of "
                f"{', '.join(OUTCOMES)} (or None while unanswered)"
            )
        if (self.outcome is None) != (self.responded_on is None):
            raise ValueError(
                f"item {self._name()} has outcome {self.outcome!r} but responded_on "
                f"{self.responded_on!r}: set both when it is answered, neither before"
            )
        if self.responded_on is not None and self.responded_on < self.routed_on:
            raise ValueError(
                f"item {self._name()} was responded to on {self.responded_on.isoformat()}, "
                f"before it was routed on {self.routed_on.isoformat()}"
            )
        if self.deadline < self.routed_on:
            raise ValueError(
                f"item {self._name()} has its deadline {self.deadline.isoformat()} before "
                f"it was routed on {self.routed_on.isoformat()}"
            )

    def _name(self) -> str:
        return (
            repr(self.reference) if self.reference is not None else f"to {self.organisation_id!r}"
        )


@dataclass(frozen=True)
class LateItem:
    """An unanswered item past its deadline, with how many working days late at `as_of`."""

    item: RoutedItem
    working_days_late: int


@dataclass(frozen=True)
class ResponseStats:
    """The response figures for one group of routed items (see the module docstring)."""

    routed: int
    responded: int
    awaiting: int
    late: tuple[LateItem, ...]
    response_rate: float | None
    median_working_days_to_respond: float | None
    changes: int
    change_share: float | None


@dataclass(frozen=True)
class RoutingStats:
    """The figures overall, per organisation id and per organisation type (keys sorted)."""

    overall: ResponseStats
    by_organisation: Mapping[str, ResponseStats]
    by_organisation_type: Mapping[str, ResponseStats]


def routing_stats(
    items: Iterable[RoutedItem], as_of: date, extra_closures: Iterable[date] = ()
) -> RoutingStats:
    """Work out the figures overall, per organisation and per organisation type.

    An organisation id seen with two different types is refused (ValueError):
    its figures would otherwise count under both types.
    """
    included = _as_of(items, as_of)
    closures = frozenset(extra_closures)
    type_of: dict[str, str] = {}
    by_organisation: defaultdict[str, list[RoutedItem]] = defaultdict(list)
    by_type: defaultdict[str, list[RoutedItem]] = defaultdict(list)
    for item in included:
        known = type_of.setdefault(item.organisation_id, item.organisation_type)
        if known != item.organisation_type:
            raise ValueError(
                f"organisation {item.organisation_id!r} appears as both {known!r} and "
                f"{item.organisation_type!r}: give each organisation one type"
            )
        by_organisation[item.organisation_id].append(item)
        by_type[item.organisation_type].append(item)
    return RoutingStats(
        overall=_stats(included, as_of, closures),
        by_organisation=_frozen(
            {k: _stats(v, as_of, closures) for k, v in by_organisation.items()}
        ),
        by_organisation_type=_frozen({k: _stats(v, as_of, closures) for k, v in by_type.items()}),
    )


def response_stats(
    items: Iterable[RoutedItem], as_of: date, extra_closures: Iterable[date] = ()
) -> ResponseStats:
    """Work out the figures for one group of items (all of them, whatever the organisation)."""
    return _stats(_as_of(items, as_of), as_of, frozenset(extra_closures))


def _as_of(items: Iterable[RoutedItem], as_of: date) -> list[RoutedItem]:
    # The snapshot at the end of as_of: later routings left out, later responses not yet given.
    snapshot = []
    for item in items:
        if item.routed_on > as_of:
            continue
        if item.responded_on is not None and item.responded_on > as_of:
            item = replace(item, responded_on=None, outcome=None)
        snapshot.append(item)
    return snapshot


def _stats(items: Sequence[RoutedItem], as_of: date, closures: frozenset[date]) -> ResponseStats:
    answered = [item for item in items if item.responded_on is not None]
    late: list[LateItem] = []
    awaiting = 0
    for item in items:
        if item.responded_on is not None:
            continue
        days_late = (
            working_days_between(item.deadline, as_of, closures) if as_of > item.deadline else 0
        )
        if days_late >= 1:
            late.append(LateItem(item=item, working_days_late=days_late))
        else:
            awaiting += 1
    durations = [
        working_days_between(item.routed_on, item.responded_on, closures)
        for item in answered
        if item.responded_on is not None
    ]
    changes = sum(1 for item in answered if item.outcome in CHANGE_OUTCOMES)
    due = len(answered) + len(late)
    return ResponseStats(
        routed=len(items),
        responded=len(answered),
        awaiting=awaiting,
        late=tuple(sorted(late, key=lambda entry: -entry.working_days_late)),
        response_rate=len(answered) / due if due else None,
        median_working_days_to_respond=float(statistics.median(durations)) if durations else None,
        changes=changes,
        change_share=changes / len(answered) if answered else None,
    )


def _frozen(figures: dict[str, ResponseStats]) -> Mapping[str, ResponseStats]:
    return MappingProxyType(dict(sorted(figures.items())))
