"""Interest-rate stress (金利上昇ストレス) on the monthly panel, in DuckDB: which businesses turn
to 経常赤字 when the rate on their floating and refinanced debt rises by +0.25, +0.5, +1, +2 pt.

Per business at the as-of month: 経常利益 over the last 12 months (computable only when the
12 rows are there), the debt that reprices and, per stress, the extra interest
``ceil(debt × bp / 10,000)`` (``domain.cash.extra_interest``). A business turns to 経常赤字 when
its 経常利益 was ≥ 0 and is < 0 after the extra interest.

The debt that reprices (``basis``):

* ``all`` — every borrowing in the books (短期借入金 + 1年内返済予定の長期借入金 + 長期借入金):
  the assumption behind 帝国データバンク's estimate (all interest-bearing debt reprices);
* ``repricing`` — what reprices within a year: short-term borrowings and the current portion of
  long-term borrowings (refinanced), plus ``floating_share`` of the remaining long-term
  borrowings (floating-rate loans).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from kizashi.domain.cash import STRESS_POINTS_BP
from kizashi.domain.chart import load_chart
from kizashi.domain.panel import subtotal_columns, terms_over

BASES = ("all", "repricing")


def _item(code: str, columns: set[str]) -> str:
    """A chart item as the signed sum of the panel's columns (its subtotal where present)."""
    chart = load_chart()
    stored = {c: chart.leaf_terms(c) for c in subtotal_columns(chart) if c in columns}
    terms = terms_over(chart.leaf_terms(code), stored)
    parts = [f"{'+' if k > 0 else '-'} COALESCE({c}, 0)" for c, k in terms.items() if c in columns]
    return "(" + (" ".join(parts).lstrip("+ ") or "0") + ")"


def stress_sql(
    panel: str,
    as_of_m: int,
    basis: str,
    floating_share: float,
    points: tuple[int, ...],
    columns: set[str],
) -> str:
    if basis not in BASES:
        raise ValueError(f"basis must be one of {', '.join(BASES)}")
    mi = "(year(month) * 12 + month(month) - 1)"
    share_bp = round(floating_share * 10_000)
    debt = (
        "COALESCE(short_term_borrowings, 0) + COALESCE(current_portion_long_term_borrowings, 0)"
        + (
            " + COALESCE(long_term_borrowings, 0)"
            if basis == "all"
            else f" + COALESCE(long_term_borrowings, 0) * {share_bp} // 10000"
        )
    )
    cols = ", ".join(
        f"(ttm_op >= 0 AND ttm_op - (debt * {bp} + 9999) // 10000 < 0) AS loss_{bp}"
        for bp in points
    )
    return f"""
WITH p AS (
  SELECT business_id, {mi} AS m, {_item("ordinary_profit", columns)} AS ordinary_profit,
         {debt} AS debt
  FROM {panel} WHERE {mi} BETWEEN {as_of_m - 11} AND {as_of_m}
),
b AS (
  SELECT business_id, SUM(ordinary_profit) AS ttm_op, COUNT(*) AS n,
         MAX(debt) FILTER (WHERE m = {as_of_m}) AS debt
  FROM p GROUP BY business_id
)
SELECT business_id, CAST(ttm_op AS BIGINT) AS ttm_ordinary_profit, CAST(debt AS BIGINT) AS debt,
       ttm_op < 0 AS loss_now, {cols}
FROM b WHERE n = 12 AND debt IS NOT NULL
"""


def run_stress(
    panel: str | Path | pa.Table,
    month: dt.date | None = None,
    *,
    basis: str = "all",
    floating_share: float = 0.3,
    points: tuple[int, ...] = STRESS_POINTS_BP,
) -> tuple[pa.Table, dict[str, Any]]:
    """Per business (ttm_ordinary_profit, debt, loss_now, loss_<bp>) and the portfolio summary."""
    con = duckdb.connect(config={"preserve_insertion_order": False})
    try:
        if isinstance(panel, pa.Table):
            con.register("stress_panel", panel)
        else:
            path = Path(panel)
            glob = (
                str(path / "panel" / "**" / "*.parquet") if (path / "panel").is_dir() else str(path)
            )
            con.execute(
                "CREATE VIEW stress_panel AS SELECT * FROM "
                f"read_parquet('{glob}', union_by_name=true)"
            )
        if month is None:
            month = con.execute("SELECT MAX(month) FROM stress_panel").fetchall()[0][0]
        assert month is not None
        as_of_m = month.year * 12 + month.month - 1
        cols = {r[0] for r in con.execute("DESCRIBE stress_panel").fetchall()}
        sql = stress_sql("stress_panel", as_of_m, basis, floating_share, points, cols)
        per = con.sql(sql).to_arrow_table()
        con.register("per", per)
        n, now = con.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE loss_now) FROM per"
        ).fetchall()[0]
        rows = []
        for bp in points:
            new = con.execute(f"SELECT COUNT(*) FILTER (WHERE loss_{bp}) FROM per").fetchall()[0][0]
            rows.append(
                {
                    "points_bp": bp,
                    "new_ordinary_loss": new,
                    "share_pct": round(100 * new / n, 2) if n else None,
                }
            )
        summary = {
            "as_of": f"{month:%Y-%m}",
            "basis": basis,
            "floating_share": floating_share if basis == "repricing" else None,
            "businesses": n,
            "ordinary_loss_now": now,
            "stress": rows,
        }
        return per, summary
    finally:
        con.close()
