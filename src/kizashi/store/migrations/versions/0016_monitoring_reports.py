"""reports on a business: progress reports and the accountant's monitoring reports

Tables of ``store.reports_models``: ``business_report`` (one report: kind, period, cadence, due
date, status, the author's comments, the period's submission timeliness), ``report_figure`` (its
figures snapshot, int yen per plan item) and ``report_recipient`` (the organisations it is sent
to, and their acknowledgement). Both kinds share these tables; 0017 stays empty.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "business_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("author_org_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("plan_version", sa.Integer(), nullable=True),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("on_time_months", sa.Integer(), nullable=False),
        sa.Column("late_months", sa.Integer(), nullable=False),
        sa.Column("missing_months", sa.Integer(), nullable=False),
        sa.Column("figures_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_business_report_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["author_org_id"],
            ["organisation.id"],
            name=op.f("fk_business_report_author_org_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["user_account.id"],
            name=op.f("fk_business_report_author_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["business_plan.id"],
            name=op.f("fk_business_report_plan_id_business_plan"),
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["business_report.id"],
            name=op.f("fk_business_report_previous_id_business_report"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_report")),
    )
    op.create_index(
        "ix_business_report_author_status",
        "business_report",
        ["author_org_id", "status"],
        unique=False,
    )
    op.create_index("ix_business_report_business", "business_report", ["business_id"], unique=False)
    op.create_table(
        "report_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=32), nullable=False),
        sa.Column("plan", sa.BigInteger(), nullable=True),
        sa.Column("actual", sa.BigInteger(), nullable=True),
        sa.Column("last_year", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["business_report.id"],
            name=op.f("fk_report_figure_report_id_business_report"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_figure")),
        sa.UniqueConstraint("report_id", "item", name=op.f("uq_report_figure_report_id")),
    )
    op.create_index(
        op.f("ix_report_figure_report_id"), "report_figure", ["report_id"], unique=False
    )
    op.create_table(
        "report_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["business_report.id"],
            name=op.f("fk_report_recipient_report_id_business_report"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_report_recipient_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_report_recipient_acknowledged_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_recipient")),
        sa.UniqueConstraint("report_id", "org_id", name=op.f("uq_report_recipient_report_id")),
    )
    op.create_index(
        op.f("ix_report_recipient_report_id"), "report_recipient", ["report_id"], unique=False
    )
    op.create_index(
        op.f("ix_report_recipient_org_id"), "report_recipient", ["org_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_report_recipient_org_id"), table_name="report_recipient")
    op.drop_index(op.f("ix_report_recipient_report_id"), table_name="report_recipient")
    op.drop_table("report_recipient")
    op.drop_index(op.f("ix_report_figure_report_id"), table_name="report_figure")
    op.drop_table("report_figure")
    op.drop_index("ix_business_report_business", table_name="business_report")
    op.drop_index("ix_business_report_author_status", table_name="business_report")
    op.drop_table("business_report")
