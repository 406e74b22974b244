"""Report figures and periods, by hand: P/L items summed over the period, B/S at its end, plan
and last year side by side, unknown never zero; a report's moves."""

from __future__ import annotations

from datetime import date

import pytest

from kizashi.domain.periods import add_months
from kizashi.domain.plans import Granularity
from kizashi.domain.reports import (
    ReportCadence,
    due_on,
    move,
    next_period,
    period_for,
    period_timeliness,
    report_figures,
)


def _m(y: int, m: int) -> date:
    return date(y, m, 1)


MONTHLY = {
    _m(2024, 4): {"sales": 900, "gross_profit": 400, "operating_profit": 100, "cash": 50},
    _m(2024, 5): {"sales": 800, "gross_profit": 300, "operating_profit": 0, "cash": 60},
    _m(2024, 6): {"sales": 800, "gross_profit": 300, "operating_profit": 0, "cash": 70},
    _m(2025, 4): {"sales": 1000, "gross_profit": 400, "operating_profit": 100, "cash": 80},
    _m(2025, 5): {"sales": 800, "gross_profit": 300, "operating_profit": -50, "cash": 90},
    _m(2025, 6): {"sales": 850, "gross_profit": 350, "operating_profit": 50, "cash": 95},
}
TARGETS = {_m(2025, m): {"sales": 1000, "cash": 100} for m in (4, 5, 6)}


def test_quarter_against_plan_and_last_year():
    got = {f.item: f for f in report_figures(MONTHLY, _m(2025, 4), _m(2025, 6), targets=TARGETS)}
    sales = got["sales"]
    assert (sales.plan, sales.actual, sales.last_year) == (3000, 2650, 2500)
    assert (sales.deviation, sales.change) == (-350, 150)
    assert (got["cash"].plan, got["cash"].actual, got["cash"].last_year) == (100, 95, 70)
    assert got["operating_profit"].actual == 100 and got["operating_profit"].change == 0
    # no target for gross profit: no plan, no deviation (not zero)
    assert got["gross_profit"].plan is None and got["gross_profit"].deviation is None
    assert got["borrowings"].actual is None


def test_a_missing_month_makes_the_flow_unknown():
    monthly = {k: v for k, v in MONTHLY.items() if k != _m(2025, 5)}
    got = {f.item: f for f in report_figures(monthly, _m(2025, 4), _m(2025, 6))}
    assert got["sales"].actual is None and got["sales"].change is None
    assert got["cash"].actual == 95  # a balance needs only the last month


def test_annual_plan_only_for_exactly_its_fiscal_year():
    targets = {_m(2026, 3): {"sales": 12_000}}
    monthly = {add_months(_m(2025, 4), i): {"sales": 1000} for i in range(12)}
    year = report_figures(
        monthly, _m(2025, 4), _m(2026, 3), targets=targets, granularity=Granularity.ANNUAL
    )
    assert year[0].plan == 12_000 and year[0].actual == 12_000 and year[0].deviation == 0
    quarter = report_figures(
        monthly, _m(2026, 1), _m(2026, 3), targets=targets, granularity=Granularity.ANNUAL
    )
    assert quarter[0].plan is None and quarter[0].actual == 3000


def test_periods_cadence_and_due_dates():
    assert period_for(ReportCadence.QUARTERLY, date(2025, 6, 17)) == (_m(2025, 4), _m(2025, 6))
    assert period_for(ReportCadence.YEARLY, _m(2026, 3)) == (_m(2025, 4), _m(2026, 3))
    assert next_period(ReportCadence.QUARTERLY, _m(2025, 12)) == (_m(2026, 1), _m(2026, 3))
    assert next_period(ReportCadence.NONE, _m(2025, 12)) is None
    assert due_on(_m(2025, 6)) == date(2025, 7, 30)
    assert due_on(_m(2026, 2), 45) == date(2026, 4, 14)


def test_timeliness_of_the_period_and_moves():
    statuses = {date(2025, 4, 30): "on_time", date(2025, 5, 31): "late"}
    t = period_timeliness(statuses, _m(2025, 4), _m(2025, 6))
    assert (t.on_time, t.late, t.missing, t.due) == (1, 1, 0, 1)
    assert move("draft", "send") == "sent"
    assert move("sent", "withdraw") == "withdrawn"
    with pytest.raises(ValueError, match="送付済"):
        move("sent", "send")
