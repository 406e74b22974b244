"""Annual statements (決算書) in the analytical panel: one row per fiscal year without monthly
trial balances, replaced by the monthly rows as soon as that year has one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from sqlalchemy import select

from kizashi.actions.submissions import do_import_submission
from kizashi.domain.panel import (
    EXTRA_COLUMNS,
    KEY_COLUMNS,
    LATE_CORRECTION_COLUMNS,
    item_columns,
    subtotal_columns,
)
from kizashi.domain.periods import month_end
from kizashi.domain.vocabulary import StatementKind
from kizashi.engine.exec.run import run_monitoring
from kizashi.jobs.panel_sync import read_panel, sync_panel
from kizashi.store.analytics import analytics_path
from kizashi.store.models import Statement, StatementLine
from tests.world import make_world

STATEMENT = Path(__file__).resolve().parents[1] / "ingest" / "fixtures" / "statement.csv"
APRIL = date(2024, 4, 1)


@pytest.fixture
def world(store):
    with store.session() as s:
        return make_world(s)


def _statement(
    s,
    business_id: int,
    kind: StatementKind,
    start: date,
    end: date,
    amounts: dict[str, int],
    version: int = 1,
) -> Statement:
    """A stored statement; an annual one runs from ``start`` to ``end``, a monthly trial balance
    is the month of ``end``, cumulative from the fiscal year starting at ``start``."""
    st = Statement(
        business_id=business_id,
        kind=kind,
        fiscal_year_start=start,
        period_start=start,
        period_end=end,
        version=version,
        created_at=datetime.now(UTC),
    )
    s.add(st)
    s.flush()
    for code, v in amounts.items():
        s.add(StatementLine(statement_id=st.id, item_code=code, as_reported_name="", amount=v))
    return st


def _year(s, business_id: int, fy: int, sales: int, **kw: int) -> Statement:
    """A 決算書 for the fiscal year April ``fy`` – March ``fy + 1``."""
    amounts = {"sales": sales, "purchases": sales // 2, "cash_and_deposits": 1_000 + fy, **kw}
    return _statement(
        s,
        business_id,
        StatementKind.ANNUAL,
        date(fy, 4, 1),
        date(fy + 1, 3, 31),
        amounts,
    )


def _rows(settings) -> dict[date, dict]:
    return {r["month"]: r for r in read_panel(settings.data_dir).to_pylist()}


def test_an_imported_statement_is_one_row_at_its_year_end(store, world, settings):
    owner, bid = world.actors["owner"], world.business.id
    with store.session() as s:
        out = do_import_submission(
            s,
            owner,
            business_id=bid,
            files=[(STATEMENT.read_bytes(), "決算書.csv")],
            raw_dir=settings.data_dir / "raw",
        )
    assert out.stored and [st.kind for st in out.statements] == ["annual"]
    sync = sync_panel(store, settings.data_dir)
    assert (sync.businesses_changed, sync.rows_written) == (1, 1)
    panel = read_panel(settings.data_dir)
    assert tuple(panel.column_names) == (
        *KEY_COLUMNS,
        *item_columns(),
        *EXTRA_COLUMNS,
        *subtotal_columns(),
        *LATE_CORRECTION_COLUMNS,
    )
    [row] = panel.to_pylist()
    # 自 令和6年4月1日 至 令和7年3月31日: the year's P/L, the year-end B/S, 12 months
    assert (row["month"], row["fiscal_year_start"], row["span_months"]) == (
        date(2025, 3, 1),
        date(2024, 4, 1),
        12,
    )
    amounts = out.report.months[0].amounts
    assert {c: row[c] for c in item_columns()} == {c: amounts.get(c, 0) for c in item_columns()}
    assert row["sales"] == 5_000_000 and row["retained_earnings"] == 100_000


def test_monthly_trial_balances_replace_the_annual_statement_of_their_year(store, world, settings):
    bid = world.business.id
    with store.session() as s:
        for fy, sales in ((2022, 11_000), (2023, 12_000), (2024, 13_200)):
            _year(s, bid, fy, sales)
        # the fiscal year 2025 has monthly trial balances (cumulative)
        for m, cum in ((date(2025, 4, 1), 1_000), (date(2025, 5, 1), 2_100)):
            _statement(
                s,
                bid,
                StatementKind.MONTHLY_TB,
                date(2025, 4, 1),
                month_end(m),
                {"sales": cum, "cash_and_deposits": 5},
            )
    first = sync_panel(store, settings.data_dir)
    assert (first.businesses_changed, first.rows_written) == (1, 5)
    rows = _rows(settings)
    assert {m: (r["span_months"], r["fiscal_year_start"], r["sales"]) for m, r in rows.items()} == {
        date(2023, 3, 1): (12, date(2022, 4, 1), 11_000),
        date(2024, 3, 1): (12, date(2023, 4, 1), 12_000),
        date(2025, 3, 1): (12, APRIL, 13_200),
        date(2025, 4, 1): (1, date(2025, 4, 1), 1_000),
        date(2025, 5, 1): (1, date(2025, 4, 1), 1_100),
    }
    assert rows[date(2024, 3, 1)]["purchases"] == 6_000
    assert rows[date(2024, 3, 1)]["cash_and_deposits"] == 3_023
    again = sync_panel(store, settings.data_dir)
    assert (again.businesses_changed, again.rows_written) == (0, 0)
    assert _rows(settings) == rows

    # a trial balance for one month of the fiscal year 2024 arrives: its monthly rows win (the
    # annual P/L contains that month; both would count it twice) and the year's other months
    # are gaps; it is the year's first trial balance, so June's row carries the cumulative P/L
    # of April to June: 3 months
    with store.session() as s:
        _statement(
            s,
            bid,
            StatementKind.MONTHLY_TB,
            APRIL,
            date(2024, 6, 30),
            {"sales": 3_000, "cash_and_deposits": 7},
        )
    assert sync_panel(store, settings.data_dir).businesses_changed == 1
    rows = _rows(settings)
    assert sorted(rows) == [
        date(2023, 3, 1),
        date(2024, 3, 1),
        date(2024, 6, 1),
        date(2025, 4, 1),
        date(2025, 5, 1),
    ]
    june = rows[date(2024, 6, 1)]
    assert (june["span_months"], june["sales"], june["cash_and_deposits"]) == (3, 3_000, 7)

    # a corrected 決算書 (a new version) replaces the old figures
    with store.session() as s:
        old = s.execute(
            select(Statement).where(
                Statement.kind == StatementKind.ANNUAL, Statement.period_end == date(2023, 3, 31)
            )
        ).scalar_one()
        new = _statement(
            s,
            bid,
            StatementKind.ANNUAL,
            date(2022, 4, 1),
            date(2023, 3, 31),
            {"sales": 11_500},
            version=2,
        )
        old.superseded_by_id = new.id
    sync_panel(store, settings.data_dir)
    assert _rows(settings)[date(2023, 3, 1)]["sales"] == 11_500
    full = sync_panel(store, settings.data_dir, full=True)
    assert full.rows_written == 5 and _rows(settings)[date(2023, 3, 1)]["sales"] == 11_500


def test_short_and_20th_closing_years(store, world, settings):
    bid = world.business.id
    with store.session() as s:
        # closing on the 20th: 21 March – 20 March is twelve months, placed at March
        _statement(s, bid, StatementKind.ANNUAL, date(2019, 3, 21), date(2020, 3, 20), {"sales": 1})
        # a short year after moving the year end to December: April – December, 9 months
        _statement(s, bid, StatementKind.ANNUAL, date(2020, 4, 1), date(2020, 12, 31), {"sales": 1})
    sync_panel(store, settings.data_dir)
    rows = _rows(settings)
    assert {m: (r["span_months"], r["fiscal_year_start"]) for m, r in rows.items()} == {
        date(2020, 3, 1): (12, date(2019, 4, 1)),
        date(2020, 12, 1): (9, date(2020, 4, 1)),
    }


def test_the_engine_reads_annual_rows_from_the_synced_panel(store, world, settings):
    bid = world.business.id
    with store.session() as s:
        _year(s, bid, 2023, 12_000_000, long_term_borrowings=6_000_000)
        _year(s, bid, 2024, 13_200_000, long_term_borrowings=6_000_000)
    sync_panel(store, settings.data_dir)
    register = pa.table(
        {
            "business_id": pa.array([bid], pa.int64()),
            "industry_code": ["24"],
            "employees": pa.array([3], pa.int32()),
        }
    )
    res = run_monitoring(read_panel(settings.data_dir), register, None)
    [r] = res.indicators.to_pylist()
    assert r["month"] == date(2025, 3, 1)
    assert r["monthly_sales"] == pytest.approx(1_100_000)
    assert r["sales_growth"] == pytest.approx(10.0)
    assert r["borrowings_to_monthly_sales"] == pytest.approx(6_000_000 / 1_100_000)


def test_a_missing_month_is_a_gap_and_the_next_flow_covers_it(store, world, settings):
    """April, (no May), June: June's flow is June's cumulative minus April's, over 2 months."""
    bid = world.business.id
    with store.session() as s:
        for m, sales, salaries in ((APRIL, 1_000, 300), (date(2024, 6, 1), 3_100, 900)):
            _statement(
                s,
                bid,
                StatementKind.MONTHLY_TB,
                APRIL,
                month_end(m),
                {
                    "sales": sales,
                    "salaries": salaries,
                    "cash_and_deposits": 50,
                    "capital_stock": 1_000,
                    "short_term_borrowings": 500,
                },
            )
    sync_panel(store, settings.data_dir)
    rows = _rows(settings)
    assert sorted(rows) == [APRIL, date(2024, 6, 1)]  # May stays an explicit gap
    june = rows[date(2024, 6, 1)]
    assert (june["span_months"], june["sales"], june["salaries"]) == (2, 2_100, 600)
    # the stored subtotals are the leaves' sums, row by row
    assert (june["gross_profit"], june["sga_expenses"], june["operating_profit"]) == (
        2_100,
        600,
        1_500,
    )
    assert rows[APRIL]["operating_profit"] == 700
    assert june["current_assets"] == 50 and june["net_income"] == 1_500
    # the engine's year-to-date profit is exact across the gap (April 700 + May–June 1,500):
    # net assets 1,000 + 2,200, of liabilities and net assets 500 + 3,200
    register = pa.table(
        {
            "business_id": pa.array([bid], pa.int64()),
            "industry_code": ["24"],
            "employees": pa.array([3], pa.int32()),
        }
    )
    res = run_monitoring(read_panel(settings.data_dir), register, None, history=True)
    by_month = {r["month"]: r for r in res.indicators.to_pylist()}
    assert by_month[date(2024, 5, 1)]["has_data"] is False
    assert by_month[date(2024, 6, 1)]["has_data"] is True
    assert by_month[date(2024, 6, 1)]["equity_ratio"] == pytest.approx(3_200 / 3_700 * 100)
    assert by_month[date(2024, 4, 1)]["equity_ratio"] == pytest.approx(1_700 / 2_200 * 100)
    assert by_month[date(2024, 5, 1)]["equity_ratio"] is None  # a gap: not computable


def test_an_analytics_file_from_before_annual_rows_is_upgraded(store, world, settings):
    """A file without span_months, synced up to the newest statement: annual statements below
    its watermark were never pivoted, so the upgrade re-pivots every business once."""
    bid = world.business.id
    with store.session() as s:
        year = _year(s, bid, 2023, 12_000)
        tb = _statement(
            s,
            bid,
            StatementKind.MONTHLY_TB,
            APRIL,
            date(2024, 4, 30),
            {"sales": 1_000},
        )
        mark = max(year.id, tb.id)
    settings.data_dir.mkdir(parents=True)
    con = duckdb.connect(str(analytics_path(settings.data_dir)))
    cols = ", ".join(f'"{c}" BIGINT' for c in item_columns())
    con.execute(
        "CREATE TABLE panel (business_id BIGINT, month DATE, fiscal_year_start DATE, "
        f"{cols}, employees INTEGER)"
    )
    con.execute(
        "INSERT INTO panel (business_id, month, fiscal_year_start, sales) VALUES (?, ?, ?, ?)",
        [bid, APRIL, APRIL, 1_000],
    )
    con.execute("CREATE TABLE panel_meta (watermark BIGINT)")
    con.execute("INSERT INTO panel_meta VALUES (?)", [mark])
    con.close()
    sync = sync_panel(store, settings.data_dir)
    assert sync.businesses_changed == 1
    rows = _rows(settings)
    assert {m: (r["span_months"], r["sales"]) for m, r in rows.items()} == {
        date(2024, 3, 1): (12, 12_000),
        APRIL: (1, 1_000),
    }
    assert sync_panel(store, settings.data_dir).businesses_changed == 0


def test_loan_balances_by_hand_from_the_paid_instalments(store, world, settings):
    """A-1: 30M, 80 % guaranteed, from 2021-04; B-1: 5M, not guaranteed, from 2023-04."""
    from kizashi.jobs.panel_sync import read_loan_balances
    from kizashi.store.models import Loan, RepaymentInstalment

    bid = world.business.id
    with store.session() as s:
        for m in (APRIL, date(2024, 5, 1), date(2024, 6, 1)):
            _statement(s, bid, StatementKind.MONTHLY_TB, APRIL, month_end(m), {"sales": 1})
        ids = {
            ln.loan_number: ln.id
            for ln in s.execute(select(Loan).where(Loan.business_id == bid)).scalars()
        }
        for loan, due, principal, paid in (
            ("A-1", date(2024, 5, 31), 1_000_000, date(2024, 5, 31)),
            ("A-1", date(2024, 6, 30), 1_000_000, date(2024, 7, 2)),  # paid late: July
            ("B-1", date(2024, 4, 30), 100_000, date(2024, 4, 30)),
            ("B-1", date(2024, 6, 30), 100_000, None),  # not paid
        ):
            s.add(
                RepaymentInstalment(
                    loan_id=ids[loan], due_date=due, principal=principal, interest=0, paid_on=paid
                )
            )
    sync_panel(store, settings.data_dir)
    got = {
        r["month"]: (r["loan_balance"], r["guaranteed_balance"])
        for r in read_loan_balances(settings.data_dir).to_pylist()
        if r["business_id"] == bid
    }
    assert min(got) == date(2021, 4, 1) and max(got) == date(2024, 6, 1)  # first loan .. panel
    assert got[date(2021, 4, 1)] == (30_000_000, 24_000_000)
    assert got[date(2023, 4, 1)] == (35_000_000, 24_000_000)
    assert got[APRIL] == (34_900_000, 24_000_000)
    assert got[date(2024, 5, 1)] == (33_900_000, 23_200_000)
    assert got[date(2024, 6, 1)] == (33_900_000, 23_200_000)

    # a payment changes no statement, yet the next sync sees it
    with store.session() as s:
        unpaid = s.execute(
            select(RepaymentInstalment).where(RepaymentInstalment.paid_on.is_(None))
        ).scalar_one()
        unpaid.paid_on = date(2024, 6, 30)
    assert sync_panel(store, settings.data_dir).businesses_changed == 0
    again = {
        r["month"]: r["loan_balance"]
        for r in read_loan_balances(settings.data_dir).to_pylist()
        if r["business_id"] == bid
    }
    assert again[date(2024, 6, 1)] == 33_800_000
