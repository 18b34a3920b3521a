"""Board responses: signed board statements, their log leaves, and pushes to hubs.

Adds `board_statement` (each version of a board response: the envelope the
log key signed, byte for byte, and columns copied out of it), the `board`
log leaf kind with `log_leaf.board_statement_id`, `hub.notify_url` (where a
hub wants a push when a board statement is logged) and `board_notification`
(the outbox of those pushes). Existing rows are untouched: no hub has a
notify URL until the operator sets one. The downgrade refuses to run while
any board leaf is in the log (dropping it would break the log), and
otherwise drops what the upgrade added.

Revision ID: 0006
Revises: 0005
Create Date: 2027-03-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _sqlite_foreign_keys_off() -> None:
    """Let batch mode rebuild `hub` and `log_leaf`, which other tables refer to (SQLite only).

    As in 0002: the pragma only takes effect before the first write on this
    connection, and `_sqlite_check_foreign_keys` checks every reference after.
    """
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA foreign_keys=OFF")


def _sqlite_check_foreign_keys() -> None:
    if op.get_bind().dialect.name == "sqlite":
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration 0006 left broken foreign keys: {broken[:5]}")


def upgrade() -> None:
    _sqlite_foreign_keys_off()
    op.create_table(
        "board_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("theme", sa.String(length=40), nullable=False),
        sa.Column("decision", sa.String(length=30), nullable=False),
        sa.Column("progress", sa.String(length=20), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("meeting", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_user.id"],
            name=op.f("fk_board_statement_recorded_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_statement")),
        sa.UniqueConstraint(
            "response_id", "version", name=op.f("uq_board_statement_response_id_version")
        ),
    )
    op.create_index(
        op.f("ix_board_statement_response_id"), "board_statement", ["response_id"], unique=False
    )
    with op.batch_alter_table("log_leaf") as batch:
        batch.drop_constraint(op.f("ck_log_leaf_log_leaf_kind"), type_="check")
        batch.create_check_constraint(
            "log_leaf_kind", "kind IN ('statement', 'key-event', 'board')"
        )
        batch.add_column(sa.Column("board_statement_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_log_leaf_board_statement_id_board_statement"),
            "board_statement",
            ["board_statement_id"],
            ["id"],
        )
        batch.create_unique_constraint(
            op.f("uq_log_leaf_board_statement_id"), ["board_statement_id"]
        )
    with op.batch_alter_table("hub") as batch:
        batch.add_column(sa.Column("notify_url", sa.String(length=500), nullable=True))
    op.create_table(
        "board_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_gss", sa.String(length=9), nullable=False),
        sa.Column("board_statement_id", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hub_gss"], ["hub.gss"], name=op.f("fk_board_notification_hub_gss_hub")
        ),
        sa.ForeignKeyConstraint(
            ["board_statement_id"],
            ["board_statement.id"],
            name=op.f("fk_board_notification_board_statement_id_board_statement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_notification")),
    )
    op.create_index(
        op.f("ix_board_notification_hub_gss"), "board_notification", ["hub_gss"], unique=False
    )
    op.create_index(
        op.f("ix_board_notification_delivered_at"),
        "board_notification",
        ["delivered_at"],
        unique=False,
    )
    _sqlite_check_foreign_keys()


def downgrade() -> None:
    board_leaves = op.get_bind().scalar(
        sa.text("SELECT COUNT(*) FROM log_leaf WHERE kind = 'board'")
    )
    if board_leaves:
        raise RuntimeError(
            f"the log holds {board_leaves} board statements: downgrading would break the log"
        )
    _sqlite_foreign_keys_off()
    op.drop_index(op.f("ix_board_notification_delivered_at"), table_name="board_notification")
    op.drop_index(op.f("ix_board_notification_hub_gss"), table_name="board_notification")
    op.drop_table("board_notification")
    with op.batch_alter_table("hub") as batch:
        batch.drop_column("notify_url")
    with op.batch_alter_table("log_leaf") as batch:
        batch.drop_constraint(op.f("uq_log_leaf_board_statement_id"), type_="unique")
        batch.drop_constraint(
            op.f("fk_log_leaf_board_statement_id_board_statement"), type_="foreignkey"
        )
        batch.drop_column("board_statement_id")
        batch.drop_constraint(op.f("ck_log_leaf_log_leaf_kind"), type_="check")
        batch.create_check_constraint("log_leaf_kind", "kind IN ('statement', 'key-event')")
    op.drop_index(op.f("ix_board_statement_response_id"), table_name="board_statement")
    op.drop_table("board_statement")
    _sqlite_check_foreign_keys()
