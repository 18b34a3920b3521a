"""Accepted submissions, the cells denormalised from them, and equivocation evidence.

A submission keeps its envelope exactly as received (the bytes the hub
signed and the log hashed) and the receipt exactly as first sent, so a hub
that resends the same bytes gets the same receipt back, byte for byte.

The summary's published cells are copied out into tables SQL can sum: the
theme cells (`SummaryTheme`), the one-way breakdown cells
(`SummaryBreakdownCell`), the breakdown tables a hub withheld
(`SummaryWithheldTable`) and the consented quotes (`SummaryQuote`). They are
derived data: the envelope holds all of it, which is how migration 0003 fills
them for summaries accepted before it.

The two optional blocks of `summary/1` are copied out the same way:
`SummaryRepresentation` (one row per group of the `representation` block;
a summary sent with `representation` null or absent, a hub without a
population profile, has none) and `SummaryRouting` with its
`SummaryRoutingType` rows (the `routing` block). Migration 0004 fills them
for summaries accepted before it. Decimals stay the strings the hub signed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from national_aggregator.db import Base, UTCDateTime


class Submission(Base):
    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("hub_gss", "seq"),  # two racing requests cannot both take one seq
        Index("ix_submission_period", "period_start", "period_end", "hub_gss"),
        # The period selector and the priorities' summaries inside a period (migration 0007).
        Index("ix_submission_kind_period", "kind", "period_start", "period_end", "hub_gss", "seq"),
        Index("ix_submission_hub_period", "hub_gss", "kind", "period_start", "period_end"),
    )

    submission_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hub_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"))
    seq: Mapped[int]
    keyid: Mapped[str] = mapped_column(ForeignKey("hub_key.keyid"))
    kind: Mapped[str] = mapped_column(String(40))
    schema: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    created: Mapped[datetime] = mapped_column(UTCDateTime)  # the hub's clock, as signed
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Suppressed cells hide 1..k-1 people; a hub may declare a stricter k than the default 8.
    # None for statements that publish no counts (key rotations).
    disclosure_k: Mapped[int | None]
    # How the counts were protected: "none" (suppression and rounding only) or "geometric"
    # (differential privacy, then suppression and rounding), and the epsilon this release
    # spent, as the decimal string the hub signed. Both None for key rotations.
    mechanism: Mapped[str | None] = mapped_column(String(20))
    epsilon: Mapped[str | None] = mapped_column(String(40))
    payload_sha256: Mapped[str] = mapped_column(String(64))  # what the next `prev` must be
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    receipt: Mapped[bytes] = mapped_column(LargeBinary)


class SummaryTheme(Base):
    """One theme's published cells from one summary: what the priorities query sums."""

    __tablename__ = "summary_theme"
    __table_args__ = (Index("ix_summary_theme_period", "period_start", "period_end"),)

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submission.submission_id"), primary_key=True
    )
    theme_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    hub_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    people_value: Mapped[int | None]  # None when suppressed
    people_suppressed: Mapped[bool]
    contributors_value: Mapped[int | None]
    contributors_suppressed: Mapped[bool]
    supporters_value: Mapped[int | None]
    supporters_suppressed: Mapped[bool]
    # Items raised (each person's count capped). Both None for rows written before
    # migration 0003, whose summaries had no contributions cell.
    contributions_value: Mapped[int | None]
    contributions_suppressed: Mapped[bool | None]


class SummaryBreakdownCell(Base):
    """One published cell of a one-way breakdown: people in `scope` with one category.

    `scope` is "all" (the hub's participants) or a national theme code; one
    characteristic at a time, never a cross-tabulation (the schema has no
    place for one).
    """

    __tablename__ = "summary_breakdown_cell"
    __table_args__ = (Index("ix_summary_breakdown_cell_period", "period_start", "period_end"),)

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submission.submission_id"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(String(60), primary_key=True)
    characteristic: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    hub_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[int | None]  # None when suppressed
    suppressed: Mapped[bool]


class SummaryWithheldTable(Base):
    """A breakdown the hub did not publish at all.

    Deliberately no reason: the release says only that the table is withheld
    (too few people, everyone in one group, or no safe suppression pattern
    are told apart only in the hub's own preview), since the reason itself
    can narrow down the hidden numbers.
    """

    __tablename__ = "summary_withheld_table"

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submission.submission_id"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(String(60), primary_key=True)
    characteristic: Mapped[str] = mapped_column(String(40), primary_key=True)
    hub_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)


class SummaryQuote(Base):
    """A consented, scrubbed, twice-reviewed quote, with its theme and nothing about its author.

    The period is the release's, not the quote's: a quote carries no date.
    """

    __tablename__ = "summary_quote"
    __table_args__ = (Index("ix_summary_quote_period", "period_start", "period_end"),)

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submission.submission_id"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # in `quotes`
    hub_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    theme_code: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)


class SummaryRepresentation(Base):
    """One group of a summary's `representation` block (federation/disclosure/representation.py).

    `ratio`, `lower` and `upper` are the signed decimal strings (four places),
    None where the block has null; `population_share` is the signed share (six
    places) from the block's `shares`.
    """

    __tablename__ = "summary_representation"
    __table_args__ = (Index("ix_summary_representation_period", "period_start", "period_end"),)

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submission.submission_id"), primary_key=True
    )
    characteristic: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    hub_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    population_share: Mapped[str] = mapped_column(String(20))
    ratio: Mapped[str | None] = mapped_column(String(20))
    lower: Mapped[str | None] = mapped_column(String(20))
    upper: Mapped[str | None] = mapped_column(String(20))
    flag: Mapped[str] = mapped_column(String(40))


class SummaryRouting(Base):
    """A summary's `routing` block, apart from its rows by organisation type.

    The window is the 365 days ending on the period's last day; `national`
    counts items triaged as national candidates in it.
    """

    __tablename__ = "summary_routing"
    __table_args__ = (Index("ix_summary_routing_period", "period_start", "period_end"),)

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submission.submission_id"), primary_key=True
    )
    hub_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    national_value: Mapped[int | None]  # None when suppressed
    national_suppressed: Mapped[bool]


class SummaryRoutingType(Base):
    """One organisation type's published routing cells (items and answers, not people)."""

    __tablename__ = "summary_routing_type"

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("summary_routing.submission_id"), primary_key=True
    )
    organisation_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    hub_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    routed_value: Mapped[int | None]
    routed_suppressed: Mapped[bool]
    responded_value: Mapped[int | None]
    responded_suppressed: Mapped[bool]
    late_value: Mapped[int | None]
    late_suppressed: Mapped[bool]
    changes_value: Mapped[int | None]
    changes_suppressed: Mapped[bool]
    response_rate: Mapped[str | None] = mapped_column(String(10))  # "0.75", as signed
    median_working_days: Mapped[str | None] = mapped_column(String(10))  # "6.5", as signed


class Equivocation(Base):
    """A validly signed statement that reuses an accepted `seq` with different bytes.

    Kept as evidence that the hub (or someone holding its key) signed two
    different histories; the only thing the aggregator stores from a refusal.
    """

    __tablename__ = "equivocation"
    __table_args__ = (UniqueConstraint("hub_gss", "envelope_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"))
    seq: Mapped[int]
    accepted_submission_id: Mapped[str] = mapped_column(ForeignKey("submission.submission_id"))
    envelope_sha256: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
