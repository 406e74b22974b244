"""referrals between organisations and what travels with them

Tables of ``store.referral_models``: ``referral`` (sender, receiver, business, note, status,
the owner's selection, the linked cases), ``referral_dialogue`` (the dialogue records the
owner chose to send) and ``referral_grant`` (the consent grants the approval created).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("from_org_id", sa.Integer(), nullable=False),
        sa.Column("to_org_id", sa.Integer(), nullable=False),
        sa.Column("from_case_id", sa.Integer(), nullable=True),
        sa.Column("to_case_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("share_flags", sa.Boolean(), nullable=False),
        sa.Column("share_indicators", sa.Boolean(), nullable=False),
        sa.Column("owner_decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _fk("referral", "business_id", "business"),
        _fk("referral", "from_org_id", "organisation"),
        _fk("referral", "to_org_id", "organisation"),
        _fk("referral", "from_case_id", "support_case"),
        _fk("referral", "to_case_id", "support_case"),
        _fk("referral", "created_by_user_id", "user_account"),
        _fk("referral", "owner_user_id", "user_account"),
        _fk("referral", "answered_by_user_id", "user_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    op.create_index("ix_referral_to_org_status", "referral", ["to_org_id", "status"])
    op.create_index("ix_referral_from_org", "referral", ["from_org_id"])
    op.create_index("ix_referral_business", "referral", ["business_id"])
    op.create_table(
        "referral_dialogue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("dialogue_id", sa.Integer(), nullable=False),
        _fk("referral_dialogue", "referral_id", "referral"),
        _fk("referral_dialogue", "dialogue_id", "dialogue_record"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_dialogue")),
        sa.UniqueConstraint(
            "referral_id", "dialogue_id", name=op.f("uq_referral_dialogue_referral_id")
        ),
    )
    op.create_index(op.f("ix_referral_dialogue_referral_id"), "referral_dialogue", ["referral_id"])
    op.create_table(
        "referral_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        _fk("referral_grant", "referral_id", "referral"),
        _fk("referral_grant", "grant_id", "consent_grant"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_grant")),
        sa.UniqueConstraint("referral_id", "grant_id", name=op.f("uq_referral_grant_referral_id")),
    )
    op.create_index(op.f("ix_referral_grant_referral_id"), "referral_grant", ["referral_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_referral_grant_referral_id"), table_name="referral_grant")
    op.drop_table("referral_grant")
    op.drop_index(op.f("ix_referral_dialogue_referral_id"), table_name="referral_dialogue")
    op.drop_table("referral_dialogue")
    op.drop_index("ix_referral_business", table_name="referral")
    op.drop_index("ix_referral_from_org", table_name="referral")
    op.drop_index("ix_referral_to_org_status", table_name="referral")
    op.drop_table("referral")
