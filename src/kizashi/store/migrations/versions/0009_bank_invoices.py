"""bank accounts, transactions, invoices, counterparties and open items

Money that moved (``kizashi.domain.bank``), written by ``actions.bank``: ``bank_account`` per
business and statement account key; ``bank_transaction`` unique per account and ``dedup_key``
(an overlapping statement imported again adds nothing twice); ``counterparty`` per business
and matching key (T番号 and 法人番号 kept); ``invoice`` unique per business and ``dedup_key``;
``open_item`` (receivables and payables by due date). Each row names its ``submission``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("account_key", sa.String(length=64), nullable=False),
        sa.Column("bank_code", sa.String(length=4), nullable=False),
        sa.Column("branch_code", sa.String(length=3), nullable=False),
        sa.Column("account_type", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=10), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("branch_name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_bank_account_business_id_business")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_account")),
        sa.UniqueConstraint("business_id", "account_key", name=op.f("uq_bank_account_business_id")),
    )
    with op.batch_alter_table("bank_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bank_account_business_id"), ["business_id"], unique=False
        )

    op.create_table(
        "counterparty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("match_key", sa.String(length=200), nullable=False),
        sa.Column("registration_number", sa.String(length=14), nullable=True),
        sa.Column("corporate_number", sa.String(length=13), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_counterparty_business_id_business")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counterparty")),
        sa.UniqueConstraint("business_id", "match_key", name=op.f("uq_counterparty_business_id")),
    )
    with op.batch_alter_table("counterparty", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_counterparty_business_id"), ["business_id"], unique=False
        )

    op.create_table(
        "bank_transaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("value_on", sa.Date(), nullable=True),
        sa.Column("amount_yen", sa.BigInteger(), nullable=False),
        sa.Column("balance_yen", sa.BigInteger(), nullable=True),
        sa.Column("counterparty", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["bank_account.id"],
            name=op.f("fk_bank_transaction_account_id_bank_account"),
        ),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_bank_transaction_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_bank_transaction_submission_id_submission"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_transaction")),
        sa.UniqueConstraint("account_id", "dedup_key", name=op.f("uq_bank_transaction_account_id")),
    )
    with op.batch_alter_table("bank_transaction", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bank_transaction_business_day", ["business_id", "booked_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bank_transaction_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("counterparty_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("invoice_number", sa.String(length=100), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("total_yen", sa.BigInteger(), nullable=False),
        sa.Column("tax_yen", sa.BigInteger(), nullable=False),
        sa.Column("payable_yen", sa.BigInteger(), nullable=False),
        sa.Column("credit_note", sa.Boolean(), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("source_format", sa.String(length=100), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_invoice_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["counterparty_id"],
            ["counterparty.id"],
            name=op.f("fk_invoice_counterparty_id_counterparty"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submission.id"], name=op.f("fk_invoice_submission_id_submission")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("business_id", "dedup_key", name=op.f("uq_invoice_business_id")),
    )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoice_business_issue", ["business_id", "issue_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invoice_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "open_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("counterparty_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("amount_yen", sa.BigInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("invoice_number", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_open_item_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["counterparty_id"],
            ["counterparty.id"],
            name=op.f("fk_open_item_counterparty_id_counterparty"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submission.id"], name=op.f("fk_open_item_submission_id_submission")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_item")),
    )
    with op.batch_alter_table("open_item", schema=None) as batch_op:
        batch_op.create_index("ix_open_item_business", ["business_id", "side"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_open_item_submission_id"), ["submission_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("open_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_item_submission_id"))
        batch_op.drop_index("ix_open_item_business")

    op.drop_table("open_item")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_submission_id"))
        batch_op.drop_index("ix_invoice_business_issue")

    op.drop_table("invoice")
    with op.batch_alter_table("bank_transaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_transaction_submission_id"))
        batch_op.drop_index("ix_bank_transaction_business_day")

    op.drop_table("bank_transaction")
    with op.batch_alter_table("counterparty", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counterparty_business_id"))

    op.drop_table("counterparty")
    with op.batch_alter_table("bank_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_account_business_id"))

    op.drop_table("bank_account")
