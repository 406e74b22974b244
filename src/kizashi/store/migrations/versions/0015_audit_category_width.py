"""audit_event.category holds every data category a page reads

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 20:50:00

A business page's read event names the categories it read, comma-separated. With the money
(口座, 請求書) and qualitative categories the list no longer fits 32 characters, and the read log
split one page into several events. 200 characters hold every category joined, so a page is one
event again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.alter_column("category", existing_type=sa.String(32), type_=sa.String(200))


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.alter_column("category", existing_type=sa.String(200), type_=sa.String(32))
