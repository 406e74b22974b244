"""Invoices matched to the bank movements that paid them (migration 0019).

Written by ``actions.matching.do_match_payments`` from the rules of ``domain.matching``: each row
takes ``amount_yen`` of one movement for one invoice (``fee_yen``: the transfer fee the payer
deducted, settled with it). An invoice is paid (``invoice.paid``) when its rows settle its payable
amount. Matching a business again replaces its rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base


class InvoicePayment(Base):
    """One movement's share paying one invoice."""

    __tablename__ = "invoice_payment"
    __table_args__ = (UniqueConstraint("invoice_id", "transaction_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("bank_transaction.id"), index=True)
    amount_yen: Mapped[int] = mapped_column(BigInteger)
    fee_yen: Mapped[int] = mapped_column(BigInteger)
    rule: Mapped[str] = mapped_column(String(16))  # domain.matching.MatchRule
    matched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
