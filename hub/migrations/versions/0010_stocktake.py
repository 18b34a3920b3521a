"""Stocktake: agreed actions and their dated updates.

- `actions`: an agreed action (from an assembly, a routed item's planned
  change, or added by staff) with its named owner, optional organisation and
  routing (one action per routing), due date and current status.
- `action_updates`: dated notes on an action, each with the status it set.

New tables only, so upgrade and downgrade are plain CREATE and DROP on SQLite
and PostgreSQL alike.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SOURCES = ("assembly", "routing", "other")
STATUSES = ("planned", "in-progress", "done", "stalled")


def _value_enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", _value_enum(SOURCES, "action_source"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=160), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("routing_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", _value_enum(STATUSES, "action_status"), nullable=False),
        sa.Column("stalled_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_actions_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["routing_id"], ["routings.id"], name=op.f("fk_actions_routing_id_routings")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_actions_created_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
        sa.UniqueConstraint("routing_id", name=op.f("uq_actions_routing_id")),
    )
    op.create_index(
        op.f("ix_actions_organisation_id"), "actions", ["organisation_id"], unique=False
    )
    op.create_table(
        "action_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.Column("status", _value_enum(STATUSES, "action_status"), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["actions.id"], name=op.f("fk_action_updates_action_id_actions")
        ),
        sa.ForeignKeyConstraint(
            ["by_id"], ["staff_users.id"], name=op.f("fk_action_updates_by_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_updates")),
    )
    op.create_index(
        op.f("ix_action_updates_action_id"), "action_updates", ["action_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_action_updates_action_id"), table_name="action_updates")
    op.drop_table("action_updates")
    op.drop_index(op.f("ix_actions_organisation_id"), table_name="actions")
    op.drop_table("actions")
