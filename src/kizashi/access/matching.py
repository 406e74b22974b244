"""Reading which bank movements paid which invoices (入金消込), through the consent rule.

A match names an invoice (請求書 ``invoices``) and a bank movement (口座 ``bank_transactions``):
the actor must be allowed to read both for the purpose (each read audited); a missing business
and a forbidden one give the same ``NotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.domain.vocabulary import Category, Purpose
from kizashi.store.matching_models import InvoicePayment
from kizashi.store.models import BankTransaction, Counterparty, Invoice

from .actor import Actor
from .policy import access_business_by_id

MAX_ROWS = 2000


@dataclass(frozen=True)
class PaymentMatchView:
    invoice_id: int
    invoice_number: str
    direction: str  # issued (paid by a deposit) or received (paid by a payment)
    counterparty: str
    invoice_yen: int  # payable
    due_date: date | None
    transaction_id: int
    booked_on: date
    transaction_yen: int  # the movement, signed
    remitter: str  # the movement's counterparty or description
    amount_yen: int  # taken from the movement for this invoice
    fee_yen: int  # the transfer fee deducted by the payer, settled with it
    rule: str  # domain.matching.MatchRule


def list_payment_matches(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    purpose: Purpose = Purpose.MONITORING,
    today: date | None = None,
) -> list[PaymentMatchView]:
    """The business's matches, newest movement first (at most ``MAX_ROWS``)."""
    for category, action in (
        (Category.INVOICES, "read_payment_matches"),
        (Category.BANK_TRANSACTIONS, "read_payment_matches"),
    ):
        access_business_by_id(
            session, actor, business_id, category, purpose, action=action, today=today
        )
    rows = session.execute(
        select(InvoicePayment, Invoice, Counterparty, BankTransaction)
        .join(Invoice, Invoice.id == InvoicePayment.invoice_id)
        .join(Counterparty, Counterparty.id == Invoice.counterparty_id)
        .join(BankTransaction, BankTransaction.id == InvoicePayment.transaction_id)
        .where(InvoicePayment.business_id == business_id)
        .order_by(BankTransaction.booked_on.desc(), BankTransaction.id.desc(), Invoice.id)
        .limit(MAX_ROWS)
    ).all()
    return [
        PaymentMatchView(
            i.id,
            i.invoice_number,
            i.direction,
            c.name,
            i.payable_yen,
            i.due_date,
            t.id,
            t.booked_on,
            t.amount_yen,
            t.counterparty or t.description,
            p.amount_yen,
            p.fee_yen,
            p.rule,
        )
        for p, i, c, t in rows
    ]
