"""The demo's loans entered by hand: a lender and the 保証協会 at work on 借入・保証.

Run once by ``build_demo`` after the consent day and before the monitoring run (the credit
events feed the credit-event rules), through ``actions.loans`` like a person (each write
audited, each row read back only under the 借入・保証 category):

* the first demo bank's officer enters a new 責任共有 (80 %) loan guaranteed by the 保証協会
  (with its 保証番号 and a grace period) for the first business with an owner login it lends
  to, imports its repayment schedule (a CSV, all rows or none), records that an older loan of
  that business was paid off (完済), and records a 延滞 of 45 days on a loan of another of its
  borrowers;
* the 保証協会's officer enters a 100 % guaranteed loan of the second demo bank (保証番号) and
  records a 条件変更 on a loan it guarantees.

Dates are relative to ``as_of``, the portfolio's last day, so the events fall inside the months
the monitoring run evaluates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.actions.loans import (
    LoanInput,
    do_add_loan,
    do_close_loan,
    do_import_schedule,
    do_record_credit_event,
)
from kizashi.domain.vocabulary import CreditEventKind, Role
from kizashi.store.db import Store
from kizashi.store.models import Business, Loan, Organisation, User

from .demo_world import BANKS, GUARANTOR


@dataclass(frozen=True)
class LoanDay:
    """What the demo entered (ids, for the tests and the summary)."""

    loans: tuple[int, ...]  # loans added by hand
    closed: tuple[int, ...]  # loans marked 完済
    events: tuple[int, ...]  # credit events recorded
    instalments: int  # repayment instalments imported


def _officer(s: Session, code: str) -> tuple[Actor, int] | None:
    row = s.execute(
        select(User, Organisation.id)
        .join(Organisation, Organisation.id == User.org_id)
        .where(Organisation.code == code, User.role == Role.OFFICER, User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    ).first()
    return (Actor.from_user(row[0]), int(row[1])) if row else None


def _owned_first(s: Session, loans: list[Loan]) -> list[Loan]:
    """Loans of businesses with an owner login first (the owner sees them too)."""
    owned = set(
        s.execute(
            select(Business.id)
            .join(User, User.org_id == Business.org_id)
            .where(User.role == Role.OWNER)
        ).scalars()
    )
    return sorted(loans, key=lambda x: (x.business_id not in owned, x.business_id, x.id))


def _schedule_csv(business_id: int, number: str, first_due: date, principal: int) -> bytes:
    lines = ["事業者ID,融資番号,約定返済日,元金,利息"]
    for n in range(6):
        due = _add_months(first_due, n)
        lines.append(f"{business_id},{number},{due.isoformat()},{principal},{12_000 - 150 * n}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    return date(day.year + y, m + 1, min(day.day, 28))


def add_loan_day(store: Store, *, as_of: date) -> LoanDay:
    """Enter the demo's loans, schedule, 完済 and credit events (see the module's doc)."""
    added: list[int] = []
    closed: list[int] = []
    events: list[int] = []
    instalments = 0
    with store.session() as s:
        bank = _officer(s, BANKS[0].code)
        other_bank = _officer(s, BANKS[1].code)
        guarantor = _officer(s, GUARANTOR.code)
        if bank is None or other_bank is None or guarantor is None:
            return LoanDay((), (), (), 0)
        (bank_actor, bank_id), (_, other_bank_id) = bank, other_bank
        guarantor_actor, guarantor_id = guarantor
        mine = _owned_first(
            s,
            list(
                s.execute(
                    select(Loan).where(Loan.lender_org_id == bank_id, Loan.paid_off_on.is_(None))
                ).scalars()
            ),
        )
        if mine:
            first = mine[0]
            loan = do_add_loan(
                s,
                bank_actor,
                LoanInput(
                    business_id=first.business_id,
                    lender_org_id=bank_id,
                    guarantor_org_id=guarantor_id,
                    loan_number="2026010101",
                    original_amount=15_000_000,
                    balance=15_000_000,
                    balance_as_of=as_of - timedelta(days=20),
                    guarantee_ratio_pct=80,
                    interest_rate_bp=185,
                    start_date=as_of - timedelta(days=20),
                    grace_end_date=as_of + timedelta(days=160),
                    maturity_date=as_of + timedelta(days=7 * 365),
                    guarantee_number="保第2026-00417号",
                ),
            )
            added.append(loan.id)
            instalments += len(
                do_import_schedule(
                    s,
                    bank_actor,
                    _schedule_csv(
                        first.business_id,
                        loan.loan_number,
                        as_of + timedelta(days=190),
                        178_000,
                    ),
                    "返済予定_2026010101.csv",
                )
            )
            older = [x for x in mine if x.business_id == first.business_id and x.id != loan.id]
            if older:  # the older loan was refinanced by the new one: paid off
                paid = do_close_loan(
                    s, bank_actor, loan_id=older[0].id, paid_off_on=as_of - timedelta(days=20)
                )
                closed.append(paid.id)
            late = next((x for x in mine if x.business_id != first.business_id), None)
            if late is not None:
                events.append(
                    do_record_credit_event(
                        s,
                        bank_actor,
                        loan=late,
                        kind=CreditEventKind.DELINQUENCY,
                        occurred_on=as_of - timedelta(days=10),
                        days_past_due=45,
                        note="8月・9月分の約定返済が未入金。社長に電話で状況を確認中",
                    ).id
                )
        guaranteed = _owned_first(
            s,
            list(
                s.execute(
                    select(Loan).where(
                        Loan.guarantor_org_id == guarantor_id, Loan.paid_off_on.is_(None)
                    )
                ).scalars()
            ),
        )
        at_other = [x for x in guaranteed if x.lender_org_id == other_bank_id]
        if at_other:
            loan = do_add_loan(
                s,
                guarantor_actor,
                LoanInput(
                    business_id=at_other[0].business_id,
                    lender_org_id=other_bank_id,
                    guarantor_org_id=guarantor_id,
                    loan_number="2026020701",
                    original_amount=8_000_000,
                    balance=8_000_000,
                    balance_as_of=as_of - timedelta(days=45),
                    guarantee_ratio_pct=100,
                    interest_rate_bp=160,
                    start_date=as_of - timedelta(days=45),
                    maturity_date=as_of + timedelta(days=5 * 365),
                    guarantee_number="保第2026-00388号",
                ),
            )
            added.append(loan.id)
        changed = [x for x in guaranteed if x.id not in closed and x.id not in added]
        if changed:
            events.append(
                do_record_credit_event(
                    s,
                    guarantor_actor,
                    loan=changed[-1],
                    kind=CreditEventKind.RESTRUCTURING,
                    occurred_on=as_of - timedelta(days=25),
                    note="元金据置6か月の条件変更に同意 (経営改善計画の策定を条件)",
                ).id
            )
    return LoanDay(tuple(added), tuple(closed), tuple(events), instalments)
