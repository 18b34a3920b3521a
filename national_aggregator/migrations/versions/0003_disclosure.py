"""Disclosure control: breakdown cells, withheld tables, quotes, contributions, the mechanism.

Adds `summary_breakdown_cell` (one published cell of a one-way breakdown),
`summary_withheld_table` (a breakdown the hub withheld, with no reason),
`summary_quote` (a consented quote and its theme), the `contributions` cell
on `summary_theme`, and `submission.mechanism` and `submission.epsilon` (how
the release was protected, and the epsilon it spent).

These are all copies of what the stored envelopes say, so the upgrade fills
them from the envelopes of the summaries already accepted (before this
revision: mechanism "none", no contributions cell, no breakdowns or quotes),
and the downgrade may drop them without losing anything: an upgrade after it
fills them again, from the same bytes.

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-15
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _place(table: str) -> list[sa.SchemaItem]:
    """Hub and period columns, the submission and hub foreign keys of a derived table."""
    return [
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("hub_gss", sa.String(length=9), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.submission_id"],
            name=op.f(f"fk_{table}_submission_id_submission"),
        ),
        sa.ForeignKeyConstraint(["hub_gss"], ["hub.gss"], name=op.f(f"fk_{table}_hub_gss_hub")),
    ]


def _sqlite_foreign_keys_off() -> None:
    """Let batch mode rebuild `submission`, which other tables refer to (see 0002)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA foreign_keys=OFF")


def _sqlite_check_foreign_keys() -> None:
    if op.get_bind().dialect.name == "sqlite":
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration 0003 left broken foreign keys: {broken[:5]}")


def upgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("mechanism", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("epsilon", sa.String(length=40), nullable=True))
    with op.batch_alter_table("summary_theme") as batch:
        batch.add_column(sa.Column("contributions_value", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("contributions_suppressed", sa.Boolean(), nullable=True))
    cells = op.create_table(
        "summary_breakdown_cell",
        *_place("summary_breakdown_cell"),
        sa.Column("scope", sa.String(length=60), nullable=False),
        sa.Column("characteristic", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "submission_id", "scope", "characteristic", "category",
            name=op.f("pk_summary_breakdown_cell"),
        ),
    )  # fmt: skip
    op.create_index(
        "ix_summary_breakdown_cell_period",
        "summary_breakdown_cell",
        ["period_start", "period_end"],
        unique=False,
    )
    withheld = op.create_table(
        "summary_withheld_table",
        *_place("summary_withheld_table"),
        sa.Column("scope", sa.String(length=60), nullable=False),
        sa.Column("characteristic", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint(
            "submission_id", "scope", "characteristic", name=op.f("pk_summary_withheld_table")
        ),
    )
    quotes = op.create_table(
        "summary_quote",
        *_place("summary_quote"),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("theme_code", sa.String(length=60), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("submission_id", "position", name=op.f("pk_summary_quote")),
    )
    op.create_index(
        "ix_summary_quote_period", "summary_quote", ["period_start", "period_end"], unique=False
    )
    _fill_from_envelopes(cells, withheld, quotes)


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
    for row in rows.mappings():
        envelope = json.loads(bytes(row["envelope"]))
        statement = json.loads(base64.b64decode(envelope["payload"]))
        place = {key: row[key] for key in PLACE}
        yield place, statement["body"]


def _fill_from_envelopes(cells: sa.Table, withheld: sa.Table, quotes: sa.Table) -> None:
    connection = op.get_bind()
    for place, body in _summaries():
        disclosure = body["disclosure"]
        connection.execute(
            sa.text(
                "UPDATE submission SET mechanism = :mechanism, epsilon = :epsilon "
                "WHERE submission_id = :submission_id"
            ),
            {
                "mechanism": disclosure.get("mechanism", "none"),
                "epsilon": disclosure.get("epsilon"),
                "submission_id": place["submission_id"],
            },
        )
        for theme in body["themes"]:
            if "contributions" in theme:
                connection.execute(
                    sa.text(
                        "UPDATE summary_theme SET contributions_value = :value, "
                        "contributions_suppressed = :suppressed "
                        "WHERE submission_id = :submission_id AND theme_code = :code"
                    ),
                    {**theme["contributions"], "code": theme["code"], **place},
                )
        cell_rows, withheld_rows = [], []
        for scope, tables in body.get("breakdowns", {}).items():
            for characteristic, table in tables.items():
                if table.get("withheld"):
                    withheld_rows.append(
                        {**place, "scope": scope, "characteristic": characteristic}
                    )
                    continue
                cell_rows.extend(
                    {**place, "scope": scope, "characteristic": characteristic,
                     "category": category, **cell}
                    for category, cell in table["cells"].items()
                )  # fmt: skip
        quote_rows = [
            {**place, "position": position, "theme_code": quote["theme"], "text": quote["text"]}
            for position, quote in enumerate(body.get("quotes", []))
        ]
        for table, rows in ((cells, cell_rows), (withheld, withheld_rows), (quotes, quote_rows)):
            if rows:
                connection.execute(table.insert(), rows)


def downgrade() -> None:
    _sqlite_foreign_keys_off()
    op.drop_index("ix_summary_quote_period", table_name="summary_quote")
    op.drop_table("summary_quote")
    op.drop_table("summary_withheld_table")
    op.drop_index("ix_summary_breakdown_cell_period", table_name="summary_breakdown_cell")
    op.drop_table("summary_breakdown_cell")
    with op.batch_alter_table("summary_theme") as batch:
        batch.drop_column("contributions_suppressed")
        batch.drop_column("contributions_value")
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("epsilon")
        batch.drop_column("mechanism")
    _sqlite_check_foreign_keys()
