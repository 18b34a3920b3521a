"""Indexes for the priorities over periods made of several summaries.

Adds `ix_submission_kind_period` on `submission (kind, period_start,
period_end, hub_gss, seq)`: the period selector's `SELECT DISTINCT
period_start, period_end ... WHERE kind = 'summary'` reads it alone instead of
every submission row, and the priorities find each hub's latest summary for
each period inside the one asked for with a range scan on it. Adds
`ix_submission_hub_period` on `submission (hub_gss, kind, period_start,
period_end)`: whether a hub has another summary whose period contains a
summary's (a quarter beside its months) is one short range scan. Indexes
only: no row changes; the downgrade drops them.

Revision ID: 0007
Revises: 0006
Create Date: 2027-03-08
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_submission_kind_period",
        "submission",
        ["kind", "period_start", "period_end", "hub_gss", "seq"],
        unique=False,
    )
    op.create_index(
        "ix_submission_hub_period",
        "submission",
        ["hub_gss", "kind", "period_start", "period_end"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_submission_hub_period", table_name="submission")
    op.drop_index("ix_submission_kind_period", table_name="submission")
