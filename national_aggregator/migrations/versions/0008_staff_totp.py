"""Two-step sign-in (TOTP) for the national team.

Adds three empty, nullable columns to `staff_user`: `totp_secret` (the shared
secret, encrypted with a key derived from SECRET_KEY), `totp_enabled_at`
(empty while a set-up is in progress) and `totp_last_step` (the 30-second
step of the last code accepted, so no code is accepted twice). Every existing
account keeps signing in with its password alone. The downgrade drops the
columns, and with them every enrolment.

Revision ID: 0008
Revises: 0007
Create Date: 2027-03-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TOTP_COLUMNS = ("totp_secret", "totp_enabled_at", "totp_last_step")


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite 3.35+ has both): no table copy, so the tables that
    # refer to staff_user are untouched.
    op.add_column("staff_user", sa.Column("totp_secret", sa.String(length=255), nullable=True))
    op.add_column("staff_user", sa.Column("totp_enabled_at", sa.DateTime(), nullable=True))
    op.add_column("staff_user", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for column in reversed(TOTP_COLUMNS):
        op.drop_column("staff_user", column)
