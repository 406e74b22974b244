"""Reading a business's money that moved, through the consent rule (each read audited).

Bank accounts and transactions are category 口座 (``bank_transactions``); invoices and open
items are 請求書 (``invoices``). A missing business and a forbidden one give the same
``NotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizashi.domain.vocabulary import Category, Purpose
from kizashi.store.matching_models import InvoicePayment
from kizashi.store.models import BankAccount, BankTransaction, Counterparty, Invoice, OpenItem

from .actor import Actor
from .policy import access_business_by_id

MAX_PAGE = 500


@dataclass(frozen=True)
class TransactionView:
    id: int
    account_id: int
    account: str
    booked_on: date
    amount_yen: int
    balance_yen: int | None
    counterparty: str
    description: str
    kind: str


@dataclass(frozen=True)
class InvoiceView:
    id: int
    direction: str
    invoice_number: str
    counterparty: str
    registration_number: str | None
    issue_date: date
    due_date: date | None
    total_yen: int
    tax_yen: int
    credit_note: bool
    paid: bool
    settled_yen: int = 0  # applied by matched payments plus the fees payers deducted


@dataclass(frozen=True)
class OpenItemView:
    id: int
    side: str
    source: str
    counterparty: str
    amount_yen: int
    due_date: date | None
    as_of: date | None


def list_bank_transactions(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    purpose: Purpose = Purpose.MONITORING,
    limit: int = 100,
    offset: int = 0,
    today: date | None = None,
) -> tuple[int, list[TransactionView]]:
    """(total, newest-first page) of a business's bank transactions."""
    access_business_by_id(
        session,
        actor,
        business_id,
        Category.BANK_TRANSACTIONS,
        purpose,
        action="read_bank_transactions",
        today=today,
    )
    total = session.execute(
        select(func.count())
        .select_from(BankTransaction)
        .where(BankTransaction.business_id == business_id)
    ).scalar_one()
    rows = session.execute(
        select(BankTransaction, BankAccount)
        .join(BankAccount, BankAccount.id == BankTransaction.account_id)
        .where(BankTransaction.business_id == business_id)
        .order_by(BankTransaction.booked_on.desc(), BankTransaction.id.desc())
        .limit(max(1, min(limit, MAX_PAGE)))
        .offset(max(0, offset))
    ).all()
    return total, [
        TransactionView(
            t.id,
            a.id,
            f"{a.bank_name or a.bank_code} {a.branch_name or a.branch_code} {a.number}".strip(),
            t.booked_on,
            t.amount_yen,
            t.balance_yen,
            t.counterparty,
            t.description,
            t.kind,
        )
        for t, a in rows
    ]


def list_invoices(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    purpose: Purpose = Purpose.MONITORING,
    limit: int = 100,
    offset: int = 0,
    today: date | None = None,
) -> tuple[int, list[InvoiceView]]:
    access_business_by_id(
        session,
        actor,
        business_id,
        Category.INVOICES,
        purpose,
        action="read_invoices",
        today=today,
    )
    total = session.execute(
        select(func.count()).select_from(Invoice).where(Invoice.business_id == business_id)
    ).scalar_one()
    settled = (
        select(
            InvoicePayment.invoice_id,
            func.sum(InvoicePayment.amount_yen + InvoicePayment.fee_yen).label("yen"),
        )
        .where(InvoicePayment.business_id == business_id)
        .group_by(InvoicePayment.invoice_id)
        .subquery()
    )
    rows = session.execute(
        select(Invoice, Counterparty, func.coalesce(settled.c.yen, 0))
        .join(Counterparty, Counterparty.id == Invoice.counterparty_id)
        .outerjoin(settled, settled.c.invoice_id == Invoice.id)
        .where(Invoice.business_id == business_id)
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
        .limit(max(1, min(limit, MAX_PAGE)))
        .offset(max(0, offset))
    ).all()
    return total, [
        InvoiceView(
            i.id,
            i.direction,
            i.invoice_number,
            c.name,
            c.registration_number,
            i.issue_date,
            i.due_date,
            i.total_yen,
            i.tax_yen,
            i.credit_note,
            i.paid,
            int(paid_yen),
        )
        for i, c, paid_yen in rows
    ]


def list_open_items(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    purpose: Purpose = Purpose.MONITORING,
    today: date | None = None,
) -> list[OpenItemView]:
    access_business_by_id(
        session,
        actor,
        business_id,
        Category.INVOICES,
        purpose,
        action="read_open_items",
        today=today,
    )
    rows = session.execute(
        select(OpenItem, Counterparty)
        .join(Counterparty, Counterparty.id == OpenItem.counterparty_id)
        .where(OpenItem.business_id == business_id)
        .order_by(OpenItem.side, OpenItem.due_date, OpenItem.id)
    ).all()
    return [
        OpenItemView(o.id, o.side, o.source, c.name, o.amount_yen, o.due_date, o.as_of)
        for o, c in rows
    ]
