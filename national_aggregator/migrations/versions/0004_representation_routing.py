"""Representation and routing: the two optional blocks of `summary/1`, copied into tables.

Adds `summary_representation` (one row per group of a summary's
`representation` block: population share, ratio, interval and flag, as the
decimal strings the hub signed), `summary_routing` (the `routing` block's
window and national cell) and `summary_routing_type` (its cells by
organisation type).

Like 0003's tables these are copies of what the stored envelopes say, so the
upgrade fills them from the summaries already accepted (a body without the
blocks, or with `representation` null, gives no rows), and the downgrade
drops them without losing anything.

Revision ID: 0004
Revises: 0003
Create Date: 2027-02-01
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COUNTS = ("routed", "responded", "late", "changes")


def _place(table: str, submission_table: str = "submission") -> list[sa.schema.SchemaItem]:
    """Hub and period columns, the submission and hub foreign keys of a derived table."""
    return [
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("hub_gss", sa.String(length=9), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            [f"{submission_table}.submission_id"],
            name=op.f(f"fk_{table}_submission_id_{submission_table}"),
        ),
        sa.ForeignKeyConstraint(["hub_gss"], ["hub.gss"], name=op.f(f"fk_{table}_hub_gss_hub")),
    ]


def _cell(name: str) -> list[sa.Column[Any]]:
    return [
        sa.Column(f"{name}_value", sa.Integer(), nullable=True),
        sa.Column(f"{name}_suppressed", sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    representation = op.create_table(
        "summary_representation",
        *_place("summary_representation"),
        sa.Column("characteristic", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("population_share", sa.String(length=20), nullable=False),
        sa.Column("ratio", sa.String(length=20), nullable=True),
        sa.Column("lower", sa.String(length=20), nullable=True),
        sa.Column("upper", sa.String(length=20), nullable=True),
        sa.Column("flag", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint(
            "submission_id", "characteristic", "category",
            name=op.f("pk_summary_representation"),
        ),
    )  # fmt: skip
    op.create_index(
        "ix_summary_representation_period",
        "summary_representation",
        ["period_start", "period_end"],
        unique=False,
    )
    routing = op.create_table(
        "summary_routing",
        *_place("summary_routing"),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        *_cell("national"),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_summary_routing")),
    )
    op.create_index(
        "ix_summary_routing_period", "summary_routing", ["period_start", "period_end"], unique=False
    )
    by_type = op.create_table(
        "summary_routing_type",
        *_place("summary_routing_type", "summary_routing"),
        sa.Column("organisation_type", sa.String(length=40), nullable=False),
        *(column for name in COUNTS for column in _cell(name)),
        sa.Column("response_rate", sa.String(length=10), nullable=True),
        sa.Column("median_working_days", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint(
            "submission_id", "organisation_type", name=op.f("pk_summary_routing_type")
        ),
    )
    _fill_from_envelopes(representation, routing, by_type)


PLACE = ("submission_id", "hub_gss", "period_start", "period_end")


def _summaries() -> Iterator[tuple[Mapping[str, Any], dict[str, Any]]]:
    """Each accepted summary's place (submission, hub, period) and signed body."""
    submission = sa.table(
        "submission",
        sa.column("submission_id", sa.String()),
        sa.column("hub_gss", sa.String()),
        sa.column("period_start", sa.Date()),  # typed, so SQLite's text comes back as a date
        sa.column("period_end", sa.Date()),
        sa.column("envelope", sa.LargeBinary()),
        sa.column("kind", sa.String()),
    )
    rows = op.get_bind().execute(
        sa.select(*(submission.c[name] for name in (*PLACE, "envelope")))
        .where(submission.c.kind == "summary")
        .order_by(submission.c.submission_id)
    )
    for row in rows.mappings().all():  # all(): the inserts below use the same connection
        envelope = json.loads(bytes(row["envelope"]))
        statement = json.loads(base64.b64decode(envelope["payload"]))
        yield {key: row[key] for key in PLACE}, statement["body"]


def _cell_values(name: str, cell: Mapping[str, Any]) -> dict[str, Any]:
    return {f"{name}_value": cell["value"], f"{name}_suppressed": cell["suppressed"]}


def _fill_from_envelopes(representation: sa.Table, routing: sa.Table, by_type: sa.Table) -> None:
    connection = op.get_bind()
    for place, body in _summaries():
        block = body.get("representation")
        if block is not None:
            rows = [
                {**place, "characteristic": characteristic, "category": category,
                 "population_share": block["shares"][characteristic][category],
                 "ratio": figures["ratio"], "lower": figures["lower"],
                 "upper": figures["upper"], "flag": figures["flag"]}
                for characteristic, groups in block["groups"].items()
                for category, figures in groups.items()
            ]  # fmt: skip
            if rows:
                connection.execute(representation.insert(), rows)
        routed = body.get("routing")
        if routed is None:
            continue
        connection.execute(
            routing.insert(),
            {
                **place,
                "window_start": date.fromisoformat(routed["window"]["start"]),
                "window_end": date.fromisoformat(routed["window"]["end"]),
                **_cell_values("national", routed["national"]),
            },
        )
        type_rows = [
            {**place, "organisation_type": kind,
             **{k: v for name in COUNTS for k, v in _cell_values(name, row[name]).items()},
             "response_rate": row["response_rate"],
             "median_working_days": row["median_working_days"]}
            for kind, row in routed["by_organisation_type"].items()
        ]  # fmt: skip
        if type_rows:
            connection.execute(by_type.insert(), type_rows)


def downgrade() -> None:
    op.drop_table("summary_routing_type")
    op.drop_index("ix_summary_routing_period", table_name="summary_routing")
    op.drop_table("summary_routing")
    op.drop_index("ix_summary_representation_period", table_name="summary_representation")
    op.drop_table("summary_representation")
