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
``(plan − actual) × 100 ≥ plan × pct`` with plan > 0.
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


def shortfall(
    comparison: Sequence[PeriodComparison], item: str = "sales", pct: int = 10, months: int = 3
) -> Shortfall:
    """The sustained-shortfall check over a monthly comparison, month by month, up to the last
    month whose cumulative actual is known."""
    history = []
    run = 0
    for pc in comparison:
        ic = pc.item(item)
        if ic.cumulative_actual is None:
            break
        holds = below(ic.cumulative_plan, ic.cumulative_actual, pct)
        run = run + 1 if holds else 0
        history.append(ShortfallMonth(pc.period, holds, run, run >= months))
    return Shortfall(item, pct, months, tuple(history))
