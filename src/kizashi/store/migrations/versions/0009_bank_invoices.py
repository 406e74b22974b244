"""bank accounts, transactions, invoices, counterparties and open items

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Reserved slot in the chain; the tables arrive with the feature that owns this revision.
    pass


def downgrade() -> None:
    pass
