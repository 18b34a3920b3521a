"""Moderation of items and comments, the public timeline, reports, wards and raise drafts.

Existing items were shown the moment they were raised, so they become
published (stage "published", published when raised), with a "raised" and a
"published" event each so their timeline is not empty.

The new `contributions` columns are added with plain ALTER TABLE ADD COLUMN
(SQLite and PostgreSQL), not a batch copy-and-rename: on SQLite, rebuilding
`contributions` would fail the foreign keys that supports and quote
candidates hold to it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STATUSES = ("pending", "published", "rejected", "removed")
STAGES = (
    "raised",
    "published",
    "routed",
    "responded",
    "change-planned",
    "change-made",
    "closed",
)
CHANNELS = ("online", "paper", "phone", "event", "email")
NEW_COLUMNS = (
    "status",
    "stage",
    "ward_code",
    "channel",
    "hidden_at",
    "published_at",
    "updated_at",
    "rejection_value",
    "rejection_note",
)


def _value_enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def _check(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column(
        "contributions",
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
    )
    op.add_column(
        "contributions",
        sa.Column("stage", sa.String(length=20), server_default="raised", nullable=False),
    )
    op.add_column("contributions", sa.Column("ward_code", sa.String(length=9), nullable=True))
    op.add_column(
        "contributions",
        sa.Column("channel", sa.String(length=20), server_default="online", nullable=False),
    )
    for name in ("hidden_at", "published_at", "updated_at"):
        op.add_column("contributions", sa.Column(name, sa.DateTime(), nullable=True))
    op.add_column(
        "contributions", sa.Column("rejection_value", sa.String(length=40), nullable=True)
    )
    op.add_column("contributions", sa.Column("rejection_note", sa.Text(), nullable=True))
    if postgres:  # SQLite cannot add a constraint to an existing table without rebuilding it
        for column, values, name in (
            ("status", STATUSES, "moderation_status"),
            ("stage", STAGES, "contribution_stage"),
            ("channel", CHANNELS, "contribution_channel"),
        ):
            op.create_check_constraint(
                op.f(f"ck_contributions_{name}"), "contributions", _check(column, values)
            )
    op.create_index(op.f("ix_contributions_status"), "contributions", ["status"], unique=False)
    op.create_index(
        op.f("ix_contributions_ward_code"), "contributions", ["ward_code"], unique=False
    )

    op.create_table(
        "wards",
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_wards")),
    )
    op.create_table(
        "contribution_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("stage", _value_enum(STAGES, "contribution_stage"), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("public", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_contribution_events_contribution_id_contributions"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_contribution_events_staff_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_events")),
    )
    for column in ("contribution_id", "staff_id", "created_at"):
        op.create_index(
            op.f(f"ix_contribution_events_{column}"),
            "contribution_events",
            [column],
            unique=False,
        )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            _value_enum(STATUSES, "moderation_status"),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("hidden_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("rejection_value", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_comments_contribution_id_contributions"),
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_comments_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    for column in ("contribution_id", "participant_id", "status"):
        op.create_index(op.f(f"ix_comments_{column}"), "comments", [column], unique=False)
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("participant_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(contribution_id IS NULL) <> (comment_id IS NULL)",
            name=op.f("ck_reports_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_reports_contribution_id_contributions"),
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_reports_comment_id_comments")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_reports_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["staff_users.id"], name=op.f("fk_reports_resolved_by_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    for column in ("contribution_id", "comment_id", "participant_id"):
        op.create_index(op.f(f"ix_reports_{column}"), "reports", [column], unique=False)

    op.create_table(
        "raise_drafts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raise_drafts")),
    )
    op.create_index(
        op.f("ix_raise_drafts_updated_at"), "raise_drafts", ["updated_at"], unique=False
    )

    # Everything raised before moderation existed was already on show: it stays published.
    op.execute(
        "UPDATE contributions SET status = 'published', stage = 'published', "
        "published_at = created_at"
    )
    for kind in ("raised", "published"):
        op.execute(
            "INSERT INTO contribution_events "
            "(contribution_id, stage, kind, note, public, created_at) "
            f"SELECT id, '{kind}', '{kind}', NULL, {'true' if postgres else '1'}, created_at "
            "FROM contributions ORDER BY id"
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_raise_drafts_updated_at"), table_name="raise_drafts")
    op.drop_table("raise_drafts")
    for column in ("contribution_id", "comment_id", "participant_id"):
        op.drop_index(op.f(f"ix_reports_{column}"), table_name="reports")
    op.drop_table("reports")
    for column in ("contribution_id", "participant_id", "status"):
        op.drop_index(op.f(f"ix_comments_{column}"), table_name="comments")
    op.drop_table("comments")
    for column in ("contribution_id", "staff_id", "created_at"):
        op.drop_index(op.f(f"ix_contribution_events_{column}"), table_name="contribution_events")
    op.drop_table("contribution_events")
    op.drop_table("wards")
    op.drop_index(op.f("ix_contributions_ward_code"), table_name="contributions")
    op.drop_index(op.f("ix_contributions_status"), table_name="contributions")
    if op.get_bind().dialect.name == "postgresql":
        for name in ("moderation_status", "contribution_stage", "contribution_channel"):
            op.drop_constraint(op.f(f"ck_contributions_{name}"), "contributions", type_="check")
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL), as 0004 does, for the same reason.
    for name in reversed(NEW_COLUMNS):
        op.execute(f"ALTER TABLE contributions DROP COLUMN {name}")
