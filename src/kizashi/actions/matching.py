"""Matching a business's invoices to the bank movements that paid them (入金消込).

``do_match_payments`` runs the rules of ``domain.matching`` over all of a business's invoices
and bank transactions, replaces its ``invoice_payment`` rows, sets ``invoice.paid`` where the
rows settle the payable amount, and writes one audit record — all in the caller's unit of work.
``actions.bank.do_import_money`` calls it after storing a bank statement or invoices (the same
unit of work); a person may run it again (``kizashi money match``, ``POST …/payment-matches``),
which needs the right to submit the business's 請求書 (it changes the invoices' state).
Matching from scratch each time keeps the result a function of what is stored: importing in
another order gives the same matches.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_for_upload
from kizashi.domain.bank import TxKind
from kizashi.domain.matching import Movement, OpenInvoice, match_payments, settled
from kizashi.domain.vocabulary import Category
from kizashi.store.audit import audit_write
from kizashi.store.matching_models import InvoicePayment
from kizashi.store.models import BankTransaction, Business, Counterparty, Invoice

# movements that never pay an invoice: between own accounts, loans, wages and public charges
NOT_PAYMENTS = frozenset(
    {
        TxKind.TRANSFER.value,
        TxKind.LOAN_REPAYMENT.value,
        TxKind.INTEREST.value,
        TxKind.PAYROLL.value,
        TxKind.TAX.value,
        TxKind.SOCIAL_INSURANCE.value,
    }
)


@dataclass
class MatchOutcome:
    business_id: int
    allocations: int = 0  # invoice_payment rows
    invoices_paid: int = 0  # invoices settled in full
    invoices_partly_paid: int = 0
    fees_yen: int = 0  # transfer fees the payers deducted, all invoices
    by_rule: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, object]:
        return {
            "business_id": self.business_id,
            "allocations": self.allocations,
            "invoices_paid": self.invoices_paid,
            "invoices_partly_paid": self.invoices_partly_paid,
            "fees_yen": self.fees_yen,
            "by_rule": dict(self.by_rule),
        }


def match_business(session: Session, actor: Actor, business_id: int) -> MatchOutcome:
    """Match and store (no permission check: the caller decided; see the module doc)."""
    # one matching per business at a time: two imports for one business replace the same rows
    # (PostgreSQL: a row lock until commit; SQLite serialises writers anyway)
    session.execute(select(Business.id).where(Business.id == business_id).with_for_update())
    rows = session.execute(
        select(Invoice, Counterparty)
        .join(Counterparty, Counterparty.id == Invoice.counterparty_id)
        .where(Invoice.business_id == business_id)
    ).all()
    invoices = [
        OpenInvoice(
            id=i.id,
            direction=i.direction,
            counterparty_id=c.id,
            name=c.name,
            issue_date=i.issue_date,
            amount_yen=0 if i.credit_note else i.payable_yen,
            due_date=i.due_date,
            registration_number=c.registration_number or "",
            corporate_number=c.corporate_number or "",
        )
        for i, c in rows
    ]
    movements = [
        Movement(tid, on, amount, f"{who} {what}")
        for tid, on, amount, who, what in session.execute(
            select(
                BankTransaction.id,
                BankTransaction.booked_on,
                BankTransaction.amount_yen,
                BankTransaction.counterparty,
                BankTransaction.description,
            ).where(
                BankTransaction.business_id == business_id,
                BankTransaction.kind.not_in(sorted(NOT_PAYMENTS)),
            )
        )
    ]
    allocations = match_payments(invoices, movements) if invoices and movements else []
    session.execute(delete(InvoicePayment).where(InvoicePayment.business_id == business_id))
    now = datetime.now(UTC)
    session.add_all(
        InvoicePayment(
            business_id=business_id,
            invoice_id=a.invoice_id,
            transaction_id=a.transaction_id,
            amount_yen=a.amount_yen,
            fee_yen=a.fee_yen,
            rule=a.rule.value,
            matched_at=now,
        )
        for a in allocations
    )
    done = settled(invoices, allocations)
    out = MatchOutcome(business_id, allocations=len(allocations))
    for a in allocations:
        out.by_rule[a.rule.value] += 1
        out.fees_yen += a.fee_yen
    for (inv, _), open_inv in zip(rows, invoices, strict=True):
        paid = open_inv.amount_yen > 0 and done[inv.id] >= open_inv.amount_yen
        inv.paid = paid
        out.invoices_paid += paid
        out.invoices_partly_paid += 0 < done[inv.id] < open_inv.amount_yen
    session.flush()
    audit_write(
        session,
        actor,
        "match_payments",
        object_type="business",
        object_id=business_id,
        business_id=business_id,
        category=Category.INVOICES.value,
        **{k: v for k, v in out.to_dict().items() if k != "business_id"},
    )
    return out


def do_match_payments(session: Session, actor: Actor, business_id: int) -> MatchOutcome:
    """Match a business's invoices to its bank movements again (``NotFound``, audited, when
    the actor may not submit its 請求書)."""
    access_business_for_upload(session, actor, business_id, category=Category.INVOICES)
    return match_business(session, actor, business_id)
