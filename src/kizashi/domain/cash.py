"""The 13-week cash forecast (資金繰り予測, direct method) and the 12-month outlook, as arithmetic.

Pure: dates and whole yen in, weeks and months out; no database, no DuckDB. The jobs and the
CLI gather the inputs (through ``kizashi.access``) and call these functions; the engine's
feature step (``engine.exec.bank_features``) uses the same definitions on whole portfolios.

**Weeks.** Week 1 is the seven days after the as-of date (as-of + 1 … as-of + 7), week k the
seven days after week k − 1. The opening balance is the bank balance at the end of the as-of
date. A flow dated on or before the as-of date that is still open (an overdue receivable or
payable) counts in week 1: the money has not moved yet and is expected at once.

**Flows.** Every line is a dated, signed amount in yen (receipts +, payments −) of one kind:

* open items by due date: ``receivable`` (open invoices issued and 売掛金 by due date) and
  ``payable`` (invoices received and 買掛金);
* ``loan_principal`` and ``loan_interest``: the store's repayment schedules (unpaid instalments);
* recurring flows learned from the bank history (``learn_recurring``): payroll, rent, utilities,
  tax, social insurance — one line per month on the day they were last paid;
* the run rate of trade (``sales_receipt``, ``supplier_payment``): the monthly customer deposits
  and supplier payments of the history. Open items come first: in a calendar month the run rate
  adds only what exceeds the open items due in that month (``run_rate_lines``), so an invoice is
  never counted twice.

The forecast is exact integer arithmetic: the week's closing balance is its opening balance
plus the week's flows, to the yen.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

WEEKS = 13
RECURRING_KINDS = ("payroll", "rent", "utilities", "tax", "social_insurance")
TRADE_KINDS = {"sales_receipt": "receivable", "supplier_payment": "payable"}
LOAN_KINDS = ("loan_principal", "loan_interest")
# the order lines are listed in (receipts first), and the kinds a forecast may contain
KINDS = (
    "receivable",
    "sales_receipt",
    "payable",
    "supplier_payment",
    *RECURRING_KINDS,
    *LOAN_KINDS,
)


@dataclass(frozen=True)
class Flow:
    """One expected movement of money: ``amount`` yen (+ in, − out) on ``on``."""

    on: date
    amount: int
    kind: str
    label: str = ""


@dataclass(frozen=True)
class Week:
    index: int  # 1..13
    start: date
    end: date
    opening: int
    receipts: int  # sum of positive flows
    payments: int  # sum of negative flows (≤ 0)
    closing: int
    by_kind: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Shortfall:
    week: int  # the first week whose closing balance is below zero
    start: date
    amount: int  # the lowest closing balance over the 13 weeks (negative)
    lowest_week: int


@dataclass(frozen=True)
class Forecast:
    as_of: date
    opening: int
    weeks: tuple[Week, ...]

    @property
    def closing(self) -> int:
        return self.weeks[-1].closing if self.weeks else self.opening

    @property
    def lowest(self) -> int:
        return min([self.opening, *(w.closing for w in self.weeks)])

    @property
    def shortfall(self) -> Shortfall | None:
        """The first week the balance goes below zero, and the deepest point."""
        first = next((w for w in self.weeks if w.closing < 0), None)
        if first is None:
            return None
        low = min(self.weeks, key=lambda w: (w.closing, w.index))
        return Shortfall(first.index, first.start, low.closing, low.index)


def week_of(as_of: date, on: date) -> int:
    """The forecast week (1-based) a date falls in; overdue dates count in week 1."""
    days = (on - as_of).days
    return 1 if days <= 0 else (days - 1) // 7 + 1


def weekly_forecast(
    opening: int, as_of: date, flows: Iterable[Flow], weeks: int = WEEKS
) -> Forecast:
    """Opening balance plus the flows, week by week (flows after the last week are left out)."""
    per: list[dict[str, int]] = [{} for _ in range(weeks)]
    for f in flows:
        if not isinstance(f.amount, int):
            raise TypeError(f"amount must be whole yen (int), got {type(f.amount).__name__}")
        k = week_of(as_of, f.on)
        if k <= weeks:
            per[k - 1][f.kind] = per[k - 1].get(f.kind, 0) + f.amount
    out: list[Week] = []
    balance = opening
    for i, kinds in enumerate(per):
        receipts = sum(v for v in kinds.values() if v > 0)
        payments = sum(v for v in kinds.values() if v < 0)
        start = as_of + timedelta(days=7 * i + 1)
        closing = balance + receipts + payments
        ordered = {k: kinds[k] for k in sorted(kinds, key=_kind_order)}
        out.append(
            Week(
                i + 1,
                start,
                start + timedelta(days=6),
                balance,
                receipts,
                payments,
                closing,
                ordered,
            )
        )
        balance = closing
    return Forecast(as_of, opening, tuple(out))


def _kind_order(kind: str) -> tuple[int, str]:
    return (KINDS.index(kind), kind) if kind in KINDS else (len(KINDS), kind)


def horizon_end(as_of: date, weeks: int = WEEKS) -> date:
    return as_of + timedelta(days=7 * weeks)


def _on_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def months_between(start: date, end: date) -> list[tuple[int, int]]:
    """Calendar months (year, month) from ``start``'s month to ``end``'s month inclusive."""
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@dataclass(frozen=True)
class Recurring:
    """A monthly flow learned from the history: ``amount`` (signed yen) on ``day`` of the month."""

    kind: str
    amount: int
    day: int
    months_seen: int


def learn_recurring(
    history: Iterable[tuple[date, int, str]],
    as_of: date,
    kinds: Sequence[str] = (*RECURRING_KINDS, *TRADE_KINDS),
    lookback_months: int = 3,
) -> list[Recurring]:
    """Monthly flows of ``kinds`` from bank transactions ``(booked_on, amount, kind)``.

    For each kind, the totals of the last ``lookback_months`` complete calendar months before
    the as-of month (and the as-of month itself, when it is its last day); a kind paid in at
    least two of them recurs: its amount is the median of the monthly totals (the lower middle
    of an even count, so it is one of them), its day the day of month of the latest payment.
    A kind that stopped (absent in the latest of those months) does not recur.
    """
    last_full = (as_of.year, as_of.month)
    if as_of.day != calendar.monthrange(as_of.year, as_of.month)[1]:
        last_full = (as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)
    months: list[tuple[int, int]] = []
    y, m = last_full
    for _ in range(lookback_months):
        months.append((y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    window = set(months)
    totals: dict[str, dict[tuple[int, int], int]] = {}
    latest: dict[str, date] = {}
    for on, amount, kind in history:
        if kind not in kinds or (on.year, on.month) not in window:
            continue
        totals.setdefault(kind, {})
        key = (on.year, on.month)
        totals[kind][key] = totals[kind].get(key, 0) + amount
        if kind not in latest or on > latest[kind]:
            latest[kind] = on
    out = []
    for kind in kinds:
        seen = totals.get(kind, {})
        if len(seen) < 2 or months[0] not in seen:
            continue
        values = sorted(seen.values(), key=abs)
        out.append(Recurring(kind, values[(len(values) - 1) // 2], latest[kind].day, len(seen)))
    return out


def recurring_lines(recurring: Iterable[Recurring], as_of: date, weeks: int = WEEKS) -> list[Flow]:
    """One line per month and recurring (non-trade) kind within the horizon, after the as-of date."""
    end = horizon_end(as_of, weeks)
    out = []
    for r in recurring:
        if r.kind in TRADE_KINDS:
            continue
        for y, m in months_between(as_of, end):
            on = _on_day(y, m, r.day)
            if as_of < on <= end:
                out.append(Flow(on, r.amount, r.kind))
    return out


def run_rate_lines(
    recurring: Iterable[Recurring], open_items: Iterable[Flow], as_of: date, weeks: int = WEEKS
) -> list[Flow]:
    """The trade run rate beyond the open items, month by month.

    For a learned ``sales_receipt`` (``supplier_payment``) of A yen a month, each calendar month
    in the horizon gets max(0, |A| − |open receivables (payables) due that month|) on the learned
    day, if that day lies in the horizon. Open items overdue at the as-of date count in the
    as-of month.
    """
    end = horizon_end(as_of, weeks)
    due: dict[tuple[str, int, int], int] = {}
    for f in open_items:
        on = max(f.on, as_of)
        key = (f.kind, on.year, on.month)
        due[key] = due.get(key, 0) + abs(f.amount)
    out = []
    for r in recurring:
        item_kind = TRADE_KINDS.get(r.kind)
        if item_kind is None:
            continue
        sign = 1 if r.amount >= 0 else -1
        for y, m in months_between(as_of, end):
            on = _on_day(y, m, r.day)
            if not as_of < on <= end:
                continue
            rest = abs(r.amount) - due.get((item_kind, y, m), 0)
            if rest > 0:
                out.append(Flow(on, sign * rest, r.kind))
    return out


# ---------------------------------------------------------------- 12-month outlook


@dataclass(frozen=True)
class OutlookMonth:
    year: int
    month: int
    opening: int
    operating: int  # the month's cash from operations (TTM-based, see ``monthly_outlook``)
    principal: int  # scheduled principal repayments (≥ 0, paid out)
    interest_shock: int  # extra interest of a rate stress (≥ 0, paid out)
    closing: int


def monthly_operating_cash(
    ttm_ordinary_profit: int, ttm_depreciation: int, ttm_income_taxes: int
) -> int:
    """The month's cash from operations on the trial balances: (経常利益 + 減価償却費 − 法人税等)
    over the last 12 months, ÷ 12, rounded down to the yen (interest is inside 経常利益)."""
    return (ttm_ordinary_profit + ttm_depreciation - ttm_income_taxes) // 12


def monthly_outlook(
    opening: int,
    start: tuple[int, int],
    operating: int,
    principal_by_month: Mapping[tuple[int, int], int],
    months: int = 12,
    extra_interest_per_month: int = 0,
) -> list[OutlookMonth]:
    """12 months from ``start`` (year, month): the cash at the end of each month."""
    out = []
    y, m = start
    bal = opening
    for _ in range(months):
        p = principal_by_month.get((y, m), 0)
        closing = bal + operating - p - extra_interest_per_month
        out.append(OutlookMonth(y, m, bal, operating, p, extra_interest_per_month, closing))
        bal = closing
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# ---------------------------------------------------------------- 据置期間終了 / rate stress


@dataclass(frozen=True)
class GraceEnd:
    """When principal starts after a grace period (据置期間) and what it adds per month."""

    loan: str
    first_principal_on: date
    monthly_principal: int  # the first scheduled principal after the grace period


def grace_ends(
    schedules: Mapping[str, Iterable[tuple[date, int, int]]],
    grace_end: Mapping[str, date | None],
    as_of: date,
    within_months: int = 12,
) -> list[GraceEnd]:
    """Loans whose grace period ends after ``as_of`` and within ``within_months``: the first
    instalment with principal after the grace end, from each loan's schedule
    ``(due_date, principal, interest)``."""
    limit_y, limit_m = divmod(as_of.year * 12 + as_of.month - 1 + within_months, 12)
    limit = _on_day(limit_y, limit_m + 1, 31)
    out = []
    for loan, rows in schedules.items():
        ge = grace_end.get(loan)
        if ge is None or ge <= as_of or ge > limit:
            continue
        first = next(((d, p) for d, p, _ in sorted(rows) if d > ge and p > 0), None)
        if first is not None:
            out.append(GraceEnd(loan, first[0], first[1]))
    return sorted(out, key=lambda g: (g.first_principal_on, g.loan))


STRESS_POINTS_BP = (25, 50, 100, 200)


def extra_interest(debt: int, bp: int) -> int:
    """A year's extra interest on ``debt`` yen at +``bp`` basis points, rounded up to the yen."""
    return -(-debt * bp // 10_000)


def turns_to_ordinary_loss(ttm_ordinary_profit: int, debt: int, bp: int) -> bool:
    """経常黒字 (≥ 0) before the stress and 経常赤字 (< 0) after it."""
    return ttm_ordinary_profit >= 0 and ttm_ordinary_profit - extra_interest(debt, bp) < 0


# ---------------------------------------------------------------- assembling one business's forecast


@dataclass(frozen=True)
class Instalment:
    """A scheduled loan instalment not yet paid."""

    loan: str
    due: date
    principal: int
    interest: int


@dataclass(frozen=True)
class OpenItemLine:
    """A receivable (+) or payable (−) expected on ``due`` (None: unknown, counted in week 1)."""

    side: str  # "receivable" | "payable"
    amount: int  # ≥ 0
    due: date | None
    counterparty: str = ""


def trade_history(history: Iterable[tuple[date, int, str]]) -> list[tuple[date, int, str]]:
    """Bank history with unclassified money (kind ``other``) read as trade: money in as
    customer receipts (``sales_receipt``), money out as supplier payments
    (``supplier_payment``). Loans, interest, transfers and the kinds with names stay as they are."""
    return [
        (d, a, ("sales_receipt" if a > 0 else "supplier_payment") if k == "other" else k)
        for d, a, k in history
    ]


@dataclass(frozen=True)
class CashPlan:
    forecast: Forecast
    recurring: tuple[Recurring, ...]
    lines: tuple[Flow, ...]


def build_forecast(
    opening: int,
    as_of: date,
    history: Iterable[tuple[date, int, str]],
    open_items: Iterable[OpenItemLine],
    instalments: Iterable[Instalment],
    weeks: int = WEEKS,
) -> CashPlan:
    """One business's 13-week forecast from its bank history, open items and loan schedules.

    Open items by due date (receivables +, payables −; an unknown due date counts in week 1),
    the loans' unpaid instalments (principal and interest; overdue ones in week 1), recurring
    flows learned from the history, and the trade run rate beyond the open items.
    """
    items = [
        Flow(
            o.due or as_of,
            o.amount if o.side == "receivable" else -o.amount,
            "receivable" if o.side == "receivable" else "payable",
            o.counterparty,
        )
        for o in open_items
    ]
    loans = [
        f
        for i in instalments
        for f in (
            Flow(i.due, -i.principal, "loan_principal", i.loan),
            Flow(i.due, -i.interest, "loan_interest", i.loan),
        )
        if f.amount
    ]
    rec = learn_recurring(trade_history(history), as_of)
    lines = [
        *items,
        *loans,
        *recurring_lines(rec, as_of, weeks),
        *run_rate_lines(rec, items, as_of, weeks),
    ]
    return CashPlan(weekly_forecast(opening, as_of, lines, weeks), tuple(rec), tuple(lines))
