"""risk model versions and scores

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Reserved slot in the chain; the tables arrive with the feature that owns this revision.
    pass


def downgrade() -> None:
    pass
