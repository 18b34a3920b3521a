"""Discover: the directory of existing participation.

- `directory_entries`: one row per group people can join (patient participation
  groups, Healthwatch, voluntary and community organisations, forums), keyed by
  its Open Referral UK service id (a UUID); wards, groups reached and topics as
  JSON text; who added and last changed it.

A new table only, so upgrade and downgrade are plain CREATE and DROP on SQLite
and PostgreSQL alike.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("how_to_join", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("ods_code", sa.String(length=9), nullable=True),
        sa.Column("wards", sa.Text(), nullable=False),
        sa.Column("reaches", sa.Text(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_directory_entries_created_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_users.id"],
            name=op.f("fk_directory_entries_updated_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_entries")),
    )
    op.create_index(
        op.f("ix_directory_entries_created_by_id"),
        "directory_entries",
        ["created_by_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_directory_entries_created_by_id"), table_name="directory_entries")
    op.drop_table("directory_entries")
