"""A business's cash forecast inputs, read through the consent rule (each read audited).

The 13-week forecast (``domain.cash.build_forecast``) needs the bank (口座: the opening balance
and the history the recurring flows are learned from) and, when the actor may read them, the
open items (請求書: the receivable and payable schedule, else — side by side — the unpaid
invoices issued by the as-of date less what the payments matched to them settled,
``actions.matching``) and the loans' unpaid instalments (金融取引). The bank is required (a
refusal is ``NotFound``, audited, as for any read); 請求書 and 金融取引 are read (and audited)
only when the actor may read them, else that part is left out and named in ``missing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizashi.domain.cash import (
    CashPlan,
    GraceEnd,
    Instalment,
    OpenItemLine,
    OutlookMonth,
    build_forecast,
    grace_ends,
    monthly_operating_cash,
    monthly_outlook,
)
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.store.matching_models import InvoicePayment
from kizashi.store.models import (
    BankTransaction,
    Business,
    Invoice,
    Loan,
    OpenItem,
    RepaymentInstalment,
)

from .actor import Actor
from .policy import (
    access_business_by_id,
    access_loans_by_business,
    accessible_business_ids,
    audit_listing,
    decide,
)
from .reads import read_monthly_series

HISTORY_DAYS = 130  # four months and a little: three complete months before any as-of date


@dataclass(frozen=True)
class CashView:
    business_id: int
    business_name: str
    as_of: date  # the latest bank movement (or the date asked for)
    opening: int  # the bank balance then, all accounts
    plan: CashPlan
    grace: tuple[GraceEnd, ...]
    missing: tuple[str, ...] = field(default_factory=tuple)  # categories left out (no consent)
    # the 12-month outlook from the trial balances (empty without 12 months of figures)
    outlook: tuple[OutlookMonth, ...] = field(default_factory=tuple)


def _balance(session: Session, business_id: int, as_of: date | None) -> tuple[date, int] | None:
    """The as-of date (the latest movement unless given) and the sum over accounts of each
    account's balance after its latest movement up to then (movements in stored order)."""
    q = select(
        BankTransaction.account_id, BankTransaction.booked_on, BankTransaction.balance_yen
    ).where(BankTransaction.business_id == business_id, BankTransaction.balance_yen.is_not(None))
    if as_of is not None:
        q = q.where(BankTransaction.booked_on <= as_of)
    latest: dict[int, tuple[date, int]] = {}
    for acc, on, bal in session.execute(q.order_by(BankTransaction.booked_on, BankTransaction.id)):
        latest[acc] = (on, int(bal or 0))
    if not latest:
        return None
    return (as_of or max(v[0] for v in latest.values()), sum(v[1] for v in latest.values()))


def _may(
    session: Session,
    actor: Actor,
    business: Business,
    category: Category,
    purpose: Purpose,
    today: date | None,
) -> bool:
    """Whether to read an optional part (not audited: nothing is read; a part the actor may
    not read is left out and named in ``missing``; the read that follows is audited)."""
    return decide(session, actor, business, category, purpose, today).allowed


def may_read_cash(
    session: Session, actor: Actor, business_id: int, purpose: Purpose, today: date | None = None
) -> bool:
    """Whether to offer the cash section at all (not audited: nothing is read)."""
    business = session.get(Business, business_id)
    return decide(session, actor, business, Category.BANK_TRANSACTIONS, purpose, today).allowed


def read_cash_forecast(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    purpose: Purpose = Purpose.MONITORING,
    as_of: date | None = None,
    today: date | None = None,
) -> CashView | None:
    """The forecast, or None when the business has no bank balance to start from."""
    business = access_business_by_id(
        session,
        actor,
        business_id,
        Category.BANK_TRANSACTIONS,
        purpose,
        action="read_cash_forecast",
        today=today,
    )
    start = _balance(session, business_id, as_of)
    if start is None:
        return None
    on, opening = start
    history = [
        (d, a, k)
        for d, a, k in session.execute(
            select(
                BankTransaction.booked_on, BankTransaction.amount_yen, BankTransaction.kind
            ).where(
                BankTransaction.business_id == business_id,
                BankTransaction.booked_on > on - timedelta(days=HISTORY_DAYS),
                BankTransaction.booked_on <= on,
            )
        )
    ]
    missing: list[str] = []
    items: list[OpenItemLine] = []
    if _may(session, actor, business, Category.INVOICES, purpose, today):
        access_business_by_id(
            session,
            actor,
            business_id,
            Category.INVOICES,
            purpose,
            action="read_open_items",
            today=today,
        )
        items = [
            OpenItemLine(side, amount, due)
            for side, amount, due in session.execute(
                select(OpenItem.side, OpenItem.amount_yen, OpenItem.due_date).where(
                    OpenItem.business_id == business_id
                )
            )
        ]
        # a side without a schedule: the unpaid invoices of that direction issued by the as-of
        # date, at what they still ask (payable less what matched payments and fees settled;
        # credit notes, which ask nothing, left out) — as the portfolio's SQL forecast
        # (``engine.exec.bank_features.open_invoices_sql``)
        scheduled = {i.side for i in items}
        if scheduled != {"receivable", "payable"}:
            settled = (
                select(
                    InvoicePayment.invoice_id,
                    func.sum(InvoicePayment.amount_yen + InvoicePayment.fee_yen).label("yen"),
                )
                .where(InvoicePayment.business_id == business_id)
                .group_by(InvoicePayment.invoice_id)
                .subquery()
            )
            unpaid = session.execute(
                select(
                    Invoice.direction,
                    Invoice.payable_yen,
                    func.coalesce(settled.c.yen, 0),
                    Invoice.due_date,
                )
                .outerjoin(settled, settled.c.invoice_id == Invoice.id)
                .where(
                    Invoice.business_id == business_id,
                    Invoice.paid.is_(False),
                    Invoice.issue_date <= on,
                )
            )
            for d, t, paid, due in unpaid:
                side = "receivable" if d == "issued" else "payable"
                if side not in scheduled and int(t) - int(paid) > 0:
                    items.append(OpenItemLine(side, int(t) - int(paid), due))
    else:
        missing.append(Category.INVOICES.value)
    instalments: list[Instalment] = []
    grace: list[GraceEnd] = []
    if _may(session, actor, business, Category.LOANS, purpose, today):
        loans = access_loans_by_business(session, actor, business_id, purpose, today=today)
        by_id = {loan.id: loan for loan in loans}
        rows: list[RepaymentInstalment] = (
            list(
                session.execute(
                    select(RepaymentInstalment).where(RepaymentInstalment.loan_id.in_(list(by_id)))
                ).scalars()
            )
            if by_id
            else []
        )
        schedules: dict[str, list[tuple[date, int, int]]] = {}
        for r in rows:
            number = by_id[r.loan_id].loan_number
            schedules.setdefault(number, []).append((r.due_date, r.principal, r.interest))
            if r.paid_on is None:
                instalments.append(Instalment(number, r.due_date, r.principal, r.interest))
        grace = grace_ends(schedules, {x.loan_number: x.grace_end_date for x in loans}, on)
    else:
        missing.append(Category.LOANS.value)
    plan = build_forecast(opening, on, history, items, instalments)
    outlook: list[OutlookMonth] = []
    if _may(session, actor, business, Category.FINANCIALS, purpose, today):
        outlook = _outlook(session, actor, business_id, purpose, today, instalments)
    else:
        missing.append(Category.FINANCIALS.value)
    return CashView(
        business_id,
        business.name,
        on,
        opening,
        plan,
        tuple(grace),
        tuple(missing),
        tuple(outlook),
    )


def _outlook(
    session: Session,
    actor: Actor,
    business_id: int,
    purpose: Purpose,
    today: date | None,
    instalments: list[Instalment],
) -> list[OutlookMonth]:
    """12 months after the latest trial balance: its 現金及び預金, plus each month the last 12
    months' 経常利益 ÷ 12 (the series carries no depreciation or taxes: they count 0), less the
    scheduled principal of that month. Empty unless the last 12 months are all there."""
    points = read_monthly_series(
        session, actor, business_id, months=12, purpose=purpose, today=today
    )
    if len(points) < 12:
        return []
    ops = [p.values.get("ordinary_profit") for p in points]
    cash = points[-1].values.get("cash_and_deposits")
    if cash is None or any(v is None for v in ops):
        return []
    last = points[-1].month
    start = (last.year + last.month // 12, last.month % 12 + 1)
    principal: dict[tuple[int, int], int] = {}
    for i in instalments:
        key = (i.due.year, i.due.month)
        principal[key] = principal.get(key, 0) + i.principal
    operating = monthly_operating_cash(sum(v or 0 for v in ops), 0, 0)
    return monthly_outlook(cash, start, operating, principal)


@dataclass(frozen=True)
class GraceRow:
    """A business whose grace period (据置期間) ends soon, with the cash that covers it."""

    business_id: int
    business_name: str
    loans: tuple[GraceEnd, ...]
    monthly_principal: int  # the new principal per month, all those loans
    bank_balance: int | None  # None: no bank data, or no consent for 口座
    months_covered: int | None  # bank balance ÷ the new monthly principal (whole months)
    lowest_13w: int | None  # the 13-week forecast's lowest balance


def list_grace_ends(
    session: Session,
    actor: Actor,
    *,
    purpose: Purpose = Purpose.MONITORING,
    today: date | None = None,
    within_months: int = 12,
) -> list[GraceRow]:
    """The businesses the actor may read loans of whose grace period ends after ``today`` and
    within ``within_months``: the loans, the principal that starts, and the projected coverage
    (the bank balance in months of that principal, the 13-week lowest balance) where the actor
    may read 口座. The listing is audited; each business's reads too."""
    on = today or date.today()
    y, m = divmod(on.year * 12 + on.month - 1 + within_months, 12)
    limit = date(y, m + 1, 1)
    ids = list(
        session.execute(
            select(Loan.business_id)
            .where(
                Loan.business_id.in_(accessible_business_ids(actor, Category.LOANS, purpose, on)),
                Loan.grace_end_date > on,
                Loan.grace_end_date < limit,
            )
            .distinct()
            .order_by(Loan.business_id)
        ).scalars()
    )
    audit_listing(session, actor, Category.LOANS, purpose, len(ids), {"list": "grace_ends"})
    out = []
    for bid in ids:
        loans = access_loans_by_business(session, actor, bid, purpose, today=on)
        by_id = {x.id: x for x in loans}
        schedules: dict[str, list[tuple[date, int, int]]] = {}
        for r in session.execute(
            select(RepaymentInstalment).where(RepaymentInstalment.loan_id.in_(list(by_id)))
        ).scalars():
            schedules.setdefault(by_id[r.loan_id].loan_number, []).append(
                (r.due_date, r.principal, r.interest)
            )
        ends = grace_ends(
            schedules, {x.loan_number: x.grace_end_date for x in loans}, on, within_months
        )
        if not ends:
            continue
        monthly = sum(g.monthly_principal for g in ends)
        business = session.get(Business, bid)
        assert business is not None
        view = (
            read_cash_forecast(session, actor, bid, purpose=purpose, today=on)
            if may_read_cash(session, actor, bid, purpose, on)
            else None
        )
        balance = view.opening if view is not None else None
        out.append(
            GraceRow(
                bid,
                business.name,
                tuple(ends),
                monthly,
                balance,
                None if balance is None or monthly <= 0 else max(balance, 0) // monthly,
                view.plan.forecast.lowest if view is not None else None,
            )
        )
    return out
