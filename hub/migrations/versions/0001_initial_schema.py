"""Initial schema: local themes, participants, contributions, supports, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

KINDS = ("idea", "concern", "question", "experience")
OUTBOX_STATUSES = ("pending", "delivered", "rejected")


def _value_enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "local_themes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("national_code", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_themes")),
        sa.UniqueConstraint("slug", name=op.f("uq_local_themes_slug")),
    )
    op.create_index(
        op.f("ix_local_themes_national_code"), "local_themes", ["national_code"], unique=False
    )
    op.create_table(
        "participants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participants")),
    )
    op.create_table(
        "contributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=32), nullable=False),
        sa.Column("kind", _value_enum(KINDS, "contribution_kind"), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_contributions_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["local_themes.id"], name=op.f("fk_contributions_theme_id_local_themes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contributions")),
    )
    for column in ("participant_id", "theme_id", "created_at"):
        op.create_index(op.f(f"ix_contributions_{column}"), "contributions", [column], unique=False)
    op.create_table(
        "supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_supports_contribution_id_contributions"),
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_supports_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supports")),
        sa.UniqueConstraint(
            "contribution_id",
            "participant_id",
            name=op.f("uq_supports_contribution_id_participant_id"),
        ),
    )
    for column in ("contribution_id", "participant_id", "created_at"):
        op.create_index(op.f(f"ix_supports_{column}"), "supports", [column], unique=False)
    op.create_table(
        "outbox_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=True),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("schema", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", _value_enum(OUTBOX_STATUSES, "outbox_status"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox_entries")),
        sa.UniqueConstraint(
            "schema",
            "period_start",
            "period_end",
            name=op.f("uq_outbox_entries_schema_period_start_period_end"),
        ),
        sa.UniqueConstraint("submission_id", name=op.f("uq_outbox_entries_submission_id")),
    )


def downgrade() -> None:
    op.drop_table("outbox_entries")
    op.drop_table("supports")
    op.drop_table("contributions")
    op.drop_table("participants")
    op.drop_table("local_themes")
