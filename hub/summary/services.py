"""Releases: what may leave the hub for a period, built once and kept (DESIGN.md §5–6).

`count_raw` works out the true counts in the database (GROUP BY and
COUNT(DISTINCT …)), so no contribution row and no participant id is ever
loaded into Python: distinct people per theme, act and kind; items raised
per theme with each person's count capped at the rule's `contribution_cap`
(one loud person moves it by at most the cap); and one-way breakdowns of the
people in the hub and in each theme by the five "about you" characteristics
(no answer and "prefer not to say" both count as not-stated).

`prepare_release` turns those counts into the protected `summary/1` body
(`federation.disclosure.engine.protect`: suppression, rounding, breakdown
thresholds, complementary suppression, consented quotes, and noise when the
hub has turned differential privacy on) and stores it, with the decision
behind every cell, as the period's release. Everything that shows or sends
a period (the preview, `push`, a re-send) reads that stored release: the same
period always leaves with byte-identical cells and never draws fresh noise,
and the privacy budget is charged once, in the same transaction that stores
the release.

With differential privacy on, a person's acts count only in the first
`DP_MAX_THEMES_PER_PERSON` themes they acted in during the period (by their
earliest act): that bounds how many cells one person can change, which is
the sensitivity the noise is scaled to. Without it the cap is not applied,
since suppression and rounding do not depend on it.

Contributions count in the period of their `created_at` date; a "me too"
counts in the period of the support's own date, whenever the item was raised.
Rejected and removed items, and the "me too"s for them, do not count;
items waiting for a moderator do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    String,
    case,
    func,
    literal,
    literal_column,
    null,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Subquery

from federation.canonical import canonical_json
from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED
from federation.disclosure.dp import MECHANISM, PrivacySpec, cell_count, sensitivity
from federation.disclosure.engine import Population, ProtectedRelease, protect
from federation.disclosure.ledger import budget_block, check_budget, new_entry, verify_ledger
from federation.disclosure.rules import DisclosureRule
from federation.disclosure.tables import ALL, RawCounts, ThemeCounts
from federation.periods import Period
from hub.db import utcnow
from hub.gather.models import Contribution, Participant, Status, Support
from hub.privacy.models import LedgerRow
from hub.privacy.services import published_anchors
from hub.quotes.services import approved_quotes
from hub.routing.summary import routing_counts
from hub.summary.models import StoredRelease
from hub.themes.models import LocalTheme
from hub.voices.store import load_stored_profile

SCHEMA = "summary/1"
# Items a moderator refused or took down, and the "me too"s they drew, are not counted:
# they broke the hub's values. Pending items count (moderation is about what is shown).
UNCOUNTED = (Status.REJECTED, Status.REMOVED)
RAISED, SUPPORTED = "raised", "supported"

# The settings a release reads, with the defaults `hub.DEFAULTS` also declares.
RELEASE_SETTINGS: dict[str, Any] = {
    "DISCLOSURE_K": 8,
    "ROUNDING_BASE": 5,
    "BREAKDOWN_THRESHOLD": 10,
    "CONTRIBUTION_CAP": 3,
    "QUOTE_THRESHOLD": 10,
    "DP_EPSILON": None,
    "DP_YEARLY_CAP": "12",
    "DP_MAX_THEMES_PER_PERSON": 3,
}


class ReleaseRefused(Exception):
    """A release cannot be prepared; the message says why and what to do, for an operator."""


class PeriodNotEnded(ReleaseRefused):
    """The period is still running: its numbers would be fixed before everyone had their say."""

    def __init__(self, period: Period) -> None:
        super().__init__(
            f"{period.label} has not ended yet: it ends on {period.end.isoformat()}, so its "
            f"release can be prepared from {(period.end + timedelta(days=1)).isoformat()}"
        )
        self.period = period


@dataclass(frozen=True)
class ReleaseSettings:
    """The disclosure rule and differential-privacy settings, from the hub's configuration."""

    rule: DisclosureRule
    epsilon: Decimal | None  # None: differential privacy is off
    yearly_cap: Decimal
    max_themes_per_person: int

    @property
    def differential_privacy(self) -> bool:
        return self.epsilon is not None

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None = None) -> ReleaseSettings:
        """Read the settings; a looser rule or a nonsense number is refused (ValueError).

        With no `config`, the running app's configuration, or the defaults.
        """
        if config is None:
            config = current_app.config if has_app_context() else RELEASE_SETTINGS

        def setting(key: str) -> Any:
            value = config.get(key)
            return RELEASE_SETTINGS[key] if value is None and key != "DP_EPSILON" else value

        rule = DisclosureRule(
            k=int(setting("DISCLOSURE_K")),
            rounding_base=int(setting("ROUNDING_BASE")),
            breakdown_threshold=int(setting("BREAKDOWN_THRESHOLD")),
            contribution_cap=int(setting("CONTRIBUTION_CAP")),
            quote_threshold=int(setting("QUOTE_THRESHOLD")),
        )
        epsilon = _decimal("DP_EPSILON", setting("DP_EPSILON"))
        cap = _decimal("DP_YEARLY_CAP", setting("DP_YEARLY_CAP"))
        themes = int(setting("DP_MAX_THEMES_PER_PERSON"))
        if cap is None:
            raise ValueError('DP_YEARLY_CAP must be set (e.g. "12")')
        if themes < 1:
            raise ValueError("DP_MAX_THEMES_PER_PERSON must be at least 1")
        return cls(rule, epsilon, cap, themes)


def _decimal(key: str, value: Any) -> Decimal | None:
    """A positive decimal from a setting; TOML floats go through str, so 0.1 stays 0.1."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{key} must be a positive decimal number, not {value!r}") from exc
    if not number.is_finite() or number <= 0:
        raise ValueError(f"{key} must be a positive decimal number, not {value!r}")
    return number


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    """[start of the first day, start of the day after the last) in UTC: both dates inclusive."""
    start = datetime.combine(period.start, time.min, tzinfo=UTC)
    end = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=UTC)
    return start, end


def release_label(period: Period) -> str:
    """`2026-10-01/2026-10-31`: how the privacy ledger names a release."""
    return f"{period.start.isoformat()}/{period.end.isoformat()}"


# -- the SQL aggregates --------------------------------------------------------------


def _acts(period: Period) -> CompoundSelect[Any]:
    """One row per act in the period: (national code, person, raised|supported, kind, when)."""
    start, end = period_bounds(period)
    # Constants as SQL text, not bind parameters: PostgreSQL cannot type a bare
    # parameter in a UNION.
    raised = (
        select(
            LocalTheme.national_code.label("code"),
            Contribution.participant_id.label("person"),
            literal_column(f"'{RAISED}'", String).label("act"),
            type_coerce(Contribution.kind, String).label("kind"),
            Contribution.created_at.label("at"),
        )
        .join(LocalTheme, Contribution.theme_id == LocalTheme.id)
        .where(
            Contribution.created_at >= start,
            Contribution.created_at < end,
            Contribution.status.not_in(UNCOUNTED),
        )
    )
    supported = (
        select(
            LocalTheme.national_code,
            Support.participant_id,
            literal_column(f"'{SUPPORTED}'", String),
            null(),
            Support.created_at,
        )
        .join(Contribution, Support.contribution_id == Contribution.id)
        .join(LocalTheme, Contribution.theme_id == LocalTheme.id)
        .where(
            Support.created_at >= start,
            Support.created_at < end,
            Contribution.status.not_in(UNCOUNTED),
        )
    )
    return raised.union_all(supported)


def _first_themes_only(acts: Subquery, themes: int) -> Subquery:
    """The acts in each person's first `themes` themes of the period (by their earliest act).

    Two window functions over the acts, with no join back to them: MIN(at)
    over (person, theme) gives when the person first acted in each theme, and
    DENSE_RANK over the person's themes ordered by that time (then by code, so
    ties are broken the same way on every run and every database) numbers
    them 1, 2, 3…; acts in themes ranked above `themes` are dropped. (A join
    of the acts to their own ranked themes made SQLite loop over every pair:
    minutes for 100,000 rows; the windows take a sort.)
    """
    first = select(
        acts.c.code,
        acts.c.person,
        acts.c.act,
        acts.c.kind,
        acts.c.at,
        func.min(acts.c.at).over(partition_by=(acts.c.person, acts.c.code)).label("first_at"),
    ).subquery("first_acts")
    ranked = select(
        first.c.code,
        first.c.person,
        first.c.act,
        first.c.kind,
        first.c.at,
        func.dense_rank()
        .over(partition_by=first.c.person, order_by=(first.c.first_at, first.c.code))
        .label("theme_rank"),
    ).subquery("ranked_acts")
    return (
        select(ranked.c.code, ranked.c.person, ranked.c.act, ranked.c.kind, ranked.c.at)
        .where(ranked.c.theme_rank <= themes)
        .subquery("capped_acts")
    )


def _people(acts: Subquery) -> tuple[Any, Any, Any]:
    """COUNT(DISTINCT …) of everyone, of those who raised, of those who said "me too"."""
    raised = case((acts.c.act == RAISED, acts.c.person))
    supported = case((acts.c.act == SUPPORTED, acts.c.person))
    return (
        func.count(acts.c.person.distinct()),
        func.count(raised.distinct()),
        func.count(supported.distinct()),
    )


def _category(column: Any, characteristic: str) -> Any:
    """SQL mapping a stored answer to its published category: unanswered, prefer-not-to-say
    (and anything the list does not know) become not-stated."""
    known = [code for code in CHARACTERISTICS[characteristic].codes if code != NOT_STATED]
    return case((column.in_(known), column), else_=literal(NOT_STATED, String))


def _breakdowns(session: Session, acts: Subquery) -> dict[str, dict[str, dict[str, int]]]:
    """Distinct people per category of each characteristic, hub-wide and per theme."""
    in_theme = select(acts.c.code, acts.c.person).distinct().subquery("in_theme")
    result: dict[str, dict[str, dict[str, int]]] = {}
    for characteristic in CHARACTERISTICS:
        column = getattr(Participant, characteristic)
        # Label the category in a subquery and group by that column: grouping by the CASE
        # itself would repeat its bind parameters, which PostgreSQL treats as a different
        # expression from the one selected.
        answered = (
            select(
                in_theme.c.code,
                in_theme.c.person,
                _category(column, characteristic).label("category"),
            )
            .join(Participant, Participant.id == in_theme.c.person)
            .subquery("answered")
        )
        hub_wide = select(answered.c.category, func.count(answered.c.person.distinct())).group_by(
            answered.c.category
        )
        for category, people in session.execute(hub_wide):
            result.setdefault(ALL, {}).setdefault(characteristic, {})[category] = people
        per_theme = select(
            answered.c.code, answered.c.category, func.count(answered.c.person.distinct())
        ).group_by(answered.c.code, answered.c.category)
        for code, category, people in session.execute(per_theme):
            result.setdefault(code, {}).setdefault(characteristic, {})[category] = people
    return result


def count_raw(
    session: Session,
    period: Period,
    rule: DisclosureRule,
    *,
    max_themes_per_person: int | None = None,
) -> RawCounts:
    """The period's TRUE counts, worked out by the database; they must never leave the hub.

    Only counts come back from SQL, never rows. `max_themes_per_person` (the
    differential-privacy path only) keeps each person to their first M themes.
    """
    acts = _acts(period).subquery("acts")
    if max_themes_per_person is not None:
        acts = _first_themes_only(acts, max_themes_per_person)
    everyone, raisers, supporters = _people(acts)

    overall = session.execute(select(everyone, raisers, supporters)).one()
    per_theme = {
        code: (people, raised, supported)
        for code, people, raised, supported in session.execute(
            select(acts.c.code, everyone, raisers, supporters).group_by(acts.c.code)
        )
    }
    by_kind: dict[str, dict[str, int]] = {}
    kinds = (
        select(acts.c.code, acts.c.kind, func.count(acts.c.person.distinct()))
        .where(acts.c.act == RAISED)
        .group_by(acts.c.code, acts.c.kind)
    )
    for code, kind, people in session.execute(kinds):
        by_kind.setdefault(code, {})[kind] = people
    contributions = {
        code: int(items or 0)
        for code, items in session.execute(_capped_contributions(acts, rule.contribution_cap))
    }

    themes = {
        code: ThemeCounts(
            people=people,
            contributors=raised,
            supporters=supported,
            contributions=contributions.get(code, 0),
            by_kind=by_kind.get(code, {}),
        )
        for code, (people, raised, supported) in per_theme.items()
    }
    return RawCounts(
        participants=overall[0],
        contributors=overall[1],
        supporters=overall[2],
        themes=themes,
        breakdowns=_breakdowns(session, acts),
    )


def _capped_contributions(acts: Subquery, cap: int) -> Select[tuple[str, int]]:
    """Items raised per theme, each person's count capped: SUM(MIN(n, cap)) in SQL.

    CASE rather than two-argument MIN/LEAST, which SQLite and PostgreSQL spell
    differently.
    """
    per_person = (
        select(acts.c.code, acts.c.person, func.count().label("raised_items"))
        .where(acts.c.act == RAISED)
        .group_by(acts.c.code, acts.c.person)
        .subquery("items_per_person")
    )
    capped = case(
        (per_person.c.raised_items > cap, literal(cap, Integer)), else_=per_person.c.raised_items
    )
    return select(per_person.c.code, func.sum(capped)).group_by(per_person.c.code)


# -- releases ---------------------------------------------------------------------


def find_release(session: Session, period: Period) -> StoredRelease | None:
    """The stored release for exactly this period, if one was prepared."""
    return session.scalar(
        select(StoredRelease).where(
            StoredRelease.period_start == period.start, StoredRelease.period_end == period.end
        )
    )


def ledger_rows(session: Session) -> list[LedgerRow]:
    """Every privacy-ledger row, in chain order."""
    return list(session.scalars(select(LedgerRow).order_by(LedgerRow.seq)))


def prepare_release(
    session: Session,
    period: Period,
    config: Mapping[str, Any] | None = None,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> StoredRelease:
    """The period's stored release: the one already prepared, or a new one built and stored.

    Never commits (the caller does, so the release and its ledger entry are
    stored together or not at all; two racing builds of one period fail on
    the unique period, or on the ledger's seq). With `today`, a period that
    has not ended by then is refused (PeriodNotEnded) rather than fixed early.
    With differential privacy on: the ledger is verified and the year's
    budget checked first (LedgerTampered / BudgetExceeded: nothing is
    stored), then the noisy release and its ledger entry are stored.
    """
    existing = find_release(session, period)
    if existing is not None:
        return existing
    if today is not None and period.end >= today:
        raise PeriodNotEnded(period)
    settings = ReleaseSettings.from_config(config)
    created = now or utcnow()
    quotes = approved_quotes(session)
    extras = _extras(session, period, config)
    if not settings.differential_privacy:
        raw = count_raw(session, period, settings.rule)
        protected = protect(raw, settings.rule, quotes=quotes, **extras)
        return _store(session, period, protected, created)

    assert settings.epsilon is not None
    raw = count_raw(
        session, period, settings.rule, max_themes_per_person=settings.max_themes_per_person
    )
    entries = [row.entry() for row in ledger_rows(session)]
    year = created.year
    # The chain, and that it still matches every ledger head already signed and sent.
    verify_ledger(entries, anchors=published_anchors(session, entries))
    check_budget(entries, year, settings.epsilon, settings.yearly_cap)
    spec = PrivacySpec(settings.epsilon, settings.max_themes_per_person)
    bound = sensitivity(settings.rule, spec)
    entry = new_entry(
        entries[-1] if entries else None,
        created=created,
        year=year,
        release=release_label(period),
        epsilon=settings.epsilon,
        mechanism=MECHANISM,
        sensitivity=bound,
        cells=cell_count(),
    )
    budget = budget_block([*entries, entry], year, settings.yearly_cap, bound)
    privacy = replace(spec, budget=budget)
    protected = protect(raw, settings.rule, quotes=quotes, privacy=privacy, **extras)
    release = _store(session, period, protected, created)
    session.add(LedgerRow.from_entry(entry, release.id))
    session.flush()
    return release


def _extras(session: Session, period: Period, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The routing figures and the area's population profile for the release's extra blocks.

    The profile is read from the instance folder (`hubnet hub profile import`);
    without one, `representation` is null.
    """
    instance = (config or {}).get("INSTANCE_PATH")
    if instance is None and has_app_context():
        instance = current_app.config.get("INSTANCE_PATH")
    stored = load_stored_profile(instance) if instance else None
    population = None
    if stored is not None:
        profile = stored.profile
        counts = {code: profile.counts(code) for code in profile.characteristics}
        population = Population(counts, profile.label or "the hub's population profile")
    return {"routing": routing_counts(session, period.end), "population": population}


def _store(
    session: Session, period: Period, protected: ProtectedRelease, created: datetime
) -> StoredRelease:
    disclosure = protected.body["disclosure"]
    release = StoredRelease(
        period_start=period.start,
        period_end=period.end,
        created_at=created,
        body=canonical_json(protected.body).decode("utf-8"),
        decisions=json.dumps([asdict(decision) for decision in protected.decisions]),
        mechanism=disclosure["mechanism"],
        epsilon=disclosure["epsilon"],
    )
    session.add(release)
    session.flush()
    return release


def build_summary(
    session: Session, period: Period, config: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The period's `summary/1` body: its stored release, prepared first if need be."""
    return prepare_release(session, period, config).summary_body()
