"""business plans with versions, targets and actions; accountant's monitoring reports

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Reserved slot in the chain; the tables arrive with the feature that owns this revision.
    pass


def downgrade() -> None:
    pass
