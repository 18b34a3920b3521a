"""Log audit: verified and cosigned checkpoints, alarms, and each delivered entry's log index.

`outbox_entries.log_index` is filled from the receipts already stored, so the
first contact after upgrading checks every statement delivered before it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ALARM_KINDS = ("log-inconsistent", "entry-mismatch", "sequence-conflict", "delivery")

outbox = sa.table(
    "outbox_entries",
    sa.column("seq", sa.Integer),
    sa.column("receipt", sa.Text),
    sa.column("log_index", sa.Integer),
)


def upgrade() -> None:
    op.create_table(
        "verified_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signed", sa.LargeBinary(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verified_checkpoints")),
    )
    op.create_index(
        op.f("ix_verified_checkpoints_size"), "verified_checkpoints", ["size"], unique=False
    )
    op.create_table(
        "cosigned_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signed", sa.LargeBinary(), nullable=False),
        sa.Column("keyid", sa.String(length=43), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("cosigned_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cosigned_checkpoints")),
        sa.UniqueConstraint("size", name=op.f("uq_cosigned_checkpoints_size")),
    )
    op.create_table(
        "alarms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                *ALARM_KINDS,
                name="alarm_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("restarted_at_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["restarted_at_id"],
            ["verified_checkpoints.id"],
            name=op.f("fk_alarms_restarted_at_id_verified_checkpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
    )
    op.create_index(op.f("ix_alarms_kind"), "alarms", ["kind"], unique=False)
    with op.batch_alter_table("outbox_entries") as batch:
        batch.add_column(sa.Column("log_index", sa.Integer(), nullable=True))
        batch.create_index(op.f("ix_outbox_entries_log_index"), ["log_index"], unique=False)
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(outbox.c.seq, outbox.c.receipt).where(outbox.c.receipt.is_not(None))
    ).all()
    for seq, receipt in rows:
        try:
            index = json.loads(receipt).get("log_index")
        except (ValueError, AttributeError):
            continue
        if isinstance(index, int) and not isinstance(index, bool):
            connection.execute(outbox.update().where(outbox.c.seq == seq).values(log_index=index))


def downgrade() -> None:
    with op.batch_alter_table("outbox_entries") as batch:
        batch.drop_index(op.f("ix_outbox_entries_log_index"))
        batch.drop_column("log_index")
    op.drop_index(op.f("ix_alarms_kind"), table_name="alarms")
    op.drop_table("alarms")
    op.drop_table("cosigned_checkpoints")
    op.drop_index(op.f("ix_verified_checkpoints_size"), table_name="verified_checkpoints")
    op.drop_table("verified_checkpoints")
