"""referrals between organisations and what travels with them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Reserved slot in the chain; the tables arrive with the feature that owns this revision.
    pass


def downgrade() -> None:
    pass
