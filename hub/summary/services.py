"""Build the `summary/1` body for a period: what may leave the hub (DESIGN.md §5–6).

Counts are distinct people, worked out by the database with GROUP BY and
COUNT(DISTINCT …), so no contribution row (and no participant id) is ever
loaded into Python. Each count then goes through the disclosure rule
(`federation.disclosure.protect_count`: 1–7 suppressed, 0 stays 0, others
rounded to 5), and the finished body is checked against the schema the
aggregator will check it against.

Contributions count in the period of their `created_at` date; a "me too"
counts in the period of the support's own date, whenever the item was raised.
Leaves out: breakdowns, routing, assemblies and quotes (later schema additions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import CompoundSelect, String, func, literal_column, null, select, type_coerce
from sqlalchemy.orm import Session

from federation.disclosure import DEFAULT_RULE, DisclosureRule, protect_count
from federation.periods import Period
from federation.statement import KINDS, validate_body
from federation.taxonomy import CURRENT_VERSION, load_taxonomy
from hub.gather.models import Contribution, Support
from hub.themes.models import LocalTheme

SCHEMA = "summary/1"
RAISED, SUPPORTED = "raised", "supported"


@dataclass(frozen=True)
class PeopleCounts:
    """True counts of distinct people in a period, before disclosure control."""

    overall: int
    by_act: dict[str, int]  # raised|supported → people
    by_theme: dict[str, int]  # national code → people
    by_theme_act: dict[tuple[str, str], int]  # (code, act) → people
    by_theme_kind: dict[tuple[str, str], int]  # (code, kind) → people who raised that kind


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    """[start of the first day, start of the day after the last) in UTC: both dates inclusive."""
    start = datetime.combine(period.start, time.min, tzinfo=UTC)
    end = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=UTC)
    return start, end


def _acts(period: Period) -> CompoundSelect[Any]:
    """One row per act in the period: (national code, person, raised|supported, kind or NULL)."""
    start, end = period_bounds(period)
    # Constants as SQL text, not bind parameters: PostgreSQL cannot type a bare
    # parameter in a UNION.
    raised = (
        select(
            LocalTheme.national_code.label("code"),
            Contribution.participant_id.label("person"),
            literal_column(f"'{RAISED}'", String).label("act"),
            type_coerce(Contribution.kind, String).label("kind"),
        )
        .join(LocalTheme, Contribution.theme_id == LocalTheme.id)
        .where(Contribution.created_at >= start, Contribution.created_at < end)
    )
    supported = (
        select(
            LocalTheme.national_code,
            Support.participant_id,
            literal_column(f"'{SUPPORTED}'", String),
            null(),
        )
        .join(Contribution, Support.contribution_id == Contribution.id)
        .join(LocalTheme, Contribution.theme_id == LocalTheme.id)
        .where(Support.created_at >= start, Support.created_at < end)
    )
    return raised.union_all(supported)


def count_people(session: Session, period: Period) -> PeopleCounts:
    """Distinct people per cell, counted by the database (no rows come back, only counts)."""
    acts = _acts(period).subquery()
    people = func.count(acts.c.person.distinct())

    def grouped(*columns: Any, raised_only: bool = False) -> dict[Any, int]:
        query = select(*columns, people).group_by(*columns)
        if raised_only:
            query = query.where(acts.c.act == RAISED)
        rows = session.execute(query).all()
        return {(row[0] if len(columns) == 1 else tuple(row[:-1])): row[-1] for row in rows}

    return PeopleCounts(
        overall=session.scalar(select(people)) or 0,
        by_act=grouped(acts.c.act),
        by_theme=grouped(acts.c.code),
        by_theme_act=grouped(acts.c.code, acts.c.act),
        by_theme_kind=grouped(acts.c.code, acts.c.kind, raised_only=True),
    )


def build_summary(
    session: Session, period: Period, *, rule: DisclosureRule = DEFAULT_RULE
) -> dict[str, Any]:
    """The `summary/1` body for `period`, disclosure-controlled and schema-checked."""
    counts = count_people(session, period)

    def cell(count: int) -> dict[str, Any]:
        return protect_count(count, rule).as_json()

    themes = [
        {
            "code": code,
            "people": cell(counts.by_theme.get(code, 0)),
            "contributors": cell(counts.by_theme_act.get((code, RAISED), 0)),
            "supporters": cell(counts.by_theme_act.get((code, SUPPORTED), 0)),
            "by_kind": {kind: cell(counts.by_theme_kind.get((code, kind), 0)) for kind in KINDS},
        }
        for code in sorted(load_taxonomy(CURRENT_VERSION).codes)
    ]
    body = {
        "taxonomy": CURRENT_VERSION,
        "disclosure": rule.as_json(),
        "participation": {
            "participants": cell(counts.overall),
            "contributors": cell(counts.by_act.get(RAISED, 0)),
            "supporters": cell(counts.by_act.get(SUPPORTED, 0)),
        },
        "themes": themes,
    }
    validate_body(SCHEMA, body)
    return body
