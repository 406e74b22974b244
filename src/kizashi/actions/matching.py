"""Matching a business's invoices to the bank movements that paid them (入金消込).

``match_business`` runs the rules of ``domain.matching`` and stores them as ``invoice_payment``
rows, sets ``invoice.paid`` where the rows settle the payable amount, and writes one audit
record — all in the caller's unit of work, under a row lock on the business (PostgreSQL; SQLite
serialises writers anyway).

- After an import (``actions.bank.do_import_money`` passes its ``submission_id``) only what the
  import can change is matched again: from ``domain.matching.earliest_affected`` of the
  import's earliest new payment-like movement or payable invoice (60 days before it) on. The
  rows of movements from that day are deleted and made again from the invoices still open on
  that day, at their open amount (payable less what the kept rows settle); earlier rows stay.
  The result is the one matching from scratch gives (``domain.matching``: "Resuming"; tested
  on both backends). An import with nothing that pays or is paid re-matches nothing.
- A person may match the whole business again (``kizashi payments match``,
  ``POST …/payment-matches``: ``do_match_payments``), which needs the right to submit the
  business's 請求書 (it changes the invoices' state). Needed only when something earlier than
  the new rows changed: a counterparty's 法人番号/T番号 learnt from a later invoice changes its
  name verdicts for past movements too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_for_upload
from kizashi.domain.bank import TxKind
from kizashi.domain.matching import (
    MatchWindow,
    Movement,
    OpenInvoice,
    earliest_affected,
    match_payments,
    settled,
)
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


def match_business(
    session: Session, actor: Actor, business_id: int, *, submission_id: int | None = None
) -> MatchOutcome:
    """Match and store (no permission check: the caller decided; see the module doc).

    With ``submission_id`` (an import that added rows) only what that import can change is
    matched again: from ``earliest_affected`` of its earliest new movement or invoice on.
    """
    # one matching per business at a time: two imports for one business replace the same rows
    # (PostgreSQL: a row lock until commit; SQLite serialises writers anyway)
    session.execute(select(Business.id).where(Business.id == business_id).with_for_update())
    since: date | None = None
    if submission_id is not None:
        first = _first_new_day(session, business_id, submission_id)
        if first is None:  # nothing that could pay or be paid
            return _finish(session, actor, business_id, None, rematched=0)
        since = earliest_affected(first)
    if since is not None:
        # the matches of movements from ``since`` on are made again; earlier ones stay
        moved = select(BankTransaction.id).where(
            BankTransaction.business_id == business_id, BankTransaction.booked_on >= since
        )
        session.execute(
            delete(InvoicePayment)
            .where(InvoicePayment.business_id == business_id)
            .where(InvoicePayment.transaction_id.in_(moved))
            .execution_options(synchronize_session=False)
        )
    window = MatchWindow()
    query = (
        select(
            Invoice.id,
            Invoice.direction,
            Invoice.issue_date,
            Invoice.due_date,
            Invoice.payable_yen,
            Invoice.credit_note,
            Invoice.paid,
            Invoice.invoice_number,
            Counterparty.id.label("cp"),
            Counterparty.name,
            Counterparty.registration_number,
            Counterparty.corporate_number,
        )
        .join(Counterparty, Counterparty.id == Invoice.counterparty_id)
        .where(Invoice.business_id == business_id)
    )
    if since is not None:
        query = query.where(Invoice.credit_note.is_(False), _open_on(since, window))
    rows = session.execute(query).all()
    kept = _kept(session, business_id, since, window) if since is not None else {}
    invoices = [
        OpenInvoice(
            id=i.id,
            direction=i.direction,
            counterparty_id=i.cp,
            name=i.name,
            issue_date=i.issue_date,
            amount_yen=0 if i.credit_note else i.payable_yen - kept.get(i.id, 0),
            due_date=i.due_date,
            registration_number=i.registration_number or "",
            corporate_number=i.corporate_number or "",
            number=i.invoice_number,
        )
        for i in rows
    ]
    moves = select(
        BankTransaction.id,
        BankTransaction.booked_on,
        BankTransaction.amount_yen,
        BankTransaction.counterparty,
        BankTransaction.description,
    ).where(
        BankTransaction.business_id == business_id,
        BankTransaction.kind.not_in(sorted(NOT_PAYMENTS)),
    )
    if since is not None:
        moves = moves.where(BankTransaction.booked_on >= since)
    movements = [
        Movement(tid, on, amount, f"{who} {what}")
        for tid, on, amount, who, what in session.execute(moves)
    ]
    found = match_payments(invoices, movements, window=window) if invoices and movements else []
    if since is None:
        session.execute(delete(InvoicePayment).where(InvoicePayment.business_id == business_id))
    now = datetime.now(UTC)
    session.flush()
    if found:
        session.execute(
            insert(InvoicePayment),
            [
                {
                    "business_id": business_id,
                    "invoice_id": a.invoice_id,
                    "transaction_id": a.transaction_id,
                    "amount_yen": a.amount_yen,
                    "fee_yen": a.fee_yen,
                    "rule": a.rule.value,
                    "matched_at": now,
                }
                for a in found
            ],
        )
    done = settled(invoices, found)
    flips = [
        {"id": row.id, "paid": paid}
        for row, open_inv in zip(rows, invoices, strict=True)
        if (
            paid := row.payable_yen > 0
            and not row.credit_note
            and done[row.id] >= open_inv.amount_yen
        )
        != row.paid
    ]
    if flips:
        # a bulk UPDATE by primary key: invoice objects the unit of work holds follow it
        session.execute(update(Invoice), flips)
    return _finish(session, actor, business_id, since, rematched=len(movements))


def _first_new_day(session: Session, business_id: int, submission_id: int) -> date | None:
    """The earliest day of the submission's movements that may pay and invoices to be paid."""
    tx = session.execute(
        select(func.min(BankTransaction.booked_on)).where(
            BankTransaction.business_id == business_id,
            BankTransaction.submission_id == submission_id,
            BankTransaction.kind.not_in(sorted(NOT_PAYMENTS)),
        )
    ).scalar_one_or_none()
    inv = session.execute(
        select(func.min(Invoice.issue_date)).where(
            Invoice.business_id == business_id,
            Invoice.submission_id == submission_id,
            Invoice.credit_note.is_(False),
            Invoice.payable_yen > 0,
        )
    ).scalar_one_or_none()
    days = [d for d in (tx, inv) if d is not None]
    return min(days) if days else None


def _open_on(since: date, window: MatchWindow) -> ColumnElement[bool]:
    """Invoices whose last day (``domain.matching``'s window) is ``since`` or later."""
    after_due = since - timedelta(days=window.days_after_due)
    return or_(
        and_(
            Invoice.due_date.is_not(None),
            or_(Invoice.due_date >= after_due, Invoice.issue_date >= after_due),
        ),
        and_(
            Invoice.due_date.is_(None),
            Invoice.issue_date >= since - timedelta(days=window.days_without_due),
        ),
    )


def _kept(session: Session, business_id: int, since: date, window: MatchWindow) -> dict[int, int]:
    """Per invoice open on ``since``: what the matches kept (movements before it) settled."""
    rows = session.execute(
        select(
            InvoicePayment.invoice_id, func.sum(InvoicePayment.amount_yen + InvoicePayment.fee_yen)
        )
        .join(Invoice, Invoice.id == InvoicePayment.invoice_id)
        .where(InvoicePayment.business_id == business_id, _open_on(since, window))
        .group_by(InvoicePayment.invoice_id)
    )
    return {iid: int(yen) for iid, yen in rows}


def _finish(
    session: Session, actor: Actor, business_id: int, since: date | None, *, rematched: int
) -> MatchOutcome:
    """The business's totals after matching, and the audit record."""
    session.flush()
    out = MatchOutcome(business_id)
    for rule, n, fees in session.execute(
        select(InvoicePayment.rule, func.count(), func.sum(InvoicePayment.fee_yen))
        .where(InvoicePayment.business_id == business_id)
        .group_by(InvoicePayment.rule)
    ):
        out.by_rule[rule] = int(n)
        out.allocations += int(n)
        out.fees_yen += int(fees or 0)
    out.invoices_paid = session.execute(
        select(func.count()).where(Invoice.business_id == business_id, Invoice.paid.is_(True))
    ).scalar_one()
    sums = (
        select(
            InvoicePayment.invoice_id.label("iid"),
            func.sum(InvoicePayment.amount_yen + InvoicePayment.fee_yen).label("yen"),
        )
        .where(InvoicePayment.business_id == business_id)
        .group_by(InvoicePayment.invoice_id)
        .subquery()
    )
    out.invoices_partly_paid = session.execute(
        select(func.count())
        .select_from(sums)
        .join(Invoice, Invoice.id == sums.c.iid)
        .where(sums.c.yen < Invoice.payable_yen)
    ).scalar_one()
    audit_write(
        session,
        actor,
        "match_payments",
        object_type="business",
        object_id=business_id,
        business_id=business_id,
        category=Category.INVOICES.value,
        **{k: v for k, v in out.to_dict().items() if k != "business_id"},
        rematched_from=since.isoformat() if since else None,
        movements_rematched=rematched,
    )
    return out


def do_match_payments(session: Session, actor: Actor, business_id: int) -> MatchOutcome:
    """Match a business's invoices to its bank movements again (``NotFound``, audited, when
    the actor may not submit its 請求書)."""
    access_business_for_upload(session, actor, business_id, category=Category.INVOICES)
    return match_business(session, actor, business_id)
