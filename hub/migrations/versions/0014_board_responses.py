"""Board responses: the verified versions of the board's answers, rejected statements, notices.

- `board_response_versions`: every board statement that verified (signature
  by the pinned log key, chain, inclusion), with its exact envelope.
- `board_rejections`: log indices the hub did not store, and why.
- `board_notices`: which resident account was emailed about which version.
- `alarms.kind` may also be `board-statement` (a statement the log served
  did not verify): the CHECK constraint is rebuilt (a table copy on SQLite).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OLD_KINDS = ("log-inconsistent", "entry-mismatch", "sequence-conflict", "delivery")
NEW_KINDS = (*OLD_KINDS, "board-statement")


def _alarm_kinds(kinds: tuple[str, ...]) -> None:
    with op.batch_alter_table("alarms") as batch:
        batch.drop_constraint(op.f("ck_alarms_alarm_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_alarms_alarm_kind"), sa.column("kind").in_(kinds))


def upgrade() -> None:
    op.create_table(
        "board_response_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("theme", sa.String(length=60), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("meeting", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(length=30), nullable=False),
        sa.Column("progress", sa.String(length=20), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("commitment", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("update", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("verified_checkpoint_size", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_response_versions")),
        sa.UniqueConstraint("log_index", name=op.f("uq_board_response_versions_log_index")),
        sa.UniqueConstraint(
            "response_id", "version", name=op.f("uq_board_response_versions_response_id_version")
        ),
    )
    op.create_index(
        op.f("ix_board_response_versions_response_id"), "board_response_versions", ["response_id"]
    )
    op.create_index(op.f("ix_board_response_versions_theme"), "board_response_versions", ["theme"])
    op.create_table(
        "board_rejections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=True),
        sa.Column("rejected_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarms.id"], name=op.f("fk_board_rejections_alarm_id_alarms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_rejections")),
        sa.UniqueConstraint("log_index", name=op.f("uq_board_rejections_log_index")),
    )
    op.create_index(op.f("ix_board_rejections_response_id"), "board_rejections", ["response_id"])
    op.create_table(
        "board_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["resident_accounts.id"],
            name=op.f("fk_board_notices_account_id_resident_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_notices")),
        sa.UniqueConstraint(
            "account_id",
            "response_id",
            "version",
            name=op.f("uq_board_notices_account_id_response_id_version"),
        ),
    )
    op.create_index(op.f("ix_board_notices_account_id"), "board_notices", ["account_id"])
    _alarm_kinds(NEW_KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM board_rejections")
    op.execute("DELETE FROM alarms WHERE kind = 'board-statement'")
    _alarm_kinds(OLD_KINDS)
    op.drop_index(op.f("ix_board_notices_account_id"), table_name="board_notices")
    op.drop_table("board_notices")
    op.drop_index(op.f("ix_board_rejections_response_id"), table_name="board_rejections")
    op.drop_table("board_rejections")
    op.drop_index(op.f("ix_board_response_versions_theme"), table_name="board_response_versions")
    op.drop_index(
        op.f("ix_board_response_versions_response_id"), table_name="board_response_versions"
    )
    op.drop_table("board_response_versions")
