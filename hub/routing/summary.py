"""The true routing figures for a release's `routing` block (federation/disclosure/routing.py).

A snapshot at the end of the period's last day of the items routed in the 365
days up to it: the same figures as the public `/organisations` page
(`hub.routing.stats`), grouped by organisation type. The engine protects them
(count rule) before anything leaves the hub.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.disclosure.routing import RoutingCounts, TypeCounts, window
from hub.gather.models import Contribution, Status
from hub.routing.models import Decision, Routing
from hub.routing.services import routed_items
from hub.routing.stats import routing_stats


def routing_counts(db: Session, period_end: date) -> RoutingCounts:
    """True figures for the window ending on `period_end` (items still published only)."""
    start, end = window(period_end)
    items = [item for item in routed_items(db) if start <= item.routed_on <= end]
    stats = routing_stats(items, as_of=end)
    by_type = {
        kind: TypeCounts(
            routed=figures.routed,
            responded=figures.responded,
            late=len(figures.late),
            changes=figures.changes,
            median_working_days=figures.median_working_days_to_respond,
        )
        for kind, figures in stats.by_organisation_type.items()
    }
    national = db.scalar(
        select(func.count())
        .select_from(Routing)
        .join(Contribution, Contribution.id == Routing.contribution_id)
        .where(
            Routing.decision == Decision.NATIONAL,
            Contribution.status == Status.PUBLISHED,
            Routing.routed_on.between(start, end),
        )
    )
    return RoutingCounts(start=start, end=end, national=national or 0, by_type=by_type)
