"""Trial balances are cumulative from the fiscal-year start: monthly flows are differences.

``TrialBalance`` is a month's cumulative statement (P/L items year to date, B/S items at
month end). ``monthly_rows`` turns a business's sequence of them into panel rows (P/L
flows of the month alone, B/S balances), leaving gaps explicit: a P/L flow is only computed
when the previous month of the same fiscal year is present, or the month is the first of
its fiscal year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from .chart import Chart, load_chart
from .periods import add_months


@dataclass(frozen=True)
class TrialBalance:
    month: date  # first day of the month the statement closes
    fiscal_year_start: date
    amounts: Mapping[str, int]  # leaf code → yen (cumulative for P/L)


@dataclass(frozen=True)
class MonthRow:
    month: date
    fiscal_year_start: date
    amounts: dict[str, int | None]  # P/L: flow of the month (None if not derivable); B/S: balance


def monthly_rows(tbs: Iterable[TrialBalance], chart: Chart | None = None) -> list[MonthRow]:
    chart = chart or load_chart()
    pl = [i.code for i in chart.leaves if i.statement == "PL"]
    bs = [i.code for i in chart.leaves if i.statement == "BS"]
    by_month = {tb.month: tb for tb in tbs}
    rows = []
    for month in sorted(by_month):
        tb = by_month[month]
        prev = by_month.get(add_months(month, -1))
        first_of_year = month == tb.fiscal_year_start
        same_year_prev = (
            prev if prev is not None and prev.fiscal_year_start == tb.fiscal_year_start else None
        )
        amounts: dict[str, int | None] = {c: tb.amounts.get(c, 0) for c in bs}
        for c in pl:
            if first_of_year:
                amounts[c] = tb.amounts.get(c, 0)
            elif same_year_prev is not None:
                amounts[c] = tb.amounts.get(c, 0) - same_year_prev.amounts.get(c, 0)
            else:
                amounts[c] = None
        rows.append(MonthRow(month, tb.fiscal_year_start, amounts))
    return rows


def cumulate(
    rows: Iterable[tuple[date, date, Mapping[str, int]]], chart: Chart | None = None
) -> list[TrialBalance]:
    """The inverse: (month, fiscal_year_start, monthly amounts) → cumulative trial balances."""
    chart = chart or load_chart()
    pl = {i.code for i in chart.leaves if i.statement == "PL"}
    out: list[TrialBalance] = []
    running: dict[str, int] = {}
    current_fy: date | None = None
    for month, fy_start, amounts in sorted(rows, key=lambda r: r[0]):
        if fy_start != current_fy:
            running = {}
            current_fy = fy_start
        cum = {}
        for code, value in amounts.items():
            if code in pl:
                running[code] = running.get(code, 0) + value
                cum[code] = running[code]
            else:
                cum[code] = value
        for code in pl:
            if code in running and code not in cum:
                cum[code] = running[code]
        out.append(TrialBalance(month, fy_start, cum))
    return out
