"""Benchmark the monitoring engine (docs/performance.md, "## Monitoring engine").

    .venv/bin/python bench/bench_engine.py --sizes 10000,100000,1500000 --pandas 150000 --quality 20000

Each measurement runs in a fresh subprocess so peak RSS (ru_maxrss) is its own. Portfolios are
generated once with ``kizashi.synth`` into ``--data`` (default /tmp/kizashi-bench/N).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

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
    from kizashi.engine import run_monitoring

    t = time.perf_counter()
    res = run_monitoring(d, d, d / "credit_events", loans=d / "loans")
    return {
        "seconds": time.perf_counter() - t,
        "episodes": res.episodes.num_rows,
        "businesses": res.indicators.num_rows,
    }


def run_floor(d: Path) -> dict:
    """One DuckDB pass: TTM sums, 12-month lags and 12-month rolling means of the input items."""
    from kizashi.domain.chart import load_chart
    from kizashi.engine.compiler import Compiler
    from kizashi.engine.indicators import load_indicators
    from kizashi.engine.locaben import load_thresholds
    from kizashi.engine.packs import default_pack

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
    items = []
    for name, terms in c.base_items.items():
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


def run_pandas(d: Path) -> dict:
    """An idiomatic vectorised pandas implementation of the default pack (groupby/rolling/shift)."""
    import numpy as np
    import pandas as pd

    from kizashi.domain.chart import load_chart
    from kizashi.engine.locaben import load_thresholds

    chart, th = load_chart(), load_thresholds()
    t = time.perf_counter()
    df = pd.read_parquet(d / "panel")
    biz = pd.read_parquet(d / "businesses", columns=["business_id", "industry_code", "employees"])
    ev = pd.read_parquet(d / "credit_events", columns=["business_id", "kind", "occurred_on"])

    def item(code: str) -> pd.Series:
        return sum(s * df[leaf].astype("float64") for leaf, s in chart.leaf_terms(code).items())  # type: ignore[return-value]

    # densify: every business × month from first month to the last month of the panel
    df["month"] = pd.to_datetime(df["month"])
    last = df["month"].max()
    first = df.groupby("business_id")["month"].min()
    idx = (
        pd.MultiIndex.from_frame(
            pd.concat(
                [
                    pd.DataFrame({"business_id": b, "month": pd.date_range(f, last, freq="MS")})
                    for b, f in first.items()
                ]
            )
        )
        if len(first) < 2000
        else None
    )
    base = pd.DataFrame({"business_id": df["business_id"], "month": df["month"]})
    for code in (
        "sales",
        "operating_profit",
        "ordinary_profit",
        "net_income",
        "gross_profit",
        "interest_expense",
        "depreciation_total",
        "cash_and_deposits",
        "securities",
        "trade_receivables",
        "inventories",
        "trade_payables",
        "borrowings",
        "current_assets",
        "current_liabilities",
        "shareholders_equity",
        "total_liabilities",
    ):
        base[code] = item(code)
    base["employees"] = df["employees"]
    fy = pd.to_datetime(df["fiscal_year_start"])
    base["fy"] = fy
    base = base.set_index(["business_id", "month"])
    if idx is not None:
        base = base.reindex(idx)
    else:  # densify by months-since-first per business (vectorised)
        full = base.reset_index()
        mi = full["month"].dt.year * 12 + full["month"].dt.month
        span = (last.year * 12 + last.month) - mi.groupby(full["business_id"]).transform("min")
        rep = full.groupby("business_id")["month"].min()
        lens = ((last.year * 12 + last.month) - (rep.dt.year * 12 + rep.dt.month) + 1).to_numpy()
        ids = np.repeat(rep.index.to_numpy(), lens)
        offs = np.concatenate([np.arange(n) for n in lens]) if len(lens) else np.array([], int)
        months = pd.to_datetime(np.repeat(rep.to_numpy(), lens)) + pd.to_timedelta(0, "D")
        months = (months.to_period("M") + offs).to_timestamp()
        base = base.reindex(
            pd.MultiIndex.from_arrays([ids, months], names=["business_id", "month"])
        )
        del span
    base = base.sort_index()
    g = base.groupby(level=0)
    has = base["sales"].notna()

    def ttm(col: str) -> pd.Series:
        return g[col].rolling(12, min_periods=12).sum().droplevel(0)

    def lag(s: pd.Series, n: int) -> pd.Series:
        return s.groupby(level=0).shift(n)

    def streak(cond: pd.Series) -> pd.Series:
        c = cond.fillna(False).astype(int)
        brk = (c == 0).groupby(level=0).cumsum()
        return c.groupby([c.index.get_level_values(0), brk]).cumsum().clip(upper=36)

    out = pd.DataFrame(index=base.index)
    s_ttm = ttm("sales")
    ms = s_ttm / 12
    op_ttm, dep_ttm = ttm("operating_profit"), ttm("depreciation_total")
    ni_ytd = base.groupby([base.index.get_level_values(0), base["fy"]])["net_income"].cumsum()
    net_assets = base["shareholders_equity"] + ni_ytd
    out["sales_growth"] = (s_ttm / lag(s_ttm, 12) - 1) * 100
    out["operating_margin"] = op_ttm / s_ttm * 100
    emp = base["employees"].where(base["employees"] > 0)
    out["labour_productivity"] = op_ttm / emp / 1000
    ebitda = op_ttm + dep_ttm
    out["ebitda_debt_ratio"] = ((base["borrowings"] - base["cash_and_deposits"]) / ebitda).where(
        ebitda > 0
    )
    out["working_capital_turnover"] = (
        base["trade_receivables"] + base["inventories"] - base["trade_payables"]
    ) / ms
    out["equity_ratio"] = net_assets / (base["total_liabilities"] + net_assets) * 100
    out["borrowings_to_monthly_sales"] = base["borrowings"] / ms
    out["liquidity_months"] = (base["cash_and_deposits"] + base["securities"]) / ms
    opbd = ttm("ordinary_profit") + dep_ttm
    out["receivable_turnover"] = base["trade_receivables"] / ms
    out["inventory_turnover"] = base["inventories"] / ms
    out["payable_turnover"] = base["trade_payables"] / ms
    s3 = g["sales"].rolling(3, min_periods=3).sum().droplevel(0)
    out["sales_3m_yoy"] = (s3 - lag(s3, 12)) / lag(s3, 12).abs() * 100
    loss_streak = streak(base["operating_profit"] < 0)
    gap = streak(~has)
    # scores (default thresholds; overrides omitted in this comparison) and total
    scores = []
    for name, better in (
        ("sales_growth", "h"),
        ("operating_margin", "h"),
        ("labour_productivity", "h"),
        ("ebitda_debt_ratio", "l"),
        ("working_capital_turnover", "l"),
        ("equity_ratio", "h"),
    ):
        b = th.default[name]
        x = out[name]
        sc = pd.Series(np.where(x.isna(), np.nan, 1.0), index=x.index)
        for k in range(3, -1, -1):
            sc = sc.where(~((x >= b[k]) if better == "h" else (x <= b[k])), 5 - k)
        scores.append(sc)
    total = sum(scores)
    # peer percentile of borrowings multiple per major × band × month
    biz["major"] = biz["industry_code"].str.zfill(2)
    grp = base.index.get_level_values(0).map(biz.set_index("business_id")["major"])
    pct = (
        out["borrowings_to_monthly_sales"]
        .groupby([grp, base.index.get_level_values(1)])
        .rank(pct=True)
        * 100
    )
    # events
    ev["month"] = pd.to_datetime(ev["occurred_on"]).dt.to_period("M").dt.to_timestamp()
    evm = (
        ev.groupby(["business_id", "month", "kind"])
        .size()
        .unstack(fill_value=0)
        .reindex(base.index, fill_value=0)
    )

    def months_since(col: str) -> pd.Series:
        m = pd.Series(np.arange(len(base)), index=base.index, dtype="float64")
        hit = m.where(evm.get(col, pd.Series(0, index=base.index)) > 0)
        return m - hit.groupby(level=0).ffill()

    rules = pd.DataFrame(index=base.index)
    rules["credit.delinquency"] = months_since("delinquency") < 12
    rules["credit.restructuring"] = months_since("restructuring") < 12
    rules["credit.accident_report"] = months_since("accident_report") < 12
    rules["finance.negative_net_assets"] = net_assets < 0
    rules["finance.loss_before_depreciation"] = opbd < 0
    rules["finance.operating_loss_streak"] = (loss_streak >= 3) & (op_ttm < 0)
    rules["finance.sales_drop"] = out["sales_3m_yoy"] <= -20
    rules["cash.low_liquidity"] = out["liquidity_months"] < 1
    rules["cash.high_borrowings"] = (out["borrowings_to_monthly_sales"] >= 6) & (pct >= 90)
    for name in ("receivable_turnover", "inventory_turnover", "payable_turnover"):
        rules[f"efficiency.{name}"] = (out[name] - lag(out[name], 12)) >= 1
    rules["locaben.score_drop"] = (total - lag(total, 12)) <= -4
    rules["data.submission_gap"] = gap >= 3
    # episodes: starts where a rule becomes true after not being true
    starts = rules & ~rules.groupby(level=0).shift(1, fill_value=False)
    n_episodes = int(starts.to_numpy().sum())
    return {"seconds": time.perf_counter() - t, "episodes": n_episodes}


# ------------------------------------------------------------------ lead time on a synth portfolio
def quality(d: Path) -> dict:
    from kizashi.engine import run_monitoring

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


WORK = {"engine": run_engine, "floor": run_floor, "pandas": run_pandas, "quality": quality}


def child(kind: str, d: str) -> None:
    try:
        res = WORK[kind](Path(d))
        res["peak_rss_mb"] = peak_mb()
    except MemoryError as exc:
        res = {"error": f"MemoryError {exc}", "peak_rss_mb": peak_mb()}
    print(json.dumps(res, default=str))


def measure(kind: str, d: Path) -> dict:
    p = subprocess.run(
        [sys.executable, str(HERE), "--child", kind, str(d)], capture_output=True, text=True
    )
    if p.returncode != 0:
        return {"error": (p.stderr or "")[-400:], "returncode": p.returncode}
    return json.loads(p.stdout.strip().splitlines()[-1])


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
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    root = Path(a.data)
    for n in [int(x) for x in a.sizes.split(",") if x]:
        d = generate(n, root)
        print(
            json.dumps({"n": n, "engine": measure("engine", d), "floor": measure("floor", d)}),
            flush=True,
        )
    if a.pandas:
        d = generate(a.pandas, root)
        print(
            json.dumps(
                {"n": a.pandas, "engine": measure("engine", d), "pandas": measure("pandas", d)}
            ),
            flush=True,
        )
    if a.quality:
        d = generate(a.quality, root)
        print(
            json.dumps({"n": a.quality, "quality": measure("quality", d)}, ensure_ascii=False),
            flush=True,
        )


if __name__ == "__main__":
    main()
