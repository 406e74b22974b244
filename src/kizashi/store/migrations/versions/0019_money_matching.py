"""invoices matched to the bank movements that paid them

``invoice_payment`` (``store.matching_models``): per invoice and bank transaction, the yen the
movement paid and the transfer fee the payer deducted, with the matching rule
(``domain.matching``). Written by ``actions.matching``.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoice_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("amount_yen", sa.BigInteger(), nullable=False),
        sa.Column("fee_yen", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_invoice_payment_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_payment_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["bank_transaction.id"],
            name=op.f("fk_invoice_payment_transaction_id_bank_transaction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_payment")),
        sa.UniqueConstraint(
            "invoice_id", "transaction_id", name=op.f("uq_invoice_payment_invoice_id")
        ),
    )
    with op.batch_alter_table("invoice_payment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_payment_business_id"), ["business_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invoice_payment_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invoice_payment_transaction_id"), ["transaction_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_payment_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_payment_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_payment_business_id"))

    op.drop_table("invoice_payment")
