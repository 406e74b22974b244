"""Write monthly trial balances in a format, analyse the file: the same numbers, exactly."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizashi.domain.chart import load_chart
from kizashi.ingest import analyse
from kizashi.ingest.report import MonthlyTrialBalance
from kizashi.ingest.writers import WRITERS, cumulative_from_flows, write

CHART = load_chart()
PL = [i.code for i in CHART.leaves if i.statement == "PL"]
BS_DEBIT = [i.code for i in CHART.leaves if i.statement == "BS" and i.side == "debit"]
BS_CREDIT = [i.code for i in CHART.leaves if i.statement == "BS" and i.side == "credit"]


def _balanced(amounts: dict[str, int]) -> dict[str, int]:
    """Make the B/S balance by putting the difference into cash."""
    out = {k: v for k, v in amounts.items() if v}
    diff = CHART.balance_difference(out)
    out["cash_and_deposits"] = out.get("cash_and_deposits", 0) - diff
    return {k: v for k, v in out.items() if v}


amount = st.integers(min_value=-(10**9), max_value=10**10)


@st.composite
def series(draw: st.DrawFn) -> list[MonthlyTrialBalance]:
    start_month = draw(st.integers(1, 12))
    n = draw(st.integers(1, 14))
    year = draw(st.integers(2019, 2030))
    codes = draw(
        st.lists(st.sampled_from(PL + BS_DEBIT + BS_CREDIT), min_size=1, max_size=8, unique=True)
    )
    out = []
    for k in range(n):
        idx = year * 12 + start_month - 1 + k
        first = date(idx // 12, idx % 12 + 1, 1)
        nxt = date((idx + 1) // 12, (idx + 1) % 12 + 1, 1)
        fy = date(first.year if first.month >= start_month else first.year - 1, start_month, 1)
        amounts = _balanced({c: draw(amount) for c in codes})
        out.append(MonthlyTrialBalance(date.fromordinal(nxt.toordinal() - 1), fy, amounts))
    return out


@pytest.mark.parametrize("fmt", sorted(WRITERS))
@settings(max_examples=15, deadline=None)
@given(months=series())
def test_round_trip(fmt: str, months: list[MonthlyTrialBalance]) -> None:
    data = write(fmt, months)
    start = months[0].fiscal_year_start.month
    report = analyse(data, f"export.{fmt}.csv", fiscal_year_start_month=start)
    assert report.format == fmt
    assert [(m.period_end, m.fiscal_year_start, m.amounts) for m in report.months] == [
        (m.period_end, m.fiscal_year_start, m.amounts) for m in months
    ]
    assert report.ok, report.errors


def test_trial_balance_export_is_cp932_and_reads_back() -> None:
    months = [
        MonthlyTrialBalance(
            date(2025, 4, 30), date(2025, 4, 1), {"cash_and_deposits": 100, "sales": 100}
        )
    ]
    data = write("table", months)
    data.decode("cp932")
    report = analyse(data, "tb.csv", fiscal_year_start_month=4)
    assert report.encoding == "cp932" and report.months[0].amounts == months[0].amounts


def test_panel_flows_to_cumulative() -> None:
    rows = [
        {
            "month": date(2025, 3, 1),
            "fiscal_year_start": date(2024, 4, 1),
            "sales": 10,
            "cash_and_deposits": 10,
        },
        {
            "month": date(2025, 4, 1),
            "fiscal_year_start": date(2025, 4, 1),
            "sales": 5,
            "cash_and_deposits": 15,
            "retained_earnings": 10,
        },
        {
            "month": date(2025, 5, 1),
            "fiscal_year_start": date(2025, 4, 1),
            "sales": 7,
            "cash_and_deposits": 22,
            "retained_earnings": 10,
        },
    ]
    cum = cumulative_from_flows(rows)
    assert [m.amounts.get("sales") for m in cum] == [10, 5, 12]
    report = analyse(write("moneyforward", cum), "mf.csv", fiscal_year_start_month=4)
    # March: the fiscal year began before the data, so its own flow is unknown
    assert [m.flows and m.flows["sales"] for m in report.months] == [None, 5, 7]


def test_consecutive_trial_balances_do_not_warn_about_opening_balances() -> None:
    """Credit accounts shown positive (the usual layout): 前月残高 equals last month's 残高."""
    months = [
        MonthlyTrialBalance(
            date(2026, 4, 30),
            date(2026, 4, 1),
            _balanced({"cash_and_deposits": 1_000, "long_term_borrowings": 700, "sales": 300}),
        ),
        MonthlyTrialBalance(
            date(2026, 5, 31),
            date(2026, 4, 1),
            _balanced({"cash_and_deposits": 1_500, "long_term_borrowings": 650, "sales": 850}),
        ),
    ]
    report = analyse(write("table", months), "tb.csv", fiscal_year_start_month=4)
    assert report.errors == []
    assert [w for w in report.warnings if w.code == "opening.mismatch"] == []
