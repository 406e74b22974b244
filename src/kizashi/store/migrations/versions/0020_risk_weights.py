"""per-organisation risk weight in triage, and risk model training jobs

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_weight",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("score_pct", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_risk_weight_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_risk_weight_updated_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_risk_weight")),
    )
    op.create_table(
        "risk_model_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cutoff", sa.String(length=7), nullable=True),
        sa.Column("test_months", sa.Integer(), nullable=False),
        sa.Column("calibration", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_risk_model_job_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_risk_model_job_requested_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_model_job")),
    )
    with op.batch_alter_table("risk_model_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_model_job_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_model_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_model_job_status"))
    op.drop_table("risk_model_job")
    op.drop_table("risk_weight")
