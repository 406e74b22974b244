"""risk models per organisation: the version each organisation scores with

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_model_active",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_risk_model_active_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["activated_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_risk_model_active_activated_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_risk_model_active")),
    )


def downgrade() -> None:
    op.drop_table("risk_model_active")
