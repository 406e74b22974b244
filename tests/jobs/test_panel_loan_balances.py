"""The panel's monthly loan balances (``panel_sync.loan_balances_sql``): a loan marked 完済
counts 0 from the month it was paid off, even when no instalment pays the rest (a loan entered
by a bank and closed by hand, as the demo and the loans page do)."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

from kizashi.jobs.panel_sync import loan_balances_sql
from kizashi.store.analytics_schema import PANEL


def _balances(paid_off_on: date | None) -> dict[date, tuple[int, int]]:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE {PANEL} (business_id BIGINT, month DATE)")
    con.execute(f"INSERT INTO {PANEL} VALUES (1, DATE '2026-01-01')")
    loans = pa.table(
        {
            "loan_id": pa.array([10], pa.int64()),
            "business_id": pa.array([1], pa.int64()),
            "original_amount": pa.array([1_000_000], pa.int64()),
            "guarantee_ratio_pct": pa.array([80], pa.int32()),
            "start_date": pa.array([date(2026, 1, 15)], pa.date32()),
            "paid_off_on": pa.array([paid_off_on], pa.date32()),
        }
    )
    paid = pa.table(
        {
            "loan_id": pa.array([10, 10], pa.int64()),
            "principal": pa.array([100_000, 100_000], pa.int64()),
            "paid_on": pa.array([date(2026, 2, 27), date(2026, 3, 27)], pa.date32()),
        }
    )
    con.register("loans", loans)
    con.register("paid", paid)
    rows = con.execute(loan_balances_sql(2026 * 12 + 5 - 1)).fetchall()  # up to May 2026
    return {m: (b, g) for _, m, b, g in rows}


def test_instalments_lower_the_balance_month_by_month() -> None:
    got = _balances(None)
    assert [got[date(2026, m, 1)][0] for m in range(1, 6)] == [
        1_000_000,
        900_000,
        800_000,
        800_000,
        800_000,
    ]
    assert got[date(2026, 5, 1)][1] == 640_000  # 80 % guaranteed


def test_a_paid_off_loan_is_zero_from_its_payoff_month() -> None:
    got = _balances(date(2026, 4, 10))
    assert [got[date(2026, m, 1)] for m in range(1, 6)] == [
        (1_000_000, 800_000),
        (900_000, 720_000),
        (800_000, 640_000),
        (0, 0),  # 完済 in April: nothing outstanding, nothing guaranteed
        (0, 0),
    ]
