"""Disclosure control: "about you" answers, quote consent, cached releases, the privacy ledger.

Existing participants have answered nothing (NULL: published as not-stated)
and existing contributions carry no quote consent (false): consent is never
assumed for words written before the question was asked.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ABOUT_YOU = ("age_band", "ethnic_group", "disability", "unpaid_carer", "urban_rural")


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        for name in ABOUT_YOU:
            batch.add_column(sa.Column(name, sa.String(length=24), nullable=True))
    with op.batch_alter_table("contributions") as batch:
        batch.add_column(
            sa.Column("quote_consent", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("mechanism", sa.String(length=20), nullable=False),
        sa.Column("epsilon", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint(
            "period_start", "period_end", name=op.f("uq_releases_period_start_period_end")
        ),
    )
    op.create_table(
        "privacy_ledger",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("created", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("release", sa.String(length=21), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("epsilon", sa.String(length=40), nullable=False),
        sa.Column("mechanism", sa.String(length=20), nullable=False),
        sa.Column("sensitivity", sa.Integer(), nullable=False),
        sa.Column("cells", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_privacy_ledger_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_privacy_ledger")),
        sa.UniqueConstraint("release_id", name=op.f("uq_privacy_ledger_release_id")),
    )
    op.create_index(op.f("ix_privacy_ledger_year"), "privacy_ledger", ["year"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_privacy_ledger_year"), table_name="privacy_ledger")
    op.drop_table("privacy_ledger")
    op.drop_table("releases")
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL), not a batch copy-and-rename: on SQLite,
    # rebuilding `participants` would fail the foreign keys contributions hold to it.
    op.execute("ALTER TABLE contributions DROP COLUMN quote_consent")
    for name in reversed(ABOUT_YOU):
        op.execute(f"ALTER TABLE participants DROP COLUMN {name}")
