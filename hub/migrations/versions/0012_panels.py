"""Citizens' panels: the volunteer pool, fair draws and their members.

- `panel_volunteers`: residents who opted in, with a contact, their "about
  you" answers, ward, support needs, a hashed withdraw token and a public
  pseudonymous number ("V-0042").
- `panel_draws`: each draw's title, purpose, size, published seed, quotas,
  oversampling and published report (JSON as text).
- `panel_members`: who each draw chose, and its reserves.

New tables only, so upgrade and downgrade are plain CREATE and DROP on SQLite
and PostgreSQL alike.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

PURPOSES = ("jury", "assembly")
DRAW_STATUSES = ("drawn",)
ABOUT_YOU = ("age_band", "ethnic_group", "disability", "unpaid_carer", "urban_rural")


def _value_enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "panel_volunteers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        *(sa.Column(name, sa.String(length=24), nullable=True) for name in ABOUT_YOU),
        sa.Column("ward_code", sa.String(length=9), nullable=True),
        sa.Column("support_needs", sa.Text(), nullable=True),
        sa.Column("withdraw_token_hash", sa.String(length=64), nullable=True),
        sa.Column("consent_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "withdrawn_at IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL",
            name=op.f("ck_panel_volunteers_has_contact"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_volunteers")),
        sa.UniqueConstraint("number", name=op.f("uq_panel_volunteers_number")),
        sa.UniqueConstraint(
            "withdraw_token_hash", name=op.f("uq_panel_volunteers_withdraw_token_hash")
        ),
    )
    op.create_table(
        "panel_draws",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("purpose", _value_enum(PURPOSES, "panel_purpose"), nullable=False),
        sa.Column("panel_size", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=200), nullable=False),
        sa.Column("quotas", sa.Text(), nullable=False),
        sa.Column("oversample", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("status", _value_enum(DRAW_STATUSES, "panel_draw_status"), nullable=False),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("panel_size >= 1", name=op.f("ck_panel_draws_panel_size_positive")),
        sa.ForeignKeyConstraint(
            ["drawn_by_id"],
            ["staff_users.id"],
            name=op.f("fk_panel_draws_drawn_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_draws")),
    )
    op.create_table(
        "panel_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("reserve", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draw_id"], ["panel_draws.id"], name=op.f("fk_panel_members_draw_id_panel_draws")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["panel_volunteers.id"],
            name=op.f("fk_panel_members_volunteer_id_panel_volunteers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_members")),
        sa.UniqueConstraint(
            "draw_id", "volunteer_id", name=op.f("uq_panel_members_draw_id_volunteer_id")
        ),
    )
    for column in ("draw_id", "volunteer_id"):
        op.create_index(op.f(f"ix_panel_members_{column}"), "panel_members", [column], unique=False)


def downgrade() -> None:
    for column in ("volunteer_id", "draw_id"):
        op.drop_index(op.f(f"ix_panel_members_{column}"), table_name="panel_members")
    op.drop_table("panel_members")
    op.drop_table("panel_draws")
    op.drop_table("panel_volunteers")
