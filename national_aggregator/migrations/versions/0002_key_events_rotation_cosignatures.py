"""Key events as log leaves, key rotation and expiry, witness cosignatures.

Adds `key_event` (registry changes signed by the log key, each a log leaf),
`log_leaf.key_event_id` and the `key-event` leaf kind, `hub_key.added_via`,
`log_index` and `expires_at` (rotation), `cosignature`, and lets
`submission.disclosure_k` be null (a key rotation publishes no counts).

Keys registered before this revision keep `log_index` null: no key event was
logged for them, and none can be made here, because only the running
aggregator holds the log key. The first key of each hub is marked
`registration`, any later one `operator`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def _sqlite_foreign_keys_off() -> None:
    """Let batch mode rebuild tables that other tables refer to (SQLite only).

    SQLite alters a table by copying it, dropping the old one and renaming the
    copy; with foreign keys enforced, dropping `submission` or `hub_key` would
    fail for every row that refers to them. The pragma takes effect here
    because no row has been written yet on this connection (the sqlite3 driver
    opens its transaction at the first write); `_sqlite_check_foreign_keys`
    checks every reference afterwards.
    """
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA foreign_keys=OFF")


def _sqlite_check_foreign_keys() -> None:
    if op.get_bind().dialect.name == "sqlite":
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration 0002 left broken foreign keys: {broken[:5]}")


def upgrade() -> None:
    _sqlite_foreign_keys_off()
    op.create_table(
        "key_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "event",
            _enum("key_event_kind", "hub-registered", "key-added", "key-revoked", "hub-revoked"),
            nullable=False,
        ),
        sa.Column("hub_gss", sa.String(length=9), nullable=False),
        sa.Column("keyid", sa.String(length=43), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["hub_gss"], ["hub.gss"], name=op.f("fk_key_event_hub_gss_hub")),
        sa.ForeignKeyConstraint(
            ["keyid"], ["hub_key.keyid"], name=op.f("fk_key_event_keyid_hub_key")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_event")),
    )
    op.create_index(op.f("ix_key_event_hub_gss"), "key_event", ["hub_gss"], unique=False)

    with op.batch_alter_table("hub_key") as batch:
        batch.add_column(
            sa.Column(
                "added_via",
                _enum("key_origin", "registration", "operator", "rotation"),
                nullable=False,
                server_default="operator",
            )
        )
        batch.add_column(sa.Column("log_index", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE hub_key SET added_via = 'registration' WHERE added_at = "
        "(SELECT MIN(first.added_at) FROM hub_key AS first WHERE first.hub_gss = hub_key.hub_gss)"
    )
    with op.batch_alter_table("hub_key") as batch:
        batch.alter_column("added_via", server_default=None)

    with op.batch_alter_table("log_leaf") as batch:
        batch.drop_constraint(op.f("ck_log_leaf_log_leaf_kind"), type_="check")
        batch.create_check_constraint("log_leaf_kind", "kind IN ('statement', 'key-event')")
        batch.add_column(sa.Column("key_event_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_log_leaf_key_event_id_key_event"), "key_event", ["key_event_id"], ["id"]
        )
        batch.create_unique_constraint(op.f("uq_log_leaf_key_event_id"), ["key_event_id"])

    with op.batch_alter_table("submission") as batch:
        batch.alter_column("disclosure_k", existing_type=sa.Integer(), nullable=True)

    op.create_table(
        "cosignature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_size", sa.Integer(), nullable=False),
        sa.Column("witness_gss", sa.String(length=9), nullable=False),
        sa.Column("keyid", sa.String(length=43), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_size"],
            ["log_checkpoint.size"],
            name=op.f("fk_cosignature_checkpoint_size_log_checkpoint"),
        ),
        sa.ForeignKeyConstraint(
            ["keyid"], ["hub_key.keyid"], name=op.f("fk_cosignature_keyid_hub_key")
        ),
        sa.ForeignKeyConstraint(
            ["witness_gss"], ["hub.gss"], name=op.f("fk_cosignature_witness_gss_hub")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cosignature")),
        sa.UniqueConstraint(
            "checkpoint_size", "keyid", name=op.f("uq_cosignature_checkpoint_size_keyid")
        ),
    )
    _sqlite_check_foreign_keys()


def downgrade() -> None:
    # A log only grows: leaves 0001 cannot hold (key events, rotations) cannot be dropped
    # without breaking every proof and checkpoint already given out.
    connection = op.get_bind()
    kept = connection.scalar(
        sa.text(
            "SELECT (SELECT COUNT(*) FROM key_event) "
            "+ (SELECT COUNT(*) FROM submission WHERE disclosure_k IS NULL)"
        )
    )
    if kept:
        raise RuntimeError(
            "cannot downgrade below 0002: the log holds key events or key rotations that "
            "revision 0001 cannot represent; restore a backup taken before the upgrade instead"
        )
    _sqlite_foreign_keys_off()
    op.drop_table("cosignature")
    with op.batch_alter_table("submission") as batch:
        batch.alter_column("disclosure_k", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("log_leaf") as batch:
        batch.drop_constraint(op.f("uq_log_leaf_key_event_id"), type_="unique")
        batch.drop_constraint(op.f("fk_log_leaf_key_event_id_key_event"), type_="foreignkey")
        batch.drop_column("key_event_id")
        batch.drop_constraint(op.f("ck_log_leaf_log_leaf_kind"), type_="check")
        batch.create_check_constraint("log_leaf_kind", "kind IN ('statement')")
    with op.batch_alter_table("hub_key") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("log_index")
        batch.drop_constraint(op.f("ck_hub_key_key_origin"), type_="check")
        batch.drop_column("added_via")
    op.drop_index(op.f("ix_key_event_hub_gss"), table_name="key_event")
    op.drop_table("key_event")
    _sqlite_check_foreign_keys()
