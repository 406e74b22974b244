"""Benchmark the monitoring engine (docs/performance.md, "## Monitoring engine").

    .venv/bin/python bench/bench_engine.py --sizes 10000,100000,1500000 --pandas 150000 --quality 20000
    .venv/bin/python bench/bench_engine.py --sizes "" --pandas 150000 --pandas-windows frames,groupby --repeat 3
    .venv/bin/python bench/bench_engine.py --check /tmp/kizashi-bench/20000

``--pandas N`` times an idiomatic vectorised pandas implementation of the same default pack (the
"pandas twin", ``pandas_monitoring``) next to the engine; ``--pandas-windows frames,groupby``
times both styles of its trailing windows (default: frames only). ``--check DIR`` runs the engine
and the twin on a portfolio directory and compares their episodes, as-of firings, evidence and
indicators (exit status 1 on any difference).

Each measurement runs in a fresh subprocess so peak RSS (ru_maxrss) is its own. Portfolios are
generated once with ``kizashi.synth`` into ``--data`` (default /tmp/kizashi-bench/N).
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).resolve()


def generate(n: int, root: Path) -> Path:
    out = root / str(n)
    if (out / "panel").is_dir():
        return out
    import pyarrow.parquet as pq

    from kizashi.synth.generator import generate as gen

    for chunk in gen(n, seed=1, chunk_size=20_000):
        for name, table in chunk.tables().items():
            (out / name).mkdir(parents=True, exist_ok=True)
            pq.write_table(table, out / name / f"part-{chunk.index:05d}.parquet")
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------ the three workloads
def run_engine(d: Path) -> dict:
    from kizashi.engine.exec.run import run_monitoring
    from kizashi.synth import LOAN_COLUMNS as SYNTH_LOANS

    t = time.perf_counter()
    balances = d / "loan_balances"
    res = run_monitoring(
        d,
        d,
        d / "credit_events",
        loans=d / "loans",
        loan_columns=SYNTH_LOANS,
        loan_balances=balances if balances.is_dir() else None,
    )
    return {
        "seconds": time.perf_counter() - t,
        "episodes": res.episodes.num_rows,
        "businesses": res.indicators.num_rows,
    }


def _floor_items() -> dict[str, dict[str, int]]:
    """The chart items the default pack reads (its spine's input columns)."""
    from kizashi.domain.chart import load_chart
    from kizashi.engine.exec.compiler import Compiler
    from kizashi.engine.spec.indicators import load_indicators
    from kizashi.engine.spec.locaben import load_thresholds
    from kizashi.engine.spec.packs import default_pack

    pack = default_pack()
    c = Compiler(
        load_chart(),
        load_indicators(),
        load_thresholds(),
        {k: p.value for k, p in pack.params.items()},
    )
    roots = [i.node for i in load_indicators() if i.node] + [r.condition_node for r in pack.rules]
    c.peer_args(roots)
    for r in roots:
        c.column(r)
    return c.base_items


def run_floor(d: Path) -> dict:
    """The engine's own machinery computing only the floor's windows.

    The same spine (the same input items, gaps, the engine's default chunks) and the same
    executor (:func:`kizashi.engine.exec.vector.evaluate`), with only the trailing-12-month sum,
    the 12-month lag and the 12-month rolling mean of each input item: what any monitoring
    run must at least do.
    """
    from kizashi.domain.chart import load_chart
    from kizashi.engine.exec.compiler import Compiler, Win
    from kizashi.engine.exec.dialect import DUCKDB
    from kizashi.engine.exec.panel import businesses_sql, spine_sql
    from kizashi.engine.exec.run import (
        _chunks,
        _columns,
        _register,
        run_monitoring,
        stored_subtotals,
    )
    from kizashi.engine.exec.vector import evaluate, keep_freed_memory
    from kizashi.engine.spec.indicators import load_indicators
    from kizashi.engine.spec.locaben import load_thresholds

    keep_freed_memory()
    items = _floor_items()
    th = load_thresholds()
    c = Compiler(load_chart(), load_indicators(), th)
    c.base_items = dict(items)
    outs = ["business_id", "m"]
    for name in items:
        outs.append(c._window(Win("SUM", name, 0, 11), 1)[0])
        outs.append(c._window(Win("LAG", name, 12), 1)[0])
        outs.append(c._window(Win("AVG", name, 0, 11), 1)[0])
    con = duckdb.connect(config={"preserve_insertion_order": False, "memory_limit": "6GB"})
    t0 = time.perf_counter()
    _register(con, "panel_src", d, "panel")
    _register(con, "businesses_src", d, "businesses")
    con.execute(f"CREATE TEMP TABLE biz AS {businesses_sql('businesses_src', th, DUCKDB)}")
    cols = [r[0] for r in con.execute("DESCRIBE panel_src").fetchall()]
    stored = stored_subtotals(con, d, "panel", load_chart())
    as_of = con.execute("SELECT MAX(month) FROM panel_src").fetchone()[0]
    as_of_m = as_of.year * 12 + as_of.month - 1
    rows = 0
    chunk = inspect.signature(run_monitoring).parameters["chunk_businesses"].default
    for rng in _chunks(con, chunk):
        sp = spine_sql(
            panel="panel_src",
            panel_columns=cols,
            items=items,
            businesses="biz",
            events=None,
            as_of_m=as_of_m,
            start_m=None,
            business_range=rng,
            peer_values=None,
            d=DUCKDB,
            stored=stored,
        )
        t, _ = evaluate(con, c, sp, _columns(con, sp), outs)
        rows += t.num_rows
    return {"seconds": time.perf_counter() - t0, "items": len(items), "rows": rows}


def run_floor_sql(d: Path) -> dict:
    """The floor as one DuckDB window pass (how it was measured before the NumPy windows)."""
    items = []
    for name, terms in _floor_items().items():
        items.append(
            (
                name,
                " + ".join(
                    f"{'' if s > 0 else '-'}COALESCE({leaf}, 0)" for leaf, s in terms.items()
                ),
            )
        )
    inner = ", ".join(f"CAST({e} AS DOUBLE) AS {n}" for n, e in items)
    w = "(PARTITION BY business_id ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW)"
    outs = ", ".join(
        f"SUM({n}) OVER {w}, LAG({n}, 12) OVER (PARTITION BY business_id ORDER BY month), AVG({n}) OVER {w}"
        for n, _ in items
    )
    con = duckdb.connect(config={"preserve_insertion_order": False, "memory_limit": "6GB"})
    t = time.perf_counter()
    con.execute(
        f"CREATE TEMP TABLE f AS SELECT business_id, month, {outs} FROM "
        f"(SELECT business_id, month, {inner} FROM read_parquet('{d}/panel/*.parquet'))"
    )
    return {"seconds": time.perf_counter() - t, "items": len(items)}


# ------------------------------------------------------------------ the pandas twin
# What a competent pandas developer writes for the default pack: one DataFrame row per
# business × month, windows as rolling() / groupby().shift() / ffill(), peer statistics as
# groupby().rank() / transform(), SQL's three-valued logic with pandas' nullable "boolean"
# dtype, no loop over businesses. It follows the engine's definitions exactly
# (docs/monitoring.md: a trailing sum is computable only when its rows cover exactly its months
# — a gap covers 0, an annual statement 12 — division by zero is null, a null condition carries
# the flag's state), so that ``--check`` can compare the two. Trailing windows come in two
# styles (``windows``, bit-identical results): "frames" (default), one rolling() over the whole
# frame whose windows stop at each business's first month (a pandas BaseIndexer), and
# "groupby", the textbook groupby().rolling(k), for which pandas computes the window bounds
# group by group in Python. When the pack's conditions or the indicator formulas change,
# TWIN_CONDITIONS / TWIN_FORMULAS no longer match and the twin refuses to run: update it.
TWIN_PACK = "kizashi.default@2026.5.0"
TWIN_CONDITIONS = {
    "credit.delinquency": "(months_since((delinquency_events > 0.0)) < recent_event_months)",
    "credit.restructuring": "(months_since((restructuring_events > 0.0)) < recent_event_months)",
    "credit.accident_report": "(months_since((accident_report_events > 0.0)) < recent_event_months)",
    "finance.negative_net_assets": "((rolling_max(net_assets, 3.0) < 0.0) and (rolling_max(span, 3.0) < 12.0))",
    "finance.annual_operating_loss": "if(has_data, ((span >= 12.0) and (operating_profit < 0.0)), null)",
    "finance.annual_ordinary_loss": "if(has_data, (((span >= 12.0) and (ordinary_profit < 0.0)) and (operating_profit >= 0.0)), null)",
    "finance.annual_negative_net_assets": "if(has_data, ((span >= 12.0) and (net_assets < 0.0)), null)",
    "finance.loss_before_depreciation": "(rolling_max(ordinary_profit_before_depreciation, 3.0) < 0.0)",
    "finance.operating_loss_streak": "((operating_loss_streak >= loss_streak_months) and (ttm(operating_profit) < 0.0))",
    "finance.sales_drop": "(sales_3m_yoy <= sales_drop_pct)",
    "cash.low_liquidity": "((rolling_max(liquidity_months, 3.0) < liquidity_min_months) and ((change(liquidity_months, 6.0) <= (- liquidity_fall_months)) or (liquidity_months < liquidity_critical_months)))",
    "cash.high_borrowings": "((borrowings_to_monthly_sales >= borrowing_multiple_caution) and (peer_percentile(borrowings_to_monthly_sales) >= borrowing_peer_percentile))",
    "efficiency.receivables_lengthening": "(receivable_turnover_change >= turnover_lengthening_months)",
    "efficiency.inventory_lengthening": "(inventory_turnover_change >= turnover_lengthening_months)",
    "efficiency.payables_lengthening": "(payable_turnover_change >= turnover_lengthening_months)",
    "locaben.score_drop": "(rolling_max(locaben_total_change, 3.0) <= locaben_drop_points)",
    "data.submission_gap": "((data_gap_months >= data_gap_months_max) and (rolling_max(span, 12.0) < 12.0))",
    # 2026.3.0 真贋性 and the cash forecast: they read the bank features and the lenders' balances, which the twin's
    # portfolios (synth without --bank) lack or never contradict: unknown in the twin (below)
    "authenticity.deposit_balance_mismatch": "(has_data and (abs((cash_and_deposits - bank_balance)) > max(deposit_gap_min_yen, ((abs(cash_and_deposits) * deposit_gap_pct) / 100.0))))",
    "authenticity.sales_unsupported": "(((rolling_sum(sales, 3.0) > 0.0) and (rolling_sum(bank_deposits, 3.0) < ((rolling_sum(sales, 3.0) * money_cover_pct) / 100.0))) and coalesce(((rolling_sum(invoices_issued, 3.0) - coalesce(rolling_sum(invoices_overdue, 3.0), 0.0)) < ((rolling_sum(sales, 3.0) * money_cover_pct) / 100.0)), true))",
    "authenticity.receivables_unsupported": "((trade_receivables > 0.0) and (open_receivables < ((trade_receivables * receivable_cover_pct) / 100.0)))",
    "authenticity.borrowings_understated": "(has_data and ((loan_balance - borrowings) > max(borrowing_gap_min_yen, (loan_balance / 10.0))))",
    "authenticity.round_figures": "(rolling_sum(book_round_items, 3.0) >= round_items_3m)",
    "authenticity.late_correction": "(rolling_max(late_correction_yen, 3.0) >= late_correction_min_yen)",
    "authenticity.benford": "(((bank_benford_n >= benford_min_n) and (bank_benford_chi2 > benford_chi2_max)) and (bank_benford_mad > benford_mad_max))",
    "bank.regular_payments_stopped": "((bank_tx > 0.0) and (((months_since((bank_payroll > 0.0)) >= payment_gap_months) or (months_since((bank_social_insurance > 0.0)) >= payment_gap_months)) or (months_since((bank_rent > 0.0)) >= payment_gap_months)))",
    "bank.high_rate_lender": "(rolling_max(bank_high_rate_tx, 3.0) > 0.0)",
    "bank.negative_balance_days": "(bank_negative_days >= negative_days_min)",
    "bank.customer_concentration": "(streak((bank_top_customer_pct >= customer_share_pct)) >= 3.0)",
    "cash.projected_shortfall": "(cash_shortfall_week >= 1.0)",
    # 2026.4.0 plan against actual: the twin's portfolios have no plans, so unknown (below)
    "plan.sales_shortfall": "if((not is_null((plan_to_date(plan_sales) - plan_to_date(sales)))), (streak(((plan_to_date(plan_sales) > 0.0) and (((plan_to_date(plan_sales) - plan_to_date(sales)) * 100.0) >= (plan_to_date(plan_sales) * plan_sales_shortfall_pct)))) >= plan_shortfall_months), null)",
    "plan.operating_profit_shortfall": "if((not is_null((plan_to_date(plan_operating_profit) - plan_to_date(operating_profit)))), (streak(((plan_to_date(plan_operating_profit) > 0.0) and (((plan_to_date(plan_operating_profit) - plan_to_date(operating_profit)) * 100.0) >= (plan_to_date(plan_operating_profit) * plan_profit_shortfall_pct)))) >= plan_shortfall_months), null)",
}
# the indicators (data/indicators.yaml) as the twin computes them
TWIN_FORMULAS = {
    "monthly_sales": "(ttm(sales) / 12.0)",
    "ebitda_ttm": "(ttm(operating_profit) + ttm(depreciation_total))",
    "sales_growth": "(((ttm(sales) / lag(ttm(sales), 12.0)) - 1.0) * 100.0)",
    "operating_margin": "((ttm(operating_profit) / ttm(sales)) * 100.0)",
    "labour_productivity": "if((employees > 0.0), ((ttm(operating_profit) / employees) / 1000.0), null)",
    "ebitda_debt_ratio": "if((ebitda_ttm > 0.0), ((borrowings - cash_and_deposits) / ebitda_ttm), null)",
    "working_capital_turnover": "(((trade_receivables + inventories) - trade_payables) / monthly_sales)",
    "equity_ratio": "((net_assets / total_liabilities_and_net_assets) * 100.0)",
    "borrowings_to_monthly_sales": "(borrowings / monthly_sales)",
    "liquidity_months": "((cash_and_deposits + securities) / monthly_sales)",
    "debt_repayment_years": "if(((ttm(net_income) + ttm(depreciation_total)) > 0.0), (borrowings / (ttm(net_income) + ttm(depreciation_total))), null)",
    "current_ratio": "((current_assets / current_liabilities) * 100.0)",
    "ordinary_profit_before_depreciation": "(ttm(ordinary_profit) + ttm(depreciation_total))",
    "insolvent": "(net_assets < 0.0)",
    "gross_margin": "((ttm(gross_profit) / ttm(sales)) * 100.0)",
    "receivable_turnover": "(trade_receivables / monthly_sales)",
    "inventory_turnover": "(inventories / monthly_sales)",
    "payable_turnover": "(trade_payables / monthly_sales)",
    "interest_burden": "((ttm(interest_expense) / ttm(sales)) * 100.0)",
    "sales_yoy": "if((span = lag(span, 12.0)), pct_change(sales, 12.0), null)",
    "sales_3m_yoy": "pct_change(rolling_sum(sales, 3.0), 12.0)",
    "operating_profit_ttm_change": "change(ttm(operating_profit), 12.0)",
    "operating_loss_streak": "streak(((operating_profit < 0.0) and (span = 1.0)))",
    "receivable_turnover_change": "change(receivable_turnover, 12.0)",
    "inventory_turnover_change": "change(inventory_turnover, 12.0)",
    "payable_turnover_change": "change(payable_turnover, 12.0)",
    "cash_3m_change": "pct_change(cash_and_deposits, 3.0)",
    "data_gap_months": "streak((not has_data))",
    "locaben_total_change": "change(locaben_total, 12.0)",
}
# the scores declared where a locaben indicator is null (kizashi's default for EBITDA ≤ 0)
TWIN_SCORE_IF_NULL = {
    "ebitda_debt_ratio": "if(((ebitda_ttm <= 0.0) and ((borrowings - cash_and_deposits) > 0.0)), 1.0, if(((ebitda_ttm <= 0.0) and ((borrowings - cash_and_deposits) <= 0.0)), 5.0, null))",
}
STREAK_CAP, PEER_MIN_N = 36, 5  # as in kizashi.engine.exec.compiler
FLOWS = (
    "sales",
    "operating_profit",
    "ordinary_profit",
    "net_income",
    "gross_profit",
    "interest_expense",
    "depreciation_total",
)
STOCKS = (
    "cash_and_deposits",
    "securities",
    "trade_receivables",
    "inventories",
    "trade_payables",
    "borrowings",
    "current_assets",
    "current_liabilities",
    "net_assets",
    "total_liabilities_and_net_assets",
)
LOCABEN = (
    ("sales_growth", "higher"),
    ("operating_margin", "higher"),
    ("labour_productivity", "higher"),
    ("ebitda_debt_ratio", "lower"),
    ("working_capital_turnover", "lower"),
    ("equity_ratio", "higher"),
)


def twin_problems() -> list[str]:
    """How the default pack and indicators differ from what the pandas twin implements."""
    from kizashi.engine.spec.expr import canonical
    from kizashi.engine.spec.indicators import load_indicators
    from kizashi.engine.spec.packs import default_pack

    pack = default_pack()
    out = [] if pack.ref == TWIN_PACK else [f"pack is {pack.ref}, the twin implements {TWIN_PACK}"]
    fallbacks = {
        i.id: canonical(i.score_if_null_node) for i in load_indicators() if i.score_if_null_node
    }
    for have, twin in (
        ({r.id: canonical(r.condition_node) for r in pack.rules}, TWIN_CONDITIONS),
        ({i.id: canonical(i.node) for i in load_indicators() if i.node}, TWIN_FORMULAS),
        (fallbacks, TWIN_SCORE_IF_NULL),
    ):
        for k in sorted(set(have) | set(twin)):
            if have.get(k) != twin.get(k):
                out.append(f"{k}: engine {have.get(k)!r}, twin {twin.get(k)!r}")
    return out


def pandas_monitoring(d: Path, windows: str = "frames", history: bool = False) -> dict[str, Any]:
    """The default pack over portfolio ``d`` in vectorised pandas.

    ``windows``: "frames" or "groupby", how fixed trailing windows are computed (same results).
    ``history``: indicators and firings for every month, not only the as-of month.

    Returns ``as_of_m`` (month index year × 12 + month − 1, as ``m`` below), ``indicators``
    (business_id, m, every indicator, score, rating and ``pct_<indicator>``), ``firings``
    (business_id, m, rule_id, evidence ``ev_<name>``) and ``episodes`` (business_id, rule_id,
    opened_m, closed_m (−1 while open), fired_at_as_of, evidence at opening ``ev_<name>`` and
    latest ``evl_<name>``).
    """
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq
    from pandas.api.indexers import BaseIndexer

    from kizashi.domain.chart import load_chart
    from kizashi.domain.industry import _read
    from kizashi.domain.panel import subtotal_columns, terms_over
    from kizashi.engine.spec.indicators import load_indicators
    from kizashi.engine.spec.locaben import load_thresholds
    from kizashi.engine.spec.packs import default_pack

    problems = twin_problems()
    if problems:
        raise RuntimeError("the pandas twin is out of date:\n" + "\n".join(problems))
    chart, th, pack = load_chart(), load_thresholds(), default_pack()
    par = {k: p.value for k, p in pack.params.items()}

    # ---- read: chart items as signed sums of leaf columns (a missing leaf counts 0); a B/S
    # item with a P/L part (net assets) is its balance plus the fiscal-year-to-date P/L
    terms: dict[str, dict[str, int]] = {}
    for code in (*FLOWS, *STOCKS):
        t = chart.leaf_terms(code)
        pl = {k: v for k, v in t.items() if chart[k].statement == "PL"}
        if chart[code].statement == "BS" and pl:
            terms[f"{code}__bs"] = {k: v for k, v in t.items() if k not in pl}
            terms[f"{code}__pl"] = pl
        else:
            terms[code] = t
    files = sorted((d / "panel").rglob("*.parquet"))
    # the panel's stored subtotals (operating_profit …) where every file has them: the same
    # integers as the leaf sums, from ~20 columns instead of ~80
    schemas = [set(pq.read_schema(f).names) for f in files]
    stored = {
        c: chart.leaf_terms(c) for c in subtotal_columns(chart) if all(c in h for h in schemas)
    }
    terms = {name: terms_over(t, stored) for name, t in terms.items()}
    leaves = {leaf for t in terms.values() for leaf in t}

    def month_index(col: pd.Series) -> pd.Series:
        col = pd.to_datetime(col)
        return col.dt.year.astype("int64") * 12 + col.dt.month.astype("int64") - 1

    def items(f: Path, have: set[str]) -> pd.DataFrame:
        """One panel file's rows with the chart items (the columns summed are not kept)."""
        extra = [c for c in ("fiscal_year_start", "employees", "span_months") if c in have]
        panel = pd.read_parquet(f, columns=["business_id", "month", *extra, *(leaves & have)])
        m = month_index(panel["month"])
        p = pd.DataFrame({"business_id": panel["business_id"], "m": m, "has_data": True})
        for name, t in terms.items():  # integer yen: the sums are exact
            p[name] = sum((s * panel[leaf].fillna(0) for leaf, s in t.items() if leaf in have), 0)
        p["span"] = panel["span_months"].fillna(1) if "span_months" in have else 1
        p["employees"] = panel["employees"] if "employees" in have else np.nan
        if "fiscal_year_start" in have:
            p["fy_m"] = month_index(panel["fiscal_year_start"])
        else:  # the calendar year
            p["fy_m"] = m - m % 12
        return p

    p = pd.concat([items(f, h) for f, h in zip(files, schemas, strict=True)], ignore_index=True)
    as_of_m = int(p["m"].max())
    biz = pd.read_parquet(d / "businesses", columns=["business_id", "industry_code", "employees"])
    ev = pd.read_parquet(
        d / "credit_events", columns=["business_id", "kind", "occurred_on", "days_past_due"]
    )
    ev["m"] = month_index(ev["occurred_on"])
    ev = ev[ev["m"] <= as_of_m]
    evm = pd.crosstab([ev["business_id"], ev["m"]], ev["kind"]).add_suffix("_events")
    evm["max_days_past_due"] = ev.groupby(["business_id", "m"])["days_past_due"].max()

    # ---- the spine: every business × month from its first month (data or credit event) to the
    # as-of month; a month without data is a row with has_data False, span 0, null amounts
    firsts = pd.concat([p[["business_id", "m"]], ev[["business_id", "m"]]])
    lo = firsts.groupby("business_id")["m"].min()
    lens = (as_of_m - lo + 1).to_numpy()
    n = int(lens.sum())
    last_row = np.cumsum(lens) - 1  # each business's as-of month
    first_row = np.repeat(last_row + 1 - lens, lens)  # per row: its business's first month
    pos = np.arange(n)
    s = pd.DataFrame({"business_id": np.repeat(lo.index.to_numpy(), lens)})
    s["m"] = np.repeat(lo.to_numpy(), lens) + (pos - first_row)
    s = s.merge(p, on=["business_id", "m"], how="left").join(evm, on=["business_id", "m"])
    del p, firsts
    bid = s["business_id"]
    s["has_data"] = s["has_data"].notna()
    s["span"] = s["span"].astype("float64").fillna(0)
    # months since the fiscal year start: on a gap, from the latest month's fiscal year
    last_moy = (s["fy_m"] % 12).groupby(bid).transform("last")
    s["fy_pos"] = (s["m"] - s["fy_m"]).fillna((s["m"] % 12 - last_moy + 12) % 12).fillna(0)
    for kind in ("delinquency", "restructuring", "accident_report"):
        s[f"{kind}_events"] = s[f"{kind}_events"].fillna(0) if f"{kind}_events" in s else 0.0
    if "max_days_past_due" not in s:
        s["max_days_past_due"] = np.nan

    # register: 日本標準産業分類 major group (by middle-group range) × size band → peer group
    code2 = biz["industry_code"].astype("string").str.zfill(2).str[:2].fillna("")
    majors = _read("industries.yaml")["majors"]
    biz["major"] = np.select(
        [((code2 >= mg["middle_from"]) & (code2 <= mg["middle_to"])).to_numpy() for mg in majors],
        [mg["code"] for mg in majors],
        "T",
    )
    bands = [b for b in th.size_bands if b.max_employees is not None]
    emp_r = biz["employees"].astype("float64")
    biz["size_band"] = np.select(
        [emp_r.isna().to_numpy()] + [(emp_r <= b.max_employees).to_numpy() for b in bands],
        [th.size_bands[0].code] + [b.code for b in bands],
        th.size_bands[-1].code,
    )
    reg = biz.set_index("business_id")
    s["major"] = bid.map(reg["major"]).fillna("T")
    s["size_band"] = bid.map(reg["size_band"]).fillna(th.size_bands[0].code)
    s["peer_group"] = s["major"] + "|" + s["size_band"]
    emp = s["employees"].astype("float64").fillna(bid.map(reg["employees"]).astype("float64"))
    emp = emp.where(s["has_data"])

    # ---- window helpers (the spine is sorted by business and month, one row per month)
    def lag(x: pd.Series, k: int) -> pd.Series:
        return x.groupby(bid, sort=False).shift(k)

    def lags(cols: dict[str, pd.Series], k: int) -> pd.DataFrame:
        return pd.DataFrame(cols).groupby(bid, sort=False).shift(k)

    class Frames(BaseIndexer):
        """Row i's window is rows ``start[i]`` … i: SQL's ``ROWS BETWEEN … PRECEDING AND
        CURRENT ROW`` within the business. The same as ``groupby().rolling(k)`` for a fixed k
        (bit for bit), but pandas computes a groupby-rolling's window bounds group by group in
        Python, for every column: ~30× slower with 10⁴–10⁶ businesses. Also the fiscal
        year-to-date frame, whose length varies."""

        start: np.ndarray

        def get_window_bounds(
            self,
            num_values: int = 0,
            min_periods: int | None = None,
            center: bool | None = None,
            closed: str | None = None,
            step: int | None = None,
        ) -> tuple[np.ndarray, np.ndarray]:
            return self.start, np.arange(1, num_values + 1, dtype=np.int64)

    def rolling(cols: dict[str, pd.Series], frames: Frames | int, how: str) -> pd.DataFrame:
        """``how`` (sum, max, min) over each row's frame, or over the last ``frames`` months
        (fewer at the business's first months); nulls are skipped, as in SQL."""
        df = pd.DataFrame(cols)
        if isinstance(frames, int) and windows == "groupby":
            by_business = df.groupby(bid, sort=False).rolling(frames, min_periods=1)
            return getattr(by_business, how)().reset_index(level=0, drop=True)
        if isinstance(frames, int):
            frames = Frames(start=np.maximum(pos - frames + 1, first_row))
        return getattr(df.rolling(frames, min_periods=1), how)()

    def div(a: pd.Series, b: pd.Series | float) -> pd.Series:  # x / 0 is null
        return a / (b.where(b != 0) if isinstance(b, pd.Series) else b)

    def streak(cond: pd.Series) -> pd.Series:
        """Consecutive months ``cond`` holds up to this one (null does not hold), at most 36."""
        row = pd.Series(pos, index=s.index, dtype="float64")
        broke = row.where(~cond.fillna(False).astype(bool)).groupby(bid, sort=False).ffill()
        return (row - broke.fillna(pd.Series(first_row - 1.0))).clip(upper=STREAK_CAP)

    def months_since(cond: pd.Series) -> pd.Series:
        return s["m"] - s["m"].where(cond).groupby(bid, sort=False).ffill()

    def tri(x: pd.Series, result: pd.Series) -> pd.Series:
        """A comparison as SQL makes it: null (pd.NA) where the compared value is null."""
        return result.astype("boolean").mask(x.isna())

    # trailing sums of P/L flows: a row's flows cover the ``span`` months up to it (1 monthly,
    # 12 for an annual statement, 0 for a gap); the sum is computable when the frame's rows
    # cover exactly its n months and none starts before the frame. Amounts are integer yen, so
    # these float sums are exact whatever the order of addition.
    s["covers_from"] = s["m"] - s["span"]

    def complete(k: int) -> pd.Series:
        covered = rolling({"span": s["span"]}, k, "sum")["span"]
        first = rolling({"covers_from": s["covers_from"]}, k, "min")["covers_from"]
        return (covered == k) & (first >= s["m"] - k)

    ttm = rolling({c: s[c] for c in FLOWS}, 12, "sum").where(complete(12), axis=0)
    sales_3m = rolling({"sales": s["sales"]}, 3, "sum")["sales"].where(complete(3))
    # fiscal year to date: the fy_pos months before and this one
    pl_parts = ["net_assets__pl", "total_liabilities_and_net_assets__pl"]
    fy_start = Frames(start=np.maximum(pos - s["fy_pos"].to_numpy("int64"), first_row))
    ytd = rolling({c: s[c] for c in (*pl_parts, "span")}, fy_start, "sum")
    ytd = ytd[pl_parts].where(ytd["span"] == s["fy_pos"] + 1, axis=0)
    net_assets = s["net_assets__bs"] + ytd["net_assets__pl"]
    tlna = s["total_liabilities_and_net_assets__bs"] + ytd["total_liabilities_and_net_assets__pl"]
    del ytd

    # ---- indicators (the formulas of indicators.yaml, in the same order of operations)
    out = pd.DataFrame(index=s.index)
    out["monthly_sales"] = ms = ttm["sales"] / 12
    out["ebitda_ttm"] = ebitda = ttm["operating_profit"] + ttm["depreciation_total"]
    l12 = lags(
        {
            "ttm_sales": ttm["sales"],
            "ttm_op": ttm["operating_profit"],
            "sales": s["sales"],
            "sales_3m": sales_3m,
            "span": s["span"],
        },
        12,
    )
    out["sales_growth"] = (div(ttm["sales"], l12["ttm_sales"]) - 1) * 100
    out["operating_margin"] = div(ttm["operating_profit"], ttm["sales"]) * 100
    out["labour_productivity"] = (div(ttm["operating_profit"], emp) / 1000).where(emp > 0)
    out["ebitda_debt_ratio"] = div(s["borrowings"] - s["cash_and_deposits"], ebitda).where(
        ebitda > 0
    )
    out["working_capital_turnover"] = div(
        s["trade_receivables"] + s["inventories"] - s["trade_payables"], ms
    )
    out["equity_ratio"] = div(net_assets, tlna) * 100
    out["borrowings_to_monthly_sales"] = div(s["borrowings"], ms)
    out["liquidity_months"] = div(s["cash_and_deposits"] + s["securities"], ms)
    cover = ttm["net_income"] + ttm["depreciation_total"]
    out["debt_repayment_years"] = div(s["borrowings"], cover).where(cover > 0)
    out["current_ratio"] = div(s["current_assets"], s["current_liabilities"]) * 100
    opbd = ttm["ordinary_profit"] + ttm["depreciation_total"]
    out["ordinary_profit_before_depreciation"] = opbd
    out["insolvent"] = tri(net_assets, net_assets < 0)
    out["gross_margin"] = div(ttm["gross_profit"], ttm["sales"]) * 100
    out["receivable_turnover"] = div(s["trade_receivables"], ms)
    out["inventory_turnover"] = div(s["inventories"], ms)
    out["payable_turnover"] = div(s["trade_payables"], ms)
    out["interest_burden"] = div(ttm["interest_expense"], ttm["sales"]) * 100
    same_span = s["span"] == l12["span"]  # the two rows cover as many months
    out["sales_yoy"] = (div(s["sales"] - l12["sales"], l12["sales"].abs()) * 100).where(same_span)
    out["sales_3m_yoy"] = div(sales_3m - l12["sales_3m"], l12["sales_3m"].abs()) * 100
    out["operating_profit_ttm_change"] = ttm["operating_profit"] - l12["ttm_op"]
    out["operating_loss_streak"] = streak((s["operating_profit"] < 0) & (s["span"] == 1))
    turn = ("receivable_turnover", "inventory_turnover", "payable_turnover")
    lt = lags({c: out[c] for c in turn}, 12)
    for c in turn:
        out[f"{c}_change"] = out[c] - lt[c]
    cash_3 = lag(s["cash_and_deposits"], 3)
    out["cash_3m_change"] = div(s["cash_and_deposits"] - cash_3, cash_3.abs()) * 100
    out["data_gap_months"] = streak(~s["has_data"])
    del l12, lt

    # ロカベン scores, with the bounds of each business's major group × size band
    groups = s[["peer_group", "major", "size_band"]].drop_duplicates().set_index("peer_group")
    total = pd.Series(0.0, index=s.index)
    for name, better in LOCABEN:
        table = pd.DataFrame(
            [th.bounds(name, mj, sz) for mj, sz in groups.itertuples(index=False)],
            index=groups.index,
        )
        bound = table.reindex(s["peer_group"]).to_numpy()
        x = out[name].to_numpy()
        hit = x[:, None] >= bound if better == "higher" else x[:, None] <= bound
        score = np.select([hit[:, 0], hit[:, 1], hit[:, 2], hit[:, 3]], [5, 4, 3, 2], 1)
        out[f"score_{name}"] = np.where(np.isnan(x), np.nan, score)
        if name == "ebitda_debt_ratio":  # not computable for EBITDA ≤ 0: scored by net debt
            net_debt = s["borrowings"] - s["cash_and_deposits"]
            fallback = np.select(
                [(ebitda <= 0) & (net_debt > 0), (ebitda <= 0) & (net_debt <= 0)],
                [1.0, 5.0],
                np.nan,
            )
            out[f"score_{name}"] = out[f"score_{name}"].fillna(pd.Series(fallback, index=s.index))
        total = total + out[f"score_{name}"]  # null unless all six are scorable
    out["locaben_total"] = total
    out["locaben_total_change"] = total - lag(total, 12)
    r = th.rating
    rating = np.select([total >= r["A"], total >= r["B"], total >= r["C"]], ["A", "B", "C"], "D")
    out["locaben_rating"] = pd.Series(rating, index=s.index).where(total.notna())

    # ---- peers: per peer group × month among the computable values, when there are ≥ 5
    def peer(x: pd.Series, by: list[pd.Series], median: bool = True) -> tuple[Any, Any]:
        grp = x.groupby(by)
        count = grp.transform("count")
        pct = 100.0 * ((grp.rank(method="min") - 1) / (count - 1))  # PERCENT_RANK
        enough = x.notna() & (count >= PEER_MIN_N)
        return pct.where(enough), grp.transform("median").where(enough) if median else None

    b2ms = out["borrowings_to_monthly_sales"]
    b2ms_pct, b2ms_median = peer(b2ms, [s["peer_group"], s["m"]])
    _, s3_median = peer(out["sales_3m_yoy"], [s["peer_group"], s["m"]])

    # ---- rule conditions (true / false / pd.NA) and their evidence
    liq, lbc = out["liquidity_months"], out["locaben_total_change"]
    mx = rolling({"na": net_assets, "opbd": opbd, "liq": liq, "lbc": lbc}, 3, "max")
    liq_6 = lag(liq, 6)
    liq_change = liq - liq_6
    cond: dict[str, pd.Series] = {}
    evid: dict[str, dict[str, pd.Series]] = {}
    for kind in ("delinquency", "restructuring", "accident_report"):
        since = months_since(s[f"{kind}_events"] > 0)
        cond[f"credit.{kind}"] = tri(since, since < par["recent_event_months"])
        evid[f"credit.{kind}"] = {"months": since}
    dpd = rolling({"dpd": s["max_days_past_due"]}, 12, "max")["dpd"]
    evid["credit.delinquency"]["days_past_due"] = dpd.fillna(0)
    span_3 = rolling({"span": s["span"]}, 3, "max")["span"]
    cond["finance.negative_net_assets"] = tri(mx["na"], mx["na"] < 0) & tri(span_3, span_3 < 12)
    # annual rows (span ≥ 12) only; unknown where the month has no data
    annual = tri(s["span"], s["span"] >= 12)
    op, od = s["operating_profit"], s["ordinary_profit"]
    no_data = ~s["has_data"].astype(bool)
    cond["finance.annual_operating_loss"] = (annual & tri(op, op < 0)).mask(no_data)
    evid["finance.annual_operating_loss"] = {
        "value": op,
        "sales": s["sales"],
        "value_prev": lag(ttm["operating_profit"], 12),
    }
    cond["finance.annual_ordinary_loss"] = (annual & tri(od, od < 0) & tri(op, op >= 0)).mask(
        no_data
    )
    evid["finance.annual_ordinary_loss"] = {
        "value": od,
        "operating": op,
        "interest": s["interest_expense"],
    }
    cond["finance.annual_negative_net_assets"] = (annual & tri(net_assets, net_assets < 0)).mask(
        no_data
    )
    evid["finance.annual_negative_net_assets"] = {
        "net_assets": net_assets,
        "net_assets_prev": lag(net_assets, 12),
    }
    evid["finance.negative_net_assets"] = {
        "net_assets": net_assets,
        "net_assets_3m": lag(net_assets, 3),
    }
    cond["finance.loss_before_depreciation"] = tri(mx["opbd"], mx["opbd"] < 0)
    evid["finance.loss_before_depreciation"] = {"value": opbd, "value_12m": lag(opbd, 12)}
    loss = out["operating_loss_streak"]
    cond["finance.operating_loss_streak"] = tri(loss, loss >= par["loss_streak_months"]) & tri(
        ttm["operating_profit"], ttm["operating_profit"] < 0
    )
    evid["finance.operating_loss_streak"] = {"months": loss, "ttm": ttm["operating_profit"]}
    s3y = out["sales_3m_yoy"]
    cond["finance.sales_drop"] = tri(s3y, s3y <= par["sales_drop_pct"])
    evid["finance.sales_drop"] = {"value": s3y, "peer_median": s3_median}
    cond["cash.low_liquidity"] = tri(mx["liq"], mx["liq"] < par["liquidity_min_months"]) & (
        tri(liq_change, liq_change <= -par["liquidity_fall_months"])
        | tri(liq, liq < par["liquidity_critical_months"])
    )
    evid["cash.low_liquidity"] = {"value": liq, "value_6m": liq_6, "change_6m": liq_change}
    cond["cash.high_borrowings"] = tri(b2ms, b2ms >= par["borrowing_multiple_caution"]) & tri(
        b2ms_pct, b2ms_pct >= par["borrowing_peer_percentile"]
    )
    evid["cash.high_borrowings"] = {"value": b2ms, "peer_median": b2ms_median}
    for rid, c in zip(
        (
            "efficiency.receivables_lengthening",
            "efficiency.inventory_lengthening",
            "efficiency.payables_lengthening",
        ),
        turn,
        strict=True,
    ):
        change = out[f"{c}_change"]
        cond[rid] = tri(change, change >= par["turnover_lengthening_months"])
        evid[rid] = {"value": out[c], "change": change}
    cond["locaben.score_drop"] = tri(mx["lbc"], mx["lbc"] <= par["locaben_drop_points"])
    evid["locaben.score_drop"] = {"score": total, "drop": -lbc}
    gap = out["data_gap_months"]
    span_12 = rolling({"span": s["span"]}, 12, "max")["span"]
    cond["data.submission_gap"] = tri(gap, gap >= par["data_gap_months_max"]) & tri(
        span_12, span_12 < 12
    )
    evid["data.submission_gap"] = {"months": gap}
    for (
        rule
    ) in pack.rules:  # 真贋性 (2026.3.0): no bank data and no hidden debt; no plans (2026.4.0)
        if (
            rule.id.startswith(("authenticity.", "bank.", "plan."))
            or rule.id == "cash.projected_shortfall"
        ):
            cond[rule.id] = pd.Series(pd.NA, index=s.index, dtype="boolean")
            evid[rule.id] = {k: pd.Series(np.nan, index=s.index) for k in rule.evidence_nodes}
    rule_ids = [rule.id for rule in pack.rules]

    # ---- episodes: a flag opens where the condition is true and its last known value before
    # was not, and closes where it is false and its last known value was true (LAG IGNORE NULLS)
    fired = pd.DataFrame({rid: cond[rid].astype("Float64") for rid in rule_ids}).astype("float64")
    prev = fired.groupby(bid, sort=False).ffill().groupby(bid, sort=False).shift(1)
    starts = ((fired == 1) & (prev != 1)).to_numpy()
    ends = ((fired == 0) & (prev == 1)).to_numpy()
    del prev
    rows, rules = np.nonzero(starts | ends)
    marks = pd.DataFrame(
        {
            "business_id": bid.to_numpy()[rows],
            "rule": rules,
            "m": s["m"].to_numpy()[rows],
            "row": rows,
            "is_start": starts[rows, rules],
        }
    ).sort_values(["business_id", "rule", "m"], ignore_index=True)
    # starts and ends alternate per business × rule: an episode closes at the next mark
    after = marks.shift(-1)
    closes = (after["business_id"] == marks["business_id"]) & (after["rule"] == marks["rule"])
    marks["closed_m"] = after["m"].where(closes, -1).astype("int64")
    ep = marks[marks["is_start"]].reset_index(drop=True)
    ep_rule = ep["rule"].to_numpy()
    asof = last_row[np.searchsorted(lo.index.to_numpy(), ep["business_id"].to_numpy())]
    fired_asof = fired.to_numpy()[asof, ep_rule]
    is_open = (ep["closed_m"] == -1).to_numpy()
    episodes = pd.DataFrame(
        {
            "business_id": ep["business_id"],
            "rule_id": np.array(rule_ids, dtype=object)[ep_rule],
            "opened_m": ep["m"],
            "closed_m": ep["closed_m"],
            "fired_at_as_of": pd.array(
                np.where(is_open & ~np.isnan(fired_asof), fired_asof == 1, None), "boolean"
            ),
        }
    )
    latest = np.where(is_open & (fired_asof == 1), asof, ep["row"].to_numpy())

    # ---- the as-of month (every month with ``history``): indicators and firings
    keep = pos if history else last_row
    ind = out.iloc[keep].reset_index(drop=True)
    ind.insert(0, "business_id", bid.to_numpy()[keep])
    ind.insert(1, "m", s["m"].to_numpy()[keep])
    ind.insert(2, "peer_group", s["peer_group"].to_numpy()[keep])
    ind.insert(3, "has_data", s["has_data"].to_numpy()[keep])
    # and each numeric indicator's percentile among its peers (for the business page)
    for i in load_indicators():
        if i.type == "num" and i.group != "score":
            by = [ind["peer_group"], ind["m"]]
            ind[f"pct_{i.id}"] = peer(ind[i.id], by, median=False)[0]
    f_row, f_rule = np.nonzero(fired.to_numpy()[keep] == 1)
    f_row = keep[f_row]
    firings = pd.DataFrame(
        {
            "business_id": bid.to_numpy()[f_row],
            "m": s["m"].to_numpy()[f_row],
            "rule_id": np.array(rule_ids, dtype=object)[f_rule],
        }
    )
    # evidence: each rule's values gathered at its episodes' rows and at its firings
    for name in sorted({k for e in evid.values() for k in e}):
        opened, newest = np.full(len(ep), np.nan), np.full(len(ep), np.nan)
        now = np.full(len(firings), np.nan)
        for j, rid in enumerate(rule_ids):
            if name not in evid[rid]:
                continue
            v = evid[rid][name].to_numpy("float64", na_value=np.nan)
            sel = ep_rule == j
            opened[sel] = v[ep["row"].to_numpy()[sel]]
            newest[sel] = v[latest[sel]]
            fsel = f_rule == j
            now[fsel] = v[f_row[fsel]]
        episodes[f"ev_{name}"], episodes[f"evl_{name}"] = opened, newest
        firings[f"ev_{name}"] = now
    return {"as_of_m": as_of_m, "indicators": ind, "firings": firings, "episodes": episodes}


def run_pandas(d: Path, windows: str = "frames") -> dict:
    """The pandas twin of the default pack (``pandas_monitoring``), timed."""
    t = time.perf_counter()
    res = pandas_monitoring(d, windows)
    return {
        "seconds": time.perf_counter() - t,
        "windows": windows,
        "episodes": len(res["episodes"]),
        "firings": len(res["firings"]),
        "businesses": len(res["indicators"]),
    }


# ------------------------------------------------------------------ engine vs pandas twin
def _month_index(col: Any) -> Any:
    import pandas as pd

    col = pd.to_datetime(col)
    return (col.dt.year * 12 + col.dt.month - 1).fillna(-1).astype("int64")


def _differ(a: Any, b: Any, rtol: float = 1e-9) -> Any:
    """Per row: one side null and the other not, or values apart by more than ``rtol``."""
    import numpy as np
    import pandas as pd

    a, b = pd.Series(a), pd.Series(b)
    if a.dtype == object or b.dtype == object or str(a.dtype) in ("str", "string", "boolean"):
        a, b = a.astype(object), b.astype(object)
        na_a, na_b = a.isna().to_numpy(), b.isna().to_numpy()
        same = na_a & na_b | (~na_a & ~na_b & (a.fillna(0) == b.fillna(0)).to_numpy())
        return ~same
    x = a.to_numpy("float64", na_value=np.nan)
    y = b.to_numpy("float64", na_value=np.nan)
    both = np.isnan(x) & np.isnan(y)
    close = np.abs(x - y) <= rtol * np.maximum(1.0, np.maximum(np.abs(x), np.abs(y)))
    return ~(both | close)


def _evidence(col: Any) -> Any:
    import pandas as pd

    return pd.json_normalize([json.loads(v) if v else {} for v in col])


def check(d: Path, show: int = 5, windows: str = "frames", history: bool = False) -> dict:
    """Run the engine and the pandas twin on ``d`` and compare what they find.

    Episodes are compared as sets of (business_id, rule_id, opened_month, closed_month) and
    as-of firings as sets of (business_id, rule_id); for the ones both find, ``fired_at_as_of``
    and the evidence values, and every indicator at the as-of month (relative tolerance 1e-9).
    With ``history`` firings and indicators are compared in every month (small portfolios).
    """
    import pandas as pd

    from kizashi.engine.exec.run import run_monitoring
    from kizashi.synth import LOAN_COLUMNS as SYNTH_LOANS

    t = time.perf_counter()
    res = run_monitoring(
        d, d, d / "credit_events", loans=d / "loans", loan_columns=SYNTH_LOANS, history=history
    )
    engine_s = time.perf_counter() - t
    t = time.perf_counter()
    tw = pandas_monitoring(d, windows, history)
    pandas_s = time.perf_counter() - t
    report: dict[str, Any] = {
        "portfolio": str(d),
        "as_of": res.as_of.isoformat()[:7],
        "pandas_windows": windows,
        "months": "all" if history else "as-of",
        "seconds": {"engine": round(engine_s, 2), "pandas": round(pandas_s, 2)},
    }
    examples: list[str] = []

    def compare(label: str, eng: pd.DataFrame, pan: pd.DataFrame, key: list[str]) -> pd.DataFrame:
        both = eng.merge(pan, on=key, how="outer", indicator=True, suffixes=("_e", "_p"))
        only_e, only_p = both[both["_merge"] == "left_only"], both[both["_merge"] == "right_only"]
        report[label] = {
            "engine": len(eng),
            "pandas": len(pan),
            "only_engine": len(only_e),
            "only_pandas": len(only_p),
        }
        for side, rows in (("only engine", only_e), ("only pandas", only_p)):
            for r in rows[key].head(show).itertuples(index=False):
                examples.append(f"{label} {side}: {dict(zip(key, r, strict=True))}")
        return both[both["_merge"] == "both"].reset_index(drop=True)

    def compare_values(
        label: str, matched: pd.DataFrame, pairs: list[tuple[Any, str, str]]
    ) -> None:
        """``pairs``: (engine values, twin column of ``matched``, name) for the matched rows."""
        bad: dict[str, int] = {}
        for e, col, name in pairs:
            if col not in matched:  # the engine outputs something the twin does not compute
                bad[name] = len(matched)
                examples.append(f"{label} {name}: not computed by the pandas twin")
                continue
            e, p = pd.Series(e), matched[col]
            diff = _differ(e, p)
            bad.update({name: int(diff.sum())} if diff.any() else {})
            for i in diff.nonzero()[0][:2]:
                who = " ".join(
                    f"{k}={matched[k].iloc[i]}" for k in ("business_id", "rule_id") if k in matched
                )
                examples.append(f"{label} {name} {who}: engine {e.iloc[i]}, pandas {p.iloc[i]}")
        report[label] = {"cells_compared": len(matched) * len(pairs), "mismatches": bad}

    # episodes, and for those both find: fired_at_as_of and the evidence when opened and latest
    eng_ep = res.episodes.to_pandas()
    eng_ep["opened_m"] = _month_index(eng_ep["opened_month"])
    eng_ep["closed_m"] = _month_index(eng_ep["closed_month"])
    key = ["business_id", "rule_id", "opened_m", "closed_m"]
    ep = compare("episodes", eng_ep, tw["episodes"], key)
    pairs = [(ep["fired_at_as_of_e"], "fired_at_as_of_p", "fired_at_as_of")]
    for col, prefix in (("evidence_opened", "ev_"), ("evidence_latest", "evl_")):
        ev = _evidence(ep[col])
        pairs += [(ev[c], prefix + c, f"{col}.{c}") for c in ev.columns]
    compare_values("episode_values", ep, pairs)
    # firings at the as-of month, and their evidence
    eng_f = res.firings.to_pandas()
    eng_f["m"] = _month_index(eng_f["month"])
    fi = compare("firings", eng_f, tw["firings"], ["business_id", "m", "rule_id"])
    ev = _evidence(fi["evidence"])
    compare_values("firing_evidence", fi, [(ev[c], "ev_" + c, c) for c in ev.columns])
    # every indicator (and score, rating, peer percentile) at the as-of month
    eng_i = res.indicators.to_pandas()
    eng_i["m"] = _month_index(eng_i["month"])
    ind = compare("indicator_rows", eng_i, tw["indicators"], ["business_id", "m"])
    cols = [c for c in eng_i.columns if c not in ("business_id", "month", "m")]
    compare_values("indicators", ind, [(ind[c + "_e"], c + "_p", c) for c in cols])
    report["mismatches"] = sum(
        report[k]["only_engine"] + report[k]["only_pandas"]
        for k in ("episodes", "firings", "indicator_rows")
    ) + sum(
        sum(report[k]["mismatches"].values())
        for k in ("episode_values", "firing_evidence", "indicators")
    )
    report["examples"] = examples
    return report


# ------------------------------------------------------------------ lead time on a synth portfolio
def quality(d: Path) -> dict:
    from kizashi.engine.exec.run import run_monitoring

    res = run_monitoring(d, d, d / "credit_events")
    con = duckdb.connect()
    con.register("ep", res.episodes)
    con.execute(f"CREATE VIEW biz AS SELECT * FROM read_parquet('{d}/businesses/*.parquet')")
    out: dict = {"as_of": res.as_of.isoformat()[:7]}
    for label, excl in (
        ("financial rules only", "rule_id NOT LIKE 'credit.%'"),
        (
            "all rules but delinquency/accident",
            "rule_id NOT IN ('credit.delinquency', 'credit.accident_report')",
        ),
    ):
        rows = {}
        for n in (3, 6, 12):
            hit = con.execute(f"""
                SELECT COUNT(DISTINCT b.business_id) FILTER (WHERE e.business_id IS NOT NULL), COUNT(DISTINCT b.business_id)
                FROM biz b LEFT JOIN ep e ON e.business_id = b.business_id AND {excl}
                  AND e.opened_month <= b.outcome_month - INTERVAL {n} MONTH
                  AND (e.closed_month IS NULL OR e.closed_month > b.outcome_month - INTERVAL {n} MONTH)
                WHERE b.outcome IN ('delinquency', 'subrogation')
                  AND b.outcome_month - INTERVAL {n} MONTH >= DATE '{res.as_of}' - INTERVAL 23 MONTH""").fetchone()
            ref = f"DATE '{res.as_of}' - INTERVAL {n} MONTH"
            healthy = con.execute(f"""
                SELECT AVG(CASE WHEN EXISTS (SELECT 1 FROM ep e WHERE e.business_id = b.business_id AND {excl}
                  AND e.opened_month <= {ref} AND (e.closed_month IS NULL OR e.closed_month > {ref}))
                  THEN 1.0 ELSE 0.0 END) FROM biz b WHERE b.path = 'healthy'""").fetchone()[0]
            rows[f"{n}m"] = {
                "distressed_flagged": hit[0] / max(hit[1], 1),
                "distressed_n": hit[1],
                "healthy_flagged": healthy,
            }
        lead = con.execute(f"""
            SELECT MEDIAN(date_diff('month', first_open, outcome_month)) FROM (
              SELECT b.business_id, b.outcome_month, MIN(e.opened_month) AS first_open
              FROM biz b JOIN ep e ON e.business_id = b.business_id AND {excl} AND e.opened_month <= b.outcome_month
              WHERE b.outcome IN ('delinquency', 'subrogation') GROUP BY ALL)""").fetchone()[0]
        out[label] = {**rows, "median_lead_months": lead}
    return out


WORK: dict[str, Any] = {
    "engine": run_engine,
    "floor": run_floor,
    "floor_sql": run_floor_sql,
    "pandas": run_pandas,  # frames
    "pandas-groupby": functools.partial(run_pandas, windows="groupby"),
    "quality": quality,
}


def child(kind: str, d: str) -> None:
    try:
        res = WORK[kind](Path(d))
        res["peak_rss_mb"] = peak_mb()
    except MemoryError as exc:
        res = {"error": f"MemoryError {exc}", "peak_rss_mb": peak_mb()}
    print(json.dumps(res, default=str))


def measure_once(kind: str, d: Path) -> dict:
    p = subprocess.run(
        [sys.executable, str(HERE), "--child", kind, str(d)], capture_output=True, text=True
    )
    if p.returncode != 0:
        return {"error": (p.stderr or "")[-400:], "returncode": p.returncode}
    return json.loads(p.stdout.strip().splitlines()[-1])


REPEAT = 1  # --repeat: runs per measurement (the machine's timings vary by ±10 %)


def measure(kind: str, d: Path) -> dict:
    """``kind`` on ``d`` REPEAT times, each in a fresh process: the median run, with every
    run's seconds (``runs``) and the largest peak RSS."""
    runs = [measure_once(kind, d) for _ in range(REPEAT)]
    ok = [r for r in runs if "seconds" in r]
    if len(ok) < len(runs):
        return next(r for r in runs if "seconds" not in r)
    ok.sort(key=lambda r: r["seconds"])
    out = dict(ok[len(ok) // 2])
    if REPEAT > 1:
        out["runs"] = [round(r["seconds"], 2) for r in runs]
        out["peak_rss_mb"] = max(r["peak_rss_mb"] for r in ok)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument(
        "--pandas", type=int, default=0, help="portfolio size for the pandas comparison"
    )
    ap.add_argument(
        "--quality", type=int, default=0, help="portfolio size for the lead-time measurement"
    )
    ap.add_argument("--data", default="/tmp/kizashi-bench")
    ap.add_argument("--child", nargs=2)
    ap.add_argument(
        "--pandas-windows",
        default="frames",
        help="trailing windows of the pandas twin: frames, groupby or frames,groupby",
    )
    ap.add_argument(
        "--check", metavar="DIR", help="compare the engine with the pandas twin on a portfolio"
    )
    ap.add_argument(
        "--history", action="store_true", help="--check every month, not only the as-of month"
    )
    ap.add_argument(
        "--repeat", type=int, default=1, help="runs per measurement; the median is reported"
    )
    a = ap.parse_args()
    global REPEAT
    REPEAT = a.repeat
    if a.child:
        child(*a.child)
        return
    styles = [w for w in a.pandas_windows.split(",") if w]
    if any(w not in ("frames", "groupby") for w in styles):
        ap.error("--pandas-windows: frames and/or groupby")
    if a.check:
        report = check(Path(a.check), windows=styles[0], history=a.history)
        for line in report.pop("examples"):
            print(line)
        print(json.dumps(report, ensure_ascii=False, indent=1))
        sys.exit(1 if report["mismatches"] else 0)
    root = Path(a.data)
    for n in [int(x) for x in a.sizes.split(",") if x]:
        d = generate(n, root)
        print(
            json.dumps({"n": n, "engine": measure("engine", d), "floor": measure("floor", d)}),
            flush=True,
        )
    if a.pandas:
        d = generate(a.pandas, root)
        out = {"n": a.pandas, "engine": measure("engine", d)}
        for w in styles:
            out["pandas" if w == "frames" else f"pandas-{w}"] = measure(
                "pandas" if w == "frames" else f"pandas-{w}", d
            )
        print(json.dumps(out), flush=True)
    if a.quality:
        d = generate(a.quality, root)
        print(
            json.dumps({"n": a.quality, "quality": measure("quality", d)}, ensure_ascii=False),
            flush=True,
        )


if __name__ == "__main__":
    main()
