"""Seed one local theme per national theme (slug = code, name = national name).

A new hub can take contributions straight away; councils add their own local
themes on top (`hubnet hub themes add`). Reads the taxonomy version these rows
map onto (national/1) by name, so a later taxonomy cannot change this history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from federation.taxonomy import load_taxonomy

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TAXONOMY = "national/1"

local_themes = sa.table(
    "local_themes",
    sa.column("slug", sa.String),
    sa.column("name", sa.String),
    sa.column("national_code", sa.String),
)


def upgrade() -> None:
    themes = load_taxonomy(TAXONOMY).themes
    op.bulk_insert(
        local_themes,
        [{"slug": theme.code, "name": theme.name, "national_code": theme.code} for theme in themes],
    )


def downgrade() -> None:
    codes = list(load_taxonomy(TAXONOMY).codes)
    op.execute(
        local_themes.delete().where(
            local_themes.c.slug.in_(codes), local_themes.c.slug == local_themes.c.national_code
        )
    )
