"""Residents' private links, optional accounts (sign-ins, emailed tokens), follows; the mail outbox.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TOKEN_PURPOSES = ("confirm", "reset")


def _value_enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "private_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_private_links_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_private_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_private_links_token_hash")),
    )
    op.create_index(op.f("ix_private_links_participant_id"), "private_links", ["participant_id"])
    op.create_table(
        "resident_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("participant_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("last_sign_in_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_resident_accounts_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_resident_accounts_email")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_resident_accounts_participant_id")),
    )
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("purpose", _value_enum(TOKEN_PURPOSES, "token_purpose"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["resident_accounts.id"],
            name=op.f("fk_account_tokens_account_id_resident_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_account_tokens_account_id"), "account_tokens", ["account_id"], unique=False
    )
    op.create_table(
        "account_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["resident_accounts.id"],
            name=op.f("fk_account_sessions_account_id_resident_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_account_sessions_account_id"), "account_sessions", ["account_id"], unique=False
    )
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["resident_accounts.id"],
            name=op.f("fk_follows_account_id_resident_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_follows_contribution_id_contributions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint(
            "account_id", "contribution_id", name=op.f("uq_follows_account_id_contribution_id")
        ),
    )
    for column in ("account_id", "contribution_id"):
        op.create_index(op.f(f"ix_follows_{column}"), "follows", [column], unique=False)
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
    )
    for column in ("recipient", "next_attempt_at", "sent_at"):
        op.create_index(op.f(f"ix_mail_outbox_{column}"), "mail_outbox", [column], unique=False)


def downgrade() -> None:
    for column in ("recipient", "next_attempt_at", "sent_at"):
        op.drop_index(op.f(f"ix_mail_outbox_{column}"), table_name="mail_outbox")
    op.drop_table("mail_outbox")
    for column in ("account_id", "contribution_id"):
        op.drop_index(op.f(f"ix_follows_{column}"), table_name="follows")
    op.drop_table("follows")
    op.drop_index(op.f("ix_account_sessions_account_id"), table_name="account_sessions")
    op.drop_table("account_sessions")
    op.drop_index(op.f("ix_account_tokens_account_id"), table_name="account_tokens")
    op.drop_table("account_tokens")
    op.drop_table("resident_accounts")
    op.drop_table("private_links")
