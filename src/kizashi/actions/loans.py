"""Loans, guarantees, repayment schedules and credit events (条件変更, 延滞, 事故報告, 代位弁済)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.domain.vocabulary import CreditEventKind, Role
from kizashi.store.audit import audit_write
from kizashi.store.models import CreditEvent, Loan


@dataclass
class LoanInput:
    business_id: int
    lender_org_id: int
    guarantor_org_id: int | None
    loan_number: str
    original_amount: int
    balance: int
    balance_as_of: date
    guarantee_ratio_pct: int
    interest_rate_bp: int
    start_date: date
    maturity_date: date
    grace_end_date: date | None = None


def _check_party(actor: Actor, *org_ids: int | None) -> None:
    if actor.is_system:
        return
    if actor.role != Role.OFFICER or actor.org_id not in org_ids:
        raise PermissionError("only an officer of the lender or guarantor records loan data")


def do_add_loan(session: Session, actor: Actor, data: LoanInput) -> Loan:
    _check_party(actor, data.lender_org_id, data.guarantor_org_id)
    if data.original_amount <= 0 or data.balance < 0:
        raise ValueError("loan amounts must be positive")
    if data.guarantee_ratio_pct not in (0, 80, 100):
        raise ValueError("guarantee ratio must be 0, 80 (責任共有) or 100")
    if data.guarantee_ratio_pct and data.guarantor_org_id is None:
        raise ValueError("a guaranteed loan needs a guarantor")
    loan = Loan(**data.__dict__)
    session.add(loan)
    session.flush()
    audit_write(
        session,
        actor,
        "add_loan",
        object_type="loan",
        object_id=loan.id,
        business_id=data.business_id,
        amount=data.original_amount,
    )
    return loan


def do_record_credit_event(
    session: Session,
    actor: Actor,
    *,
    loan: Loan,
    kind: CreditEventKind,
    occurred_on: date,
    days_past_due: int | None = None,
    note: str | None = None,
) -> CreditEvent:
    _check_party(actor, loan.lender_org_id, loan.guarantor_org_id)
    if kind == CreditEventKind.DELINQUENCY and (days_past_due is None or days_past_due <= 0):
        raise ValueError("延滞 needs days past due")
    ev = CreditEvent(
        business_id=loan.business_id,
        loan_id=loan.id,
        kind=kind,
        occurred_on=occurred_on,
        days_past_due=days_past_due,
        note=note,
        recorded_by_org_id=actor.org_id,
    )
    session.add(ev)
    session.flush()
    audit_write(
        session,
        actor,
        "record_credit_event",
        object_type="credit_event",
        object_id=ev.id,
        business_id=loan.business_id,
        kind=kind.value,
        occurred_on=occurred_on.isoformat(),
    )
    return ev
