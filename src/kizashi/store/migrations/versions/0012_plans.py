"""business plans with versions, targets and actions

Tables of ``store.plan_models``: ``business_plan``, ``plan_version`` (a new version never
overwrites one), ``plan_target`` (int yen per month or fiscal year) and ``plan_action``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "business_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_business_plan_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_business_plan_created_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_plan")),
    )
    op.create_index(
        op.f("ix_business_plan_business_id"), "business_plan", ["business_id"], unique=False
    )
    op.create_table(
        "plan_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("granularity", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_by_org_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["business_plan.id"], name=op.f("fk_plan_version_plan_id_business_plan")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_plan_version_created_by_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_org_id"],
            ["organisation.id"],
            name=op.f("fk_plan_version_created_by_org_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_version")),
        sa.UniqueConstraint("plan_id", "version", name=op.f("uq_plan_version_plan_id")),
    )
    op.create_index(op.f("ix_plan_version_plan_id"), "plan_version", ["plan_id"], unique=False)
    op.create_table(
        "plan_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("sales", sa.BigInteger(), nullable=True),
        sa.Column("gross_profit", sa.BigInteger(), nullable=True),
        sa.Column("operating_profit", sa.BigInteger(), nullable=True),
        sa.Column("cash", sa.BigInteger(), nullable=True),
        sa.Column("borrowings", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["plan_version.id"],
            name=op.f("fk_plan_target_version_id_plan_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_target")),
        sa.UniqueConstraint("version_id", "period", name=op.f("uq_plan_target_version_id")),
    )
    op.create_index(op.f("ix_plan_target_version_id"), "plan_target", ["version_id"], unique=False)
    op.create_table(
        "plan_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["plan_version.id"],
            name=op.f("fk_plan_action_version_id_plan_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_action")),
    )
    op.create_index(op.f("ix_plan_action_version_id"), "plan_action", ["version_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_action_version_id"), table_name="plan_action")
    op.drop_table("plan_action")
    op.drop_index(op.f("ix_plan_target_version_id"), table_name="plan_target")
    op.drop_table("plan_target")
    op.drop_index(op.f("ix_plan_version_plan_id"), table_name="plan_version")
    op.drop_table("plan_version")
    op.drop_index(op.f("ix_business_plan_business_id"), table_name="business_plan")
    op.drop_table("business_plan")
