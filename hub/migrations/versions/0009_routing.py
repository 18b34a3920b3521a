"""Triage and routing: local organisations, who answers for them, each item's routing.

- `organisations`: council departments, ICBs, NHS trusts, GP practices,
  Healthwatch and others, with their ODS code where they have one.
- `organisation_staff`: a staff member (a responder) scoped to one organisation.
  A table of its own, not a column on `staff_users`: adding a foreign-key
  column needs a batch rebuild on SQLite, which would break the foreign keys
  other tables hold to `staff_users` (see 0008).
- `routings`: one row per triaged item (national, or local with an
  organisation, deadline and, later, the response and its outcome).

New tables only, so upgrade and downgrade are plain CREATE and DROP on SQLite
and PostgreSQL alike.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ORGANISATION_KINDS = (
    "council-department",
    "icb",
    "nhs-trust",
    "gp-practice",
    "healthwatch",
    "other",
)
DECISIONS = ("national", "local")
OUTCOMES = ("responded", "change-planned", "change-made", "closed")


def _value_enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def _staff_fk(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["staff_users.id"], name=op.f(f"fk_routings_{column}_staff_users")
    )


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("kind", _value_enum(ORGANISATION_KINDS, "organisation_kind"), nullable=False),
        sa.Column("ods_code", sa.String(length=9), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
        sa.UniqueConstraint("ods_code", name=op.f("uq_organisations_ods_code")),
    )
    op.create_table(
        "organisation_staff",
        sa.Column("staff_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_organisation_staff_staff_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_staff_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_organisation_staff")),
    )
    op.create_index(
        op.f("ix_organisation_staff_organisation_id"),
        "organisation_staff",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "routings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("decision", _value_enum(DECISIONS, "routing_decision"), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("responder_id", sa.Integer(), nullable=True),
        sa.Column("routed_at", sa.DateTime(), nullable=False),
        sa.Column("routed_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.Column("responded_on", sa.Date(), nullable=True),
        sa.Column("responded_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", _value_enum(OUTCOMES, "routing_outcome"), nullable=True),
        sa.Column("change_description", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("routed_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "decision = 'national' OR (organisation_id IS NOT NULL AND deadline IS NOT NULL)",
            name=op.f("ck_routings_local_has_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_routings_contribution_id_contributions"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_routings_organisation_id_organisations"),
        ),
        _staff_fk("responder_id"),
        _staff_fk("responded_by_id"),
        _staff_fk("routed_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routings")),
        sa.UniqueConstraint("contribution_id", name=op.f("uq_routings_contribution_id")),
    )
    for column in ("organisation_id", "responder_id", "deadline"):
        op.create_index(op.f(f"ix_routings_{column}"), "routings", [column], unique=False)


def downgrade() -> None:
    for column in ("deadline", "responder_id", "organisation_id"):
        op.drop_index(op.f(f"ix_routings_{column}"), table_name="routings")
    op.drop_table("routings")
    op.drop_index(op.f("ix_organisation_staff_organisation_id"), table_name="organisation_staff")
    op.drop_table("organisation_staff")
    op.drop_table("organisations")
