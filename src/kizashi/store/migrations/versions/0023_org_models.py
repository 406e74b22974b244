"""risk models per organisation (reserved slot, helper R3)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
