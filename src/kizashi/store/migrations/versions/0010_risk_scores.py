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
    # Decided (issue 15): no table. Scores for a whole portfolio (1.5M businesses a month) live
    # in the analytics file (store/risk_scores.py: risk_scores, risk_peer_stats, each row with
    # its model version); model versions are files in the data directory (model/registry.py);
    # training and activation are audit events. The revision stays so the chain is unbroken.
    pass


def downgrade() -> None:
    pass
