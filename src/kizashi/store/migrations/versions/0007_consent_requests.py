"""consent requests and comprehensive consents recorded by institutions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_PURPOSES = ("monitoring", "support", "credit_review", "referral")
_STATUSES = ("pending", "approved", "partly_approved", "declined", "withdrawn", "expired")
_SOURCES = ("owner", "request", "application")


def upgrade() -> None:
    op.create_table(
        "consent_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("requester_org_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=True),
        sa.Column("categories", sa.String(length=200), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(*_PURPOSES, name="consent_purpose", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(*_STATUSES, name="consent_request_status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_categories", sa.String(length=200), nullable=True),
        sa.Column("response_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_consent_request_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["requester_org_id"],
            ["organisation.id"],
            name=op.f("fk_consent_request_requester_org_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_consent_request_requested_by_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["responded_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_consent_request_responded_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_request")),
    )
    with op.batch_alter_table("consent_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_request_business", ["business_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_consent_request_requester", ["requester_org_id", "created_at"], unique=False
        )

    with op.batch_alter_table("consent_grant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source",
                sa.Enum(*_SOURCES, name="consent_source", native_enum=False, length=32),
                server_default="owner",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("document_ref", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("request_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("revoked_by_user_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_consent_grant_request_id"), ["request_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_consent_grant_request_id_consent_request"),
            "consent_request",
            ["request_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_consent_grant_revoked_by_user_id_user_account"),
            "user_account",
            ["revoked_by_user_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("consent_grant", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_consent_grant_revoked_by_user_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_consent_grant_request_id_consent_request"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_consent_grant_request_id"))
        batch_op.drop_column("revoked_by_user_id")
        batch_op.drop_column("request_id")
        batch_op.drop_column("document_ref")
        batch_op.drop_column("source")
    with op.batch_alter_table("consent_request", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_request_requester")
        batch_op.drop_index("ix_consent_request_business")
    op.drop_table("consent_request")
