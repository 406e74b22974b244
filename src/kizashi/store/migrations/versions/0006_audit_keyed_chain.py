"""audit chain keyed with a secret outside the database

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No schema change: the key lives outside the database, and a row's scheme (keyed HMAC or
    # legacy SHA-256) is told apart by verifying it; `kizashi audit reseal` seals legacy rows.
    pass


def downgrade() -> None:
    pass
