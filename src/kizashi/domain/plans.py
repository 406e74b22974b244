"""Business plans and plan against actual (予実管理). Pure: no database.

A plan (``PlanKind``) has versions; a version has targets per month (``monthly``) or per fiscal
year (``annual``) for the items of ``ITEMS`` — P/L items (売上高, 売上総利益, 営業利益) are the
period's flow, B/S items (現預金, 借入金) the balance at its end — all int yen.

``compare`` sets a version's targets against the actual monthly figures read from the trial
balances (``access.reads.read_monthly_series``): per period and item the plan, the actual and the
deviation (actual − plan), exact to the yen; for P/L items also the cumulative plan, actual and
deviation from the plan's first period (unknown from the first period whose actual is unknown).

``shortfall`` is the sustained-shortfall check (計画未達の継続): it holds in a month when the
cumulative actual of an item (default 売上高) is at least ``pct`` % below the cumulative plan,
and fires when it has held for ``months`` consecutive plan months (default 10 %, 3 months); it
clears in the first month it no longer holds. Integer arithmetic only: the shortfall holds when
``(plan − actual) × 100 ≥ plan × pct`` with plan > 0. The check follows the plan month by month
from its first period and stops at the first month whose cumulative plan or actual is unknown
(a month without a trial balance, a month without a target, or a month the plan skips): what
it said last stands.

The default rule pack's ``plan.sales_shortfall`` and ``plan.operating_profit_shortfall`` are the
same check over every business in a monitoring run: ``plan_months`` lays a monthly plan out as
the rows the engine joins (``PLAN_FEATURES``, one row per month of the plan with its position),
and the rules sum plan and actual from the plan's first month (``plan_to_date``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from .periods import add_months, month_start


class PlanKind(enum.StrEnum):
    BUSINESS = "business"  # 事業計画
    CASH_FLOW = "cash_flow"  # 資金繰り計画
    EARNINGS_ACTION = "earnings_action"  # 収益力改善アクションプラン
    EARLY_IMPROVEMENT = "early_improvement"  # 早期経営改善計画
    IMPROVEMENT = "improvement"  # 経営改善計画


PLAN_KIND_JA = {
    PlanKind.BUSINESS: "事業計画",
    PlanKind.CASH_FLOW: "資金繰り計画",
    PlanKind.EARNINGS_ACTION: "収益力改善アクションプラン",
    PlanKind.EARLY_IMPROVEMENT: "早期経営改善計画",
    PlanKind.IMPROVEMENT: "経営改善計画",
}


class Granularity(enum.StrEnum):
    MONTHLY = "monthly"
    ANNUAL = "annual"


ITEMS = ("sales", "gross_profit", "operating_profit", "cash", "borrowings")
FLOW_ITEMS = frozenset({"sales", "gross_profit", "operating_profit"})
ITEM_JA = {
    "sales": "売上高",
    "gross_profit": "売上総利益",
    "operating_profit": "営業利益",
    "cash": "現預金",
    "borrowings": "借入金",
}
# the monthly series (access.reads.PL_SERIES / BS_SERIES) each item is compared with
ACTUAL_SERIES = {
    "sales": "sales",
    "gross_profit": "gross_profit",
    "operating_profit": "operating_profit",
    "cash": "cash_and_deposits",
    "borrowings": "borrowings",
}

Figures = Mapping[str, int | None]

# The plan figures a rule reads (business × month, NULL outside a plan): the month's target of
# the business's plan in force (its monthly plan with the newest version), int yen.
PLAN_FEATURES: tuple[tuple[str, str, str], ...] = (
    ("plan_sales", "計画の売上高(その月の目標、円)", "planned sales for the month (yen)"),
    (
        "plan_gross_profit",
        "計画の売上総利益(その月の目標、円)",
        "planned gross profit for the month (yen)",
    ),
    (
        "plan_operating_profit",
        "計画の営業利益(その月の目標、円)",
        "planned operating profit for the month (yen)",
    ),
)
PLAN_FEATURE_COLUMNS = tuple(n for n, _, _ in PLAN_FEATURES)


@dataclass(frozen=True)
class ItemComparison:
    item: str
    plan: int | None
    actual: int | None
    deviation: int | None  # actual − plan
    cumulative_plan: int | None = None  # P/L items only
    cumulative_actual: int | None = None
    cumulative_deviation: int | None = None


@dataclass(frozen=True)
class PeriodComparison:
    period: date  # monthly: the month's first day; annual: the fiscal year's last month
    items: tuple[ItemComparison, ...]

    def item(self, code: str) -> ItemComparison:
        return next(i for i in self.items if i.item == code)


@dataclass(frozen=True)
class ShortfallMonth:
    period: date
    holds: bool  # cumulative actual ≥ pct % below plan this month
    run: int  # consecutive months it has held, up to this one
    firing: bool  # run ≥ months


@dataclass(frozen=True)
class Shortfall:
    item: str
    pct: int
    months: int
    history: tuple[ShortfallMonth, ...]

    @property
    def firing(self) -> bool:
        """Whether the check fires in the latest month with a known cumulative actual."""
        return bool(self.history) and self.history[-1].firing

    @property
    def since(self) -> date | None:
        """The month the current firing began (None when not firing)."""
        if not self.firing:
            return None
        last = self.history[-1]
        return self.history[len(self.history) - 1 - (last.run - self.months)].period


def _sub(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a - b


def annual_actuals(monthly: Mapping[date, Figures], year_ends: Sequence[date]) -> dict[date, dict]:
    """The actual figures of the fiscal years ending in each month of ``year_ends``: P/L items
    summed over the year's twelve months (unknown if any month is), B/S at the year's end."""
    out: dict[date, dict[str, int | None]] = {}
    for end in year_ends:
        end = month_start(end)
        months = [add_months(end, -k) for k in range(11, -1, -1)]
        figures: dict[str, int | None] = {}
        for item in ITEMS:
            series = ACTUAL_SERIES[item]
            if item in FLOW_ITEMS:
                vals = [monthly.get(m, {}).get(series) for m in months]
                figures[item] = (
                    None if any(v is None for v in vals) else sum(v for v in vals if v is not None)
                )
            else:
                figures[item] = monthly.get(end, {}).get(series)
        out[end] = figures
    return out


def compare(
    targets: Mapping[date, Figures], actuals: Mapping[date, Figures]
) -> tuple[PeriodComparison, ...]:
    """Each target period (oldest first) against the actual figures of that period.

    ``targets``: period → item → plan (``ITEMS``). ``actuals``: period → item → actual, keyed
    by the same periods and items (monthly: ``monthly_actuals``; annual: ``annual_actuals``)."""
    out = []
    cum_plan: dict[str, int | None] = dict.fromkeys(FLOW_ITEMS, 0)
    cum_actual: dict[str, int | None] = dict.fromkeys(FLOW_ITEMS, 0)
    for period in sorted(targets):
        plan = targets[period]
        actual = actuals.get(period, {})
        items = []
        for item in ITEMS:
            p, a = plan.get(item), actual.get(item)
            if item in FLOW_ITEMS:
                cp, ca = cum_plan[item], cum_actual[item]
                cum_plan[item] = cp = None if cp is None or p is None else cp + p
                cum_actual[item] = ca = None if ca is None or a is None else ca + a
                items.append(ItemComparison(item, p, a, _sub(a, p), cp, ca, _sub(ca, cp)))
            else:
                items.append(ItemComparison(item, p, a, _sub(a, p)))
        out.append(PeriodComparison(period, tuple(items)))
    return tuple(out)


def monthly_actuals(points: Sequence[tuple[date, Figures]]) -> dict[date, dict[str, int | None]]:
    """The plan items of each month of a monthly series (month, series values)."""
    return {
        month_start(m): {item: values.get(ACTUAL_SERIES[item]) for item in ITEMS}
        for m, values in points
    }


def below(plan: int | None, actual: int | None, pct: int) -> bool:
    """Whether ``actual`` is at least ``pct`` % below ``plan`` (plan > 0), exactly."""
    if plan is None or actual is None or plan <= 0:
        return False
    return (plan - actual) * 100 >= plan * pct


def plan_months(targets: Mapping[date, Figures]) -> list[tuple[date, int, dict[str, int | None]]]:
    """A monthly plan as the rules read it: every month from its first to its last period (a
    month the plan skips included, without targets), with its position (0 = the first month)
    and the flow items' targets keyed as ``PLAN_FEATURE_COLUMNS``."""
    if not targets:
        return []
    first, last = month_start(min(targets)), month_start(max(targets))
    by_month = {month_start(p): f for p, f in targets.items()}
    out = []
    pos, m = 0, first
    while m <= last:
        f = by_month.get(m, {})
        out.append(
            (m, pos, {f"plan_{i}": f.get(i) for i in ("sales", "gross_profit", "operating_profit")})
        )
        pos, m = pos + 1, add_months(m, 1)
    return out


def shortfall(
    comparison: Sequence[PeriodComparison], item: str = "sales", pct: int = 10, months: int = 3
) -> Shortfall:
    """The sustained-shortfall check over a monthly comparison, month by month, up to the last
    month whose cumulative plan and actual are known (and no month of the plan skipped)."""
    history = []
    run = 0
    for k, pc in enumerate(comparison):
        ic = pc.item(item)
        if ic.cumulative_actual is None or ic.cumulative_plan is None:
            break
        if k and pc.period != add_months(comparison[k - 1].period, 1):
            break
        holds = below(ic.cumulative_plan, ic.cumulative_actual, pct)
        run = run + 1 if holds else 0
        history.append(ShortfallMonth(pc.period, holds, run, run >= months))
    return Shortfall(item, pct, months, tuple(history))
