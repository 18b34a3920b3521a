"""Citizens' Jury and Assembly: shortlists, the jury's choice, meetings, replies, outcomes.

- `assembly_juries`: a jury's work (linked panel draw, the support period,
  the shortlist size, the day it chose).
- `assembly_shortlist`: the shortlisted items with rank, support in the
  period, and the jury's choice and reason.
- `assembly_meetings`, `assembly_agenda_items`: meetings and their agendas.
- `assembly_attendees`: panel members, senior managers and facilitators who
  attended.
- `assembly_replies`: senior managers' replies per agenda item and the panel
  members' confirmation.
- `assembly_outcomes`: Stocktake actions agreed at a meeting, per agenda item.

New tables only, so upgrade and downgrade are plain CREATE and DROP on SQLite
and PostgreSQL alike.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ATTENDEE_KINDS = ("panel-member", "senior-manager", "facilitator")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{referred}"))


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def _drop_index(table: str, *columns: str) -> None:
    for column in columns:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)


def upgrade() -> None:
    op.create_table(
        "assembly_juries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("shortlist_size", sa.Integer(), nullable=False),
        sa.Column("chosen_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        _fk("assembly_juries", "draw_id", "panel_draws.id"),
        _fk("assembly_juries", "created_by_id", "staff_users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assembly_juries")),
    )
    _index("assembly_juries", "draw_id")
    op.create_table(
        "assembly_shortlist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jury_id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("support", sa.Integer(), nullable=False),
        sa.Column("chosen", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _fk("assembly_shortlist", "jury_id", "assembly_juries.id"),
        _fk("assembly_shortlist", "contribution_id", "contributions.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assembly_shortlist")),
        sa.UniqueConstraint(
            "jury_id", "contribution_id", name=op.f("uq_assembly_shortlist_jury_id_contribution_id")
        ),
    )
    _index("assembly_shortlist", "jury_id", "contribution_id")
    op.create_table(
        "assembly_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("jury_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        _fk("assembly_meetings", "jury_id", "assembly_juries.id"),
        _fk("assembly_meetings", "created_by_id", "staff_users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assembly_meetings")),
    )
    _index("assembly_meetings", "jury_id")
    op.create_table(
        "assembly_agenda_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        _fk("assembly_agenda_items", "meeting_id", "assembly_meetings.id"),
        _fk("assembly_agenda_items", "contribution_id", "contributions.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assembly_agenda_items")),
    )
    _index("assembly_agenda_items", "meeting_id", "contribution_id")
    op.create_table(
        "assembly_attendees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                *ATTENDEE_KINDS,
                name="attendee_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("panel_member_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("role", sa.String(length=160), nullable=True),
        sa.Column("organisation", sa.String(length=160), nullable=True),
        _fk("assembly_attendees", "meeting_id", "assembly_meetings.id"),
        _fk("assembly_attendees", "panel_member_id", "panel_members.id"),
        _fk("assembly_attendees", "staff_id", "staff_users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assembly_attendees")),
        sa.UniqueConstraint(
            "meeting_id",
            "panel_member_id",
            name=op.f("uq_assembly_attendees_meeting_id_panel_member_id"),
        ),
        sa.UniqueConstraint(
            "meeting_id", "staff_id", name=op.f("uq_assembly_attendees_meeting_id_staff_id")
        ),
    )
    _index("assembly_attendees", "meeting_id")
    op.create_table(
        "assembly_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("agreed", sa.Integer(), nullable=True),
        sa.Column("disagreed", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        _fk("assembly_replies", "agenda_item_id", "assembly_agenda_items.id"),
        _fk("assembly_replies", "attendee_id", "assembly_attendees.id"),
        _fk("assembly_replies", "recorded_by_id", "staff_users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assembly_replies")),
    )
    _index("assembly_replies", "agenda_item_id", "attendee_id")
    op.create_table(
        "assembly_outcomes",
        sa.Column("action_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        _fk("assembly_outcomes", "action_id", "actions.id"),
        _fk("assembly_outcomes", "meeting_id", "assembly_meetings.id"),
        _fk("assembly_outcomes", "agenda_item_id", "assembly_agenda_items.id"),
        sa.PrimaryKeyConstraint("action_id", name=op.f("pk_assembly_outcomes")),
    )
    _index("assembly_outcomes", "meeting_id", "agenda_item_id")


def downgrade() -> None:
    _drop_index("assembly_outcomes", "agenda_item_id", "meeting_id")
    op.drop_table("assembly_outcomes")
    _drop_index("assembly_replies", "attendee_id", "agenda_item_id")
    op.drop_table("assembly_replies")
    _drop_index("assembly_attendees", "meeting_id")
    op.drop_table("assembly_attendees")
    _drop_index("assembly_agenda_items", "contribution_id", "meeting_id")
    op.drop_table("assembly_agenda_items")
    _drop_index("assembly_meetings", "jury_id")
    op.drop_table("assembly_meetings")
    _drop_index("assembly_shortlist", "contribution_id", "jury_id")
    op.drop_table("assembly_shortlist")
    _drop_index("assembly_juries", "draw_id")
    op.drop_table("assembly_juries")
