"""officers' capacities and triage assignments

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_capacity",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("per_month", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_staff_capacity_user_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_staff_capacity_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_staff_capacity_updated_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_staff_capacity")),
    )
    with op.batch_alter_table("staff_capacity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_capacity_org_id"), ["org_id"], unique=False)
    op.create_table(
        "triage_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("officer_user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_triage_assignment_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_triage_assignment_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["officer_user_id"],
            ["user_account.id"],
            name=op.f("fk_triage_assignment_officer_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_triage_assignment_assigned_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_assignment")),
        sa.UniqueConstraint(
            "org_id", "business_id", "period", name=op.f("uq_triage_assignment_org_id")
        ),
    )
    with op.batch_alter_table("triage_assignment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_triage_assignment_officer", ["org_id", "officer_user_id", "period"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("triage_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_triage_assignment_officer")
    op.drop_table("triage_assignment")
    with op.batch_alter_table("staff_capacity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_capacity_org_id"))
    op.drop_table("staff_capacity")
