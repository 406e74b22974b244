"""Loans a party names: the loan an organisation lends or guarantees, for the writes it makes
on it (closing it, recording a credit event). Reading a business's loans is
``access.policy.access_loans_by_business`` / ``access.reads.read_loans``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kizashi.domain.vocabulary import Category, Role
from kizashi.store.audit import AuditRecord
from kizashi.store.errors import NotFound
from kizashi.store.models import Loan

from .actor import Actor


def party_loan(
    session: Session, actor: Actor, loan_id: int, *, business_id: int | None = None
) -> Loan:
    """The loan ``loan_id`` (of ``business_id``, when given) if the actor's organisation is its
    lender or guarantor (``rule.own_loan``: what it may close or record credit events on; the
    system actor, the operator at the CLI, may name any loan); else NotFound — the same answer
    as for a missing loan — carrying its ``deny`` audit record."""
    loan = session.get(Loan, loan_id)
    ok = (
        loan is not None
        and (business_id is None or loan.business_id == business_id)
        and (
            actor.is_system
            or (
                actor.role == Role.OFFICER
                and actor.org_id is not None
                and actor.org_id in (loan.lender_org_id, loan.guarantor_org_id)
            )
        )
    )
    if not ok:
        record = AuditRecord(
            action="loan_party",
            decision="deny",
            actor_user_id=actor.user_id,
            actor_org_id=actor.org_id,
            business_id=business_id if loan is None else loan.business_id,
            category=Category.LOANS.value,
            object_type="loan",
            object_id=str(loan_id),
            detail={"reason": "not the loan's lender or guarantor", "login": actor.login},
        )
        raise NotFound(f"loan {loan_id} not found", pending_audit=record)
    assert loan is not None
    return loan
