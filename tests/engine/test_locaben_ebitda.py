"""ロカベン when EBITDA ≤ 0: the ratio stays null, its score is kizashi's default.

Three businesses file annual statements (決算書) for the fiscal years ending 2023-03, 2024-03
and 2025-03, each with business one's yearly costs (panels.YEAR: purchases 7,200,000, salaries
3,600,000, depreciation 120,000) and sales of only 10,000,000, so operating profit is
10,000,000 − 7,200,000 − 3,600,000 − 120,000 = −920,000 and EBITDA −800,000 every year.
  7: long-term borrowings 6,000,000, cash 2,000,000 → net debt 4,000,000 → score 1
  8: no borrowings → score 5
  9: borrowings 1,000,000 < cash 2,000,000 (no net debt) → score 5
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from kizashi.engine.exec.run import run_monitoring

from .panels import FY_ENDS, YEAR, annual_row, table

REGISTER = pa.table(
    {
        "business_id": pa.array([7, 8, 9], pa.int64()),
        "industry_code": ["09", "09", "09"],
        "employees": pa.array([4, 4, 4], pa.int32()),
    }
)
BORROWINGS = {7: 6_000_000, 8: 0, 9: 1_000_000}
SCORE = {7: 1, 8: 5, 9: 5}
LAST = FY_ENDS[-1]


def _panel() -> pa.Table:
    rows = [
        annual_row(b, end, **{**YEAR, "sales": 10_000_000, "long_term_borrowings": debt})
        for b, debt in BORROWINGS.items()
        for end in FY_ENDS
    ]
    return table(rows)


@pytest.fixture(scope="module", params=["numpy", "sql"])
def rows(request: pytest.FixtureRequest) -> dict[tuple[int, dt.date], dict]:
    res = run_monitoring(_panel(), REGISTER, None, history=True, windows=request.param)
    return {(r["business_id"], r["month"]): r for r in res.indicators.to_pylist()}


@pytest.mark.parametrize("business_id", sorted(SCORE))
def test_ebitda_not_positive_scores_by_debt(rows, business_id: int) -> None:
    r = rows[(business_id, LAST)]
    assert r["ebitda_ttm"] == pytest.approx(-800_000)
    assert r["ebitda_debt_ratio"] is None  # the ratio itself stays "not computable"
    assert r["score_ebitda_debt_ratio"] == SCORE[business_id]
    assert r["locaben_total"] is not None and r["locaben_rating"] in ("A", "B", "C", "D")
    others = sum(
        r[f"score_{n}"]
        for n in (
            "sales_growth",
            "operating_margin",
            "labour_productivity",
            "working_capital_turnover",
            "equity_ratio",
        )
    )
    assert r["locaben_total"] == others + SCORE[business_id]


@pytest.mark.parametrize("business_id", sorted(SCORE))
def test_a_year_earlier_the_same_default_applies(rows, business_id: int) -> None:
    """locaben_total_change reads the total 12 months back through a separate (shifted) path."""
    now, before = rows[(business_id, LAST)], rows[(business_id, FY_ENDS[1])]
    assert before["score_ebitda_debt_ratio"] == SCORE[business_id]
    assert now["locaben_total_change"] == now["locaben_total"] - before["locaben_total"]


def test_numpy_and_sql_windows_agree() -> None:
    got = [
        run_monitoring(_panel(), REGISTER, None, history=True, windows=w).indicators.to_pylist()
        for w in ("numpy", "sql")
    ]
    assert got[0] == got[1]


def test_unknown_ebitda_gives_no_score() -> None:
    """Only EBITDA ≤ 0 is scored by default: a year that cannot be summed stays unscored."""
    rows = [
        annual_row(7, FY_ENDS[0], **{**YEAR, "sales": 10_000_000}),
        annual_row(7, FY_ENDS[2], span=6, **{**YEAR, "sales": 10_000_000}),
    ]
    res = run_monitoring(table(rows), REGISTER, None)
    [r] = res.indicators.to_pylist()
    assert r["ebitda_ttm"] is None and r["score_ebitda_debt_ratio"] is None
