"""Registry, ingest and log: hubs and keys, submissions and their theme cells, the Merkle log.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub",
        sa.Column("gss", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("gss", name=op.f("pk_hub")),
    )
    op.create_table(
        "log_checkpoint",
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signed", sa.LargeBinary(), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_log_checkpoint")),
    )
    op.create_table(
        "log_node",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "index", name=op.f("pk_log_node")),
    )
    log_state = op.create_table(
        "log_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_state")),
    )
    # The single row every append locks; the log starts empty.
    op.bulk_insert(log_state, [{"id": 1, "size": 0}])
    op.create_table(
        "hub_key",
        sa.Column("keyid", sa.String(length=43), nullable=False),
        sa.Column("hub_gss", sa.String(length=9), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["hub_gss"], ["hub.gss"], name=op.f("fk_hub_key_hub_gss_hub")),
        sa.PrimaryKeyConstraint("keyid", name=op.f("pk_hub_key")),
    )
    op.create_index(op.f("ix_hub_key_hub_gss"), "hub_key", ["hub_gss"], unique=False)
    op.create_table(
        "submission",
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("hub_gss", sa.String(length=9), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("keyid", sa.String(length=43), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("schema", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("disclosure_k", sa.Integer(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("receipt", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["hub_gss"], ["hub.gss"], name=op.f("fk_submission_hub_gss_hub")),
        sa.ForeignKeyConstraint(
            ["keyid"], ["hub_key.keyid"], name=op.f("fk_submission_keyid_hub_key")
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_submission")),
        sa.UniqueConstraint("hub_gss", "seq", name=op.f("uq_submission_hub_gss_seq")),
    )
    op.create_index(
        "ix_submission_period",
        "submission",
        ["period_start", "period_end", "hub_gss"],
        unique=False,
    )
    op.create_table(
        "equivocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_gss", sa.String(length=9), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("accepted_submission_id", sa.String(length=36), nullable=False),
        sa.Column("envelope_sha256", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_submission_id"],
            ["submission.submission_id"],
            name=op.f("fk_equivocation_accepted_submission_id_submission"),
        ),
        sa.ForeignKeyConstraint(["hub_gss"], ["hub.gss"], name=op.f("fk_equivocation_hub_gss_hub")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equivocation")),
        sa.UniqueConstraint(
            "hub_gss", "envelope_sha256", name=op.f("uq_equivocation_hub_gss_envelope_sha256")
        ),
    )
    op.create_table(
        "log_leaf",
        sa.Column("index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "statement",
                name="log_leaf_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("submission_id", sa.String(length=36), nullable=True),
        sa.Column("appended_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.submission_id"],
            name=op.f("fk_log_leaf_submission_id_submission"),
        ),
        sa.PrimaryKeyConstraint("index", name=op.f("pk_log_leaf")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_log_leaf_submission_id")),
    )
    op.create_table(
        "summary_theme",
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("theme_code", sa.String(length=60), nullable=False),
        sa.Column("hub_gss", sa.String(length=9), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("people_value", sa.Integer(), nullable=True),
        sa.Column("people_suppressed", sa.Boolean(), nullable=False),
        sa.Column("contributors_value", sa.Integer(), nullable=True),
        sa.Column("contributors_suppressed", sa.Boolean(), nullable=False),
        sa.Column("supporters_value", sa.Integer(), nullable=True),
        sa.Column("supporters_suppressed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hub_gss"], ["hub.gss"], name=op.f("fk_summary_theme_hub_gss_hub")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.submission_id"],
            name=op.f("fk_summary_theme_submission_id_submission"),
        ),
        sa.PrimaryKeyConstraint("submission_id", "theme_code", name=op.f("pk_summary_theme")),
    )
    op.create_index(
        "ix_summary_theme_period", "summary_theme", ["period_start", "period_end"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_summary_theme_period", table_name="summary_theme")
    op.drop_table("summary_theme")
    op.drop_table("log_leaf")
    op.drop_table("equivocation")
    op.drop_index("ix_submission_period", table_name="submission")
    op.drop_table("submission")
    op.drop_index(op.f("ix_hub_key_hub_gss"), table_name="hub_key")
    op.drop_table("hub_key")
    op.drop_table("log_state")
    op.drop_table("log_node")
    op.drop_table("log_checkpoint")
    op.drop_table("hub")
