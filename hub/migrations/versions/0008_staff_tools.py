"""Staff tools: two-step sign-in, set-password links, retired themes, item triage.

- `staff_users` gains the (encrypted) TOTP secret, when it was turned on, and
  the time step of the last code used.
- `staff_password_links`: one-time links to choose a password (hash only).
- `local_themes.retired_at`: a retired theme is no longer offered.
- `contribution_triage`: criticality and safeguarding escalation, staff only.

Columns are added with plain ALTER TABLE ADD COLUMN (no batch rebuild: on
SQLite, rebuilding `staff_users` or `local_themes` would break the foreign keys
other tables hold to them), and dropped with plain DROP COLUMN likewise.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CRITICALITY = ("low", "medium", "high")
TOTP_COLUMNS = ("totp_secret", "totp_enabled_at", "totp_last_step")


def _value_enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.add_column("staff_users", sa.Column("totp_secret", sa.String(length=255), nullable=True))
    op.add_column("staff_users", sa.Column("totp_enabled_at", sa.DateTime(), nullable=True))
    op.add_column("staff_users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column("local_themes", sa.Column("retired_at", sa.DateTime(), nullable=True))
    op.create_table(
        "staff_password_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_password_links_staff_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_password_links_created_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_password_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_password_links_token_hash")),
    )
    op.create_index(
        op.f("ix_staff_password_links_staff_id"),
        "staff_password_links",
        ["staff_id"],
        unique=False,
    )
    op.create_table(
        "contribution_triage",
        sa.Column("contribution_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("criticality", _value_enum(CRITICALITY, "criticality"), nullable=True),
        sa.Column("escalated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("escalation_note", sa.Text(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("escalated_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_contribution_triage_contribution_id_contributions"),
        ),
        sa.ForeignKeyConstraint(
            ["escalated_by_id"],
            ["staff_users.id"],
            name=op.f("fk_contribution_triage_escalated_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["staff_users.id"],
            name=op.f("fk_contribution_triage_closed_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("contribution_id", name=op.f("pk_contribution_triage")),
    )
    op.create_index(
        op.f("ix_contribution_triage_escalated"),
        "contribution_triage",
        ["escalated"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_contribution_triage_escalated"), table_name="contribution_triage")
    op.drop_table("contribution_triage")
    op.drop_index(op.f("ix_staff_password_links_staff_id"), table_name="staff_password_links")
    op.drop_table("staff_password_links")
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL), as 0004 and 0006 do: the columns carry
    # no constraints, and a batch rebuild would break the foreign keys held to these tables.
    op.execute("ALTER TABLE local_themes DROP COLUMN retired_at")
    for column in reversed(TOTP_COLUMNS):
        op.execute(f"ALTER TABLE staff_users DROP COLUMN {column}")
