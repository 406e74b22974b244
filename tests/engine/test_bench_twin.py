"""The pandas twin in bench/bench_engine.py implements the current default pack exactly.

The engine is benchmarked against an idiomatic pandas implementation of the same pack; the
comparison is only fair while both do the same work. These tests fail when the pack changes
without the twin, and run both on a small synthetic portfolio roughened with what the synth
data lacks (mid-history gaps, annual rows with ``span_months``, a fiscal-year change, null
amounts, credit events before the first month or for unknown businesses, register gaps).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kizashi.domain.chart import load_chart
from kizashi.synth.generator import generate

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_engine.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_engine", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_engine", module)
    spec.loader.exec_module(module)
    return module


def test_twin_implements_the_current_default_pack(bench: ModuleType) -> None:
    assert bench.twin_problems() == []


def _annual(panel: pd.DataFrame, bid: int, months: int = 12, gap: int = 0) -> pd.DataFrame:
    """Fold the last ``months`` months of the business's first complete fiscal year into one
    row at the year end (span_months = months: an annual statement when 12), and drop the
    ``gap`` monthly rows after it."""
    rows = panel[panel["business_id"] == bid].sort_values("month")
    by_fy = rows.groupby("fiscal_year_start")["month"].count()
    full = by_fy[by_fy == 12].index
    if not len(full):
        return panel
    year = rows[rows["fiscal_year_start"] == full[0]].iloc[12 - months :]
    chart = load_chart()
    flows = [c for c in year.columns if c in chart and chart[c].statement == "PL"]
    folded = year.iloc[[-1]].copy()
    folded[flows] = year[flows].sum().to_numpy()
    folded["span_months"] = months
    after = rows[rows["month"] > year["month"].max()].iloc[:gap]
    return pd.concat([panel.drop(index=year.index.union(after.index)), folded])


def roughened(root: Path) -> Path:
    parts: dict[str, list[pa.Table]] = {}
    for chunk in generate(600, seed=5, chunk_size=600):
        for name, t in chunk.tables().items():
            parts.setdefault(name, []).append(t)
    t = {name: pa.concat_tables(ts).to_pandas() for name, ts in parts.items()}
    rng = np.random.default_rng(5)
    panel, biz, ev = t["panel"], t["businesses"], t["credit_events"]
    panel["month"] = pd.to_datetime(panel["month"])
    panel["fiscal_year_start"] = pd.to_datetime(panel["fiscal_year_start"])
    ids = panel["business_id"].unique()
    # mid-history gaps: random single months and a 4-month hole
    panel = panel.drop(index=panel.sample(frac=0.03, random_state=1).index)
    hole = panel["business_id"].isin(ids[10:40]) & panel["month"].between(
        "2025-01-01", "2025-04-01"
    )
    panel = panel[~hole]
    # null amounts and employees on some rows that have data
    for col in ("accounts_receivable", "sales", "depreciation"):
        panel[col] = panel[col].astype("Int64").mask(rng.random(len(panel)) < 0.01)
    panel["employees"] = panel["employees"].astype("Int32")
    panel.loc[panel.sample(frac=0.02, random_state=2).index, "employees"] = pd.NA
    panel.loc[panel.sample(frac=0.01, random_state=3).index, "employees"] = 0
    # annual statements (決算書) in place of monthly rows for some businesses
    panel["span_months"] = pd.array([pd.NA] * len(panel), "Int32")
    for bid in ids[50:60]:
        panel = _annual(panel, int(bid))
    for bid in ids[60:65]:  # no data for 11 months after: the TTM frames start inside the year
        panel = _annual(panel, int(bid), gap=11)
    for bid in ids[65:70]:  # a 6-month statement (a short year)
        panel = _annual(panel, int(bid), months=6, gap=2)
    panel.loc[panel["business_id"].isin(ids[70:80]), "span_months"] = 1
    # a change of fiscal year end: a new fiscal year starts in 2025-07
    moved = panel["business_id"].isin(ids[80:100]) & (panel["month"] >= "2025-07-01")
    new_fy = panel["month"].dt.to_period("M") - (panel["month"].dt.month - 7) % 12
    panel.loc[moved, "fiscal_year_start"] = new_fy[moved].dt.to_timestamp()
    # credit events before the first month, for a business without data, after the as-of month
    first = panel.groupby("business_id")["month"].min()
    extra = pd.DataFrame(
        {
            "event_id": np.arange(10**6, 10**6 + 13),
            "loan_id": 0,
            "business_id": [*ids[100:110], 999_999, ids[0], ids[1]],
            "kind": ["delinquency"] * 5 + ["restructuring"] * 5 + ["accident_report", "delinquency", "subrogation"],
            "occurred_on": [*(first[ids[100:110]] - pd.DateOffset(months=4)), pd.Timestamp("2026-02-10"), pd.Timestamp("2026-12-01"), pd.Timestamp("2026-09-30")],
            "days_past_due": [95, None, 40, 200, 10, None, None, None, None, None, None, 120, None],
        }
    )  # fmt: skip
    ev = pd.concat([ev, extra.astype({"days_past_due": "Int32"})], ignore_index=True)
    ev["occurred_on"] = pd.to_datetime(ev["occurred_on"]).dt.date
    # the register: missing businesses, odd or missing industry codes and employee counts
    biz = biz[~biz["business_id"].isin(ids[110:115])].copy()
    biz["industry_code"] = biz["industry_code"].astype(object)
    biz.loc[biz.index[:12], "industry_code"] = [None, "5", "99", "123", "9", None, *["76"] * 6]
    biz["employees"] = biz["employees"].astype("Int32")
    biz.loc[biz.index[12:30], "employees"] = [pd.NA] * 9 + [0] * 9
    panel["month"] = panel["month"].dt.date
    panel["fiscal_year_start"] = panel["fiscal_year_start"].dt.date
    out = {"panel": panel, "businesses": biz, "credit_events": ev, "loans": t["loans"]}
    for name, df in out.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), root / name / "p.parquet")
    return root


@pytest.mark.parametrize("windows", ["frames", "groupby"])
def test_twin_matches_the_engine_on_a_rough_portfolio(
    bench: ModuleType, tmp_path: Path, windows: str
) -> None:
    report = bench.check(roughened(tmp_path), show=3, windows=windows, history=True)
    assert report["episodes"]["engine"] > 500
    assert report["firings"]["engine"] > 100
    assert report["mismatches"] == 0, "\n".join(report["examples"])
