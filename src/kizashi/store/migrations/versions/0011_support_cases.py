"""support cases, dialogue records, non-financial items and reminders

Tables of ``store.support_models``: ``support_case`` (with ``linked_case_id`` for a referral's
case at the receiver), ``support_case_flag``, ``support_case_event`` (history: support type,
stage, owner, next contact, cadence, status), ``dialogue_record`` with ``dialogue_action``,
``dialogue_attachment`` (raw files by sha256) and ``dialogue_comment`` (the owner's), and
``case_non_financial`` (ロカベン non-financial items per period). Reminders are read from the
cases' next contact dates and the agreed actions' due dates; they need no table.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("support_type", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=False),
        sa.Column("next_contact_on", sa.Date(), nullable=True),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_user_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("linked_case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_support_case_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["linked_case_id"],
            ["support_case.id"],
            name=op.f("fk_support_case_linked_case_id_support_case"),
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_support_case_opened_by_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_support_case_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["user_account.id"],
            name=op.f("fk_support_case_owner_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_case")),
    )
    op.create_index("ix_support_case_business", "support_case", ["business_id"], unique=False)
    op.create_index(
        "ix_support_case_org_status", "support_case", ["org_id", "status"], unique=False
    )
    op.create_index(
        op.f("ix_support_case_owner_user_id"), "support_case", ["owner_user_id"], unique=False
    )
    op.create_table(
        "case_non_financial",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("item", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["support_case.id"],
            name=op.f("fk_case_non_financial_case_id_support_case"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_case_non_financial_updated_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_non_financial")),
        sa.UniqueConstraint(
            "case_id", "period", "item", name=op.f("uq_case_non_financial_case_id")
        ),
    )
    op.create_table(
        "dialogue_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("owner_said", sa.Text(), nullable=True),
        sa.Column("shared_with_owner", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["support_case.id"], name=op.f("fk_dialogue_record_case_id_support_case")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_dialogue_record_created_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogue_record")),
    )
    op.create_index(
        op.f("ix_dialogue_record_case_id"), "dialogue_record", ["case_id"], unique=False
    )
    op.create_table(
        "support_case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old", sa.String(length=200), nullable=True),
        sa.Column("new", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["support_case.id"],
            name=op.f("fk_support_case_event_case_id_support_case"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_support_case_event_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_case_event")),
    )
    op.create_index(
        op.f("ix_support_case_event_case_id"), "support_case_event", ["case_id"], unique=False
    )
    op.create_table(
        "support_case_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["support_case.id"], name=op.f("fk_support_case_flag_case_id_support_case")
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["flag.id"], name=op.f("fk_support_case_flag_flag_id_flag")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_case_flag")),
        sa.UniqueConstraint("case_id", "flag_id", name=op.f("uq_support_case_flag_case_id")),
    )
    op.create_table(
        "dialogue_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dialogue_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("party", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dialogue_id"],
            ["dialogue_record.id"],
            name=op.f("fk_dialogue_action_dialogue_id_dialogue_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogue_action")),
    )
    op.create_index(
        op.f("ix_dialogue_action_dialogue_id"), "dialogue_action", ["dialogue_id"], unique=False
    )
    op.create_table(
        "dialogue_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dialogue_id", sa.Integer(), nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["dialogue_id"],
            ["dialogue_record.id"],
            name=op.f("fk_dialogue_attachment_dialogue_id_dialogue_record"),
        ),
        sa.ForeignKeyConstraint(
            ["raw_sha256"],
            ["raw_file.sha256"],
            name=op.f("fk_dialogue_attachment_raw_sha256_raw_file"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogue_attachment")),
    )
    op.create_index(
        op.f("ix_dialogue_attachment_dialogue_id"),
        "dialogue_attachment",
        ["dialogue_id"],
        unique=False,
    )
    op.create_table(
        "dialogue_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dialogue_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dialogue_id"],
            ["dialogue_record.id"],
            name=op.f("fk_dialogue_comment_dialogue_id_dialogue_record"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_dialogue_comment_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogue_comment")),
    )
    op.create_index(
        op.f("ix_dialogue_comment_dialogue_id"), "dialogue_comment", ["dialogue_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dialogue_comment_dialogue_id"), table_name="dialogue_comment")
    op.drop_table("dialogue_comment")
    op.drop_index(op.f("ix_dialogue_attachment_dialogue_id"), table_name="dialogue_attachment")
    op.drop_table("dialogue_attachment")
    op.drop_index(op.f("ix_dialogue_action_dialogue_id"), table_name="dialogue_action")
    op.drop_table("dialogue_action")
    op.drop_table("support_case_flag")
    op.drop_index(op.f("ix_support_case_event_case_id"), table_name="support_case_event")
    op.drop_table("support_case_event")
    op.drop_index(op.f("ix_dialogue_record_case_id"), table_name="dialogue_record")
    op.drop_table("dialogue_record")
    op.drop_table("case_non_financial")
    op.drop_index(op.f("ix_support_case_owner_user_id"), table_name="support_case")
    op.drop_index("ix_support_case_org_status", table_name="support_case")
    op.drop_index("ix_support_case_business", table_name="support_case")
    op.drop_table("support_case")
