"""An outgoing email's one-click unsubscribe address (RFC 2369 and RFC 8058).

`mail_outbox.unsubscribe_url`: for an email about an item someone follows, the
item's unfollow link; the sender puts it in `List-Unsubscribe` with
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, so a mail program's
"Unsubscribe" button stops those emails without opening the hub. Empty for
every other email (account emails, staff links).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mail_outbox") as batch:
        batch.add_column(sa.Column("unsubscribe_url", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mail_outbox") as batch:
        batch.drop_column("unsubscribe_url")
