"""Staff accounts, sign-ins and audit log; consented quote candidates and their approvals.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ROLES = ("admin", "moderator", "facilitator", "responder")
QUOTE_STATUSES = ("proposed", "approved", "rejected", "withdrawn")


def _value_enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", _value_enum(ROLES, "staff_role"), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_users_email")),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_staff_sessions_staff_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_staff_sessions_staff_id"), "staff_sessions", ["staff_id"], unique=False
    )
    op.create_table(
        "staff_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_staff_actions_staff_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_actions")),
    )
    for column in ("at", "staff_id", "action"):
        op.create_index(op.f(f"ix_staff_actions_{column}"), "staff_actions", [column], unique=False)
    op.create_table(
        "quote_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", _value_enum(QUOTE_STATUSES, "quote_status"), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("edited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_quote_candidates_contribution_id_contributions"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["staff_users.id"],
            name=op.f("fk_quote_candidates_proposed_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["edited_by_id"],
            ["staff_users.id"],
            name=op.f("fk_quote_candidates_edited_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_candidates")),
        sa.UniqueConstraint("contribution_id", name=op.f("uq_quote_candidates_contribution_id")),
    )
    op.create_index(
        op.f("ix_quote_candidates_status"), "quote_candidates", ["status"], unique=False
    )
    op.create_table(
        "quote_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quote_candidates.id"],
            name=op.f("fk_quote_approvals_quote_id_quote_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_quote_approvals_staff_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_approvals")),
        sa.UniqueConstraint(
            "quote_id", "staff_id", name=op.f("uq_quote_approvals_quote_id_staff_id")
        ),
    )
    for column in ("quote_id", "staff_id"):
        op.create_index(
            op.f(f"ix_quote_approvals_{column}"), "quote_approvals", [column], unique=False
        )


def downgrade() -> None:
    for column in ("quote_id", "staff_id"):
        op.drop_index(op.f(f"ix_quote_approvals_{column}"), table_name="quote_approvals")
    op.drop_table("quote_approvals")
    op.drop_index(op.f("ix_quote_candidates_status"), table_name="quote_candidates")
    op.drop_table("quote_candidates")
    for column in ("at", "staff_id", "action"):
        op.drop_index(op.f(f"ix_staff_actions_{column}"), table_name="staff_actions")
    op.drop_table("staff_actions")
    op.drop_index(op.f("ix_staff_sessions_staff_id"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff_users")
