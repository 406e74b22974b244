"""The 13-week cash forecast, by hand: known flows and dates give known weekly balances."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizashi.domain.cash import (
    Flow,
    GraceEnd,
    Recurring,
    extra_interest,
    grace_ends,
    learn_recurring,
    monthly_operating_cash,
    monthly_outlook,
    recurring_lines,
    run_rate_lines,
    turns_to_ordinary_loss,
    week_of,
    weekly_forecast,
)

AS_OF = date(2026, 9, 30)  # a Wednesday; week 1 = Oct 1 – Oct 7


def test_weeks_are_the_seven_days_after_the_as_of_date() -> None:
    assert week_of(AS_OF, date(2026, 10, 1)) == 1
    assert week_of(AS_OF, date(2026, 10, 7)) == 1
    assert week_of(AS_OF, date(2026, 10, 8)) == 2
    assert week_of(AS_OF, date(2026, 12, 30)) == 13
    assert week_of(AS_OF, date(2026, 12, 31)) == 14
    assert week_of(AS_OF, date(2026, 9, 1)) == 1  # overdue: expected at once


def test_weekly_balances_to_the_yen() -> None:
    flows = [
        Flow(date(2026, 10, 5), 1_200_000, "receivable", "A社 請求 101"),
        Flow(date(2026, 9, 20), 300_000, "receivable", "overdue"),  # week 1
        Flow(date(2026, 10, 10), -250_000, "rent"),  # week 2
        Flow(date(2026, 10, 25), -1_800_000, "payroll"),  # week 4 (Oct 22–28)
        Flow(date(2026, 10, 26), -123_457, "loan_principal"),
        Flow(date(2026, 10, 26), -4_321, "loan_interest"),
        Flow(date(2026, 11, 30), 999_999, "receivable"),  # week 9 (Nov 26 – Dec 2)
        Flow(date(2027, 1, 5), 5_000_000, "receivable"),  # after week 13: left out
    ]
    f = weekly_forecast(500_000, AS_OF, flows)
    assert len(f.weeks) == 13
    closing = [w.closing for w in f.weeks]
    # 500,000 + 1,500,000 = 2,000,000; − 250,000 = 1,750,000; − 1,927,778 = −177,778; + 999,999
    assert closing[:4] == [2_000_000, 1_750_000, 1_750_000, -177_778]
    assert closing[4:8] == [-177_778] * 4
    assert closing[8:] == [822_221] * 5
    w4 = f.weeks[3]
    assert (w4.start, w4.end) == (date(2026, 10, 22), date(2026, 10, 28))
    assert w4.payments == -1_927_778 and w4.receipts == 0
    assert list(w4.by_kind) == ["payroll", "loan_principal", "loan_interest"]
    s = f.shortfall
    assert s is not None
    assert (s.week, s.start, s.amount, s.lowest_week) == (4, date(2026, 10, 22), -177_778, 4)
    assert f.lowest == -177_778


def test_no_shortfall_when_the_balance_stays_at_or_above_zero() -> None:
    f = weekly_forecast(100, AS_OF, [Flow(date(2026, 10, 2), -100, "rent")])
    assert f.shortfall is None and f.closing == 0


def test_amounts_must_be_whole_yen() -> None:
    with pytest.raises(TypeError):
        weekly_forecast(0, AS_OF, [Flow(date(2026, 10, 2), 1.5, "rent")])  # type: ignore[arg-type]


def _history() -> list[tuple[date, int, str]]:
    rows = []
    for month, pay in ((6, -1_700_000), (7, -1_800_000), (8, -1_750_000), (9, -1_900_000)):
        rows.append((date(2026, month, 25), pay, "payroll"))
        rows.append((date(2026, month, 27), -250_000, "rent"))
        rows.append((date(2026, month, 10), 2_000_000 + month, "sales_receipt"))
    rows.append((date(2026, 7, 31), -90_000, "tax"))  # once: not recurring
    rows.append((date(2026, 8, 12), -40_000, "utilities"))
    rows.append((date(2026, 7, 12), -42_000, "utilities"))  # stopped in September
    return rows


def test_recurring_flows_are_learned_from_three_complete_months() -> None:
    learned = {r.kind: r for r in learn_recurring(_history(), AS_OF)}
    # September is complete on Sep 30: Jul, Aug, Sep; median payroll of 1.8M, 1.75M, 1.9M
    assert learned["payroll"] == Recurring("payroll", -1_800_000, 25, 3)
    assert learned["rent"] == Recurring("rent", -250_000, 27, 3)
    assert learned["sales_receipt"].amount == 2_000_008
    assert "tax" not in learned  # seen once
    assert "utilities" not in learned  # absent in the latest month: stopped
    # a mid-month as-of date uses the months before it
    mid = {r.kind: r for r in learn_recurring(_history(), date(2026, 9, 15))}
    assert mid["payroll"].amount == -1_750_000  # Jun, Jul, Aug
    assert "utilities" in mid


def test_recurring_and_run_rate_lines_fill_the_horizon() -> None:
    rec = [Recurring("payroll", -1_000_000, 25, 3), Recurring("sales_receipt", 900_000, 10, 3)]
    lines = recurring_lines(rec, AS_OF)
    assert [f.on for f in lines] == [date(2026, 10, 25), date(2026, 11, 25), date(2026, 12, 25)]
    open_items = [
        Flow(date(2026, 10, 31), 600_000, "receivable"),
        Flow(date(2026, 9, 1), 400_000, "receivable"),  # overdue: counts in September (as-of month)
        Flow(date(2026, 11, 30), 1_000_000, "receivable"),
    ]
    rr = run_rate_lines(rec, open_items, AS_OF)
    # October: 900,000 − 600,000; November: covered by the open 1,000,000; December: all
    assert [(f.on, f.amount) for f in rr] == [
        (date(2026, 10, 10), 300_000),
        (date(2026, 12, 10), 900_000),
    ]
    f = weekly_forecast(0, AS_OF, [*open_items, *lines, *rr])
    # week 2 (Oct 8–14) gets the run rate; week 1 the overdue 400,000
    assert [w.closing for w in f.weeks][:5] == [400_000, 700_000, 700_000, -300_000, 300_000]


def test_day_31_is_the_months_last_day() -> None:
    lines = recurring_lines([Recurring("rent", -1, 31, 3)], AS_OF)
    assert [f.on for f in lines] == [date(2026, 10, 31), date(2026, 11, 30)]


def test_monthly_outlook_and_grace_end() -> None:
    op = monthly_operating_cash(12_000_000, 2_400_000, 1_200_001)
    assert op == 1_099_999  # (12,000,000 + 2,400,000 − 1,200,001) // 12
    rows = monthly_outlook(1_000_000, (2026, 10), 100_000, {(2027, 4): 500_000, (2027, 5): 500_000})
    assert [r.closing for r in rows][:8] == [
        1_100_000,
        1_200_000,
        1_300_000,
        1_400_000,
        1_500_000,
        1_600_000,
        1_200_000,
        800_000,
    ]
    assert rows[-1].closing == 1_000_000 + 12 * 100_000 - 1_000_000
    sched = {
        "L1": [(date(2027, 3, 25), 0, 1_000), (date(2027, 4, 25), 250_000, 1_000)],
        "L2": [(date(2028, 4, 25), 100_000, 500)],  # grace ends beyond 12 months
        "L3": [(date(2026, 10, 25), 50_000, 10)],  # no grace period
    }
    grace = {"L1": date(2027, 3, 31), "L2": date(2028, 3, 31), "L3": None}
    assert grace_ends(sched, grace, AS_OF) == [GraceEnd("L1", date(2027, 4, 25), 250_000)]


def test_rate_stress_arithmetic() -> None:
    assert extra_interest(100_000_000, 25) == 250_000
    assert extra_interest(1, 25) == 1  # rounded up
    assert turns_to_ordinary_loss(200_000, 100_000_000, 25)
    assert not turns_to_ordinary_loss(250_000, 100_000_000, 25)  # exactly zero is not a loss
    assert not turns_to_ordinary_loss(-1, 100_000_000, 25)  # already a loss: not new


@given(
    opening=st.integers(-(10**9), 10**9),
    flows=st.lists(st.tuples(st.integers(-30, 120), st.integers(-(10**8), 10**8)), max_size=40),
)
def test_closing_is_opening_plus_all_flows_in_the_horizon(
    opening: int, flows: list[tuple[int, int]]
) -> None:
    from datetime import timedelta

    fl = [
        Flow(AS_OF + timedelta(days=d), a, "receivable" if a >= 0 else "payable") for d, a in flows
    ]
    f = weekly_forecast(opening, AS_OF, fl)
    assert f.closing == opening + sum(a for d, a in flows if d <= 91)
    for prev, w in zip([None, *f.weeks], f.weeks, strict=False):
        if prev is not None:
            assert w.opening == prev.closing
        assert w.closing == w.opening + w.receipts + w.payments


def test_build_forecast_from_history_items_and_loans() -> None:
    from kizashi.domain.cash import Instalment, OpenItemLine, build_forecast

    history = [(date(2026, m, 25), -1_000_000, "payroll") for m in (7, 8, 9)] + [
        (date(2026, m, 10), 1_500_000, "sales_receipt") for m in (7, 8, 9)
    ]
    items = [
        OpenItemLine("receivable", 1_200_000, date(2026, 10, 31), "A"),
        OpenItemLine("payable", 300_000, date(2026, 10, 5), "S"),
        OpenItemLine("payable", 50_000, None, "S"),  # no due date: week 1
    ]
    loans = [Instalment("L1", date(2026, 10, 20), 200_000, 12_345)]
    plan = build_forecast(2_000_000, AS_OF, history, items, loans)
    w = [x.closing for x in plan.forecast.weeks]
    # week 1 (Oct 1–7): − 300,000 − 50,000 → 1,650,000
    # week 2 (Oct 8–14): run rate 1,500,000 − 1,200,000 open due in October = + 300,000 → 1,950,000
    # week 3 (Oct 15–21): − 212,345 → 1,737,655; week 4 (Oct 22–28): payroll − 1,000,000 → 737,655
    # week 5 (Oct 29 – Nov 4): + 1,200,000 → 1,937,655; week 7 (Nov 12–18): Nov 10 is week 6 → + 1,500,000
    assert w[:5] == [1_650_000, 1_950_000, 1_737_655, 737_655, 1_937_655]
    assert w[5] == 3_437_655  # Nov 5–11: the November run rate on the 10th
    assert w[7] == 2_437_655  # Nov 19–25: payroll on the 25th
    assert {r.kind for r in plan.recurring} == {"payroll", "sales_receipt"}
