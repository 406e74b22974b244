"""Benchmark the bank features and the 真贋性 checks (docs/performance.md, "## Bank features").

    .venv/bin/python bench/bench_bank.py --scale 10000,50000,150000
    .venv/bin/python bench/bench_bank.py --scale 2000 --detect      # the detection table only

For each scale N: the synthetic portfolio with bank data (``kizashi synth --bank``: 12 months,
~100 transactions per business and month) is generated once into ``--data``/N (never inside a
timed interval). Then, each in a fresh subprocess (so peak RSS, ru_maxrss, is its own):

* ``reference``: a plain DuckDB GROUP BY business × month over the same Parquet files (count,
  inflows, outflows): what one pass over the rows costs on this machine, in the same run;
* ``pipeline``: the timed interval holds, for every business, ``compute_bank_features`` (the
  monthly features, the balance arithmetic, kinds, Benford, the customer share, invoices, open
  items, the books' roundness **and the 13-week cash forecast**) and then ``run_monitoring``
  with the default pack and those features (every rule, 真贋性 checks and the cash shortfall
  included, every business). Reading the Parquet files is inside; generating them is not. The
  detection table is computed after the timer stops: per check, planted discrepancies found
  (flag open at the last month) and false alarms (businesses flagged without that plant).

Rows per minute = bank transactions ÷ the pipeline's wall time × 60 (features and checks
together; the features' own share is printed beside it). ``load`` is the 1-minute load
average when the step ended (the machine is shared).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
AS_OF = dt.date(2026, 9, 1)
# check → the plant it is meant to find
TARGETS = {
    "authenticity.deposit_balance_mismatch": "cash_overstated",
    "authenticity.sales_unsupported": "sales_overstated",
    "authenticity.receivables_unsupported": "receivables_overstated",
    "authenticity.borrowings_understated": "borrowings_understated",
    "authenticity.round_figures": "round_figures",
    "authenticity.benford": "fabricated_statement",
    "bank.regular_payments_stopped": "regular_payments_stopped",
    "bank.high_rate_lender": "high_rate_lender",
    "bank.negative_balance_days": "negative_balance",
    "bank.customer_concentration": "customer_concentration",
}
# rules without a plant: how many businesses they flag
UNPLANTED = ("cash.projected_shortfall",)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(n: int, root: Path) -> Path:
    out = root / str(n)
    if (out / "COMPLETE").is_file():
        return out
    from kizashi.synth.bank import BankOptions
    from kizashi.synth.writer import write_portfolio

    t = time.perf_counter()
    write_portfolio(
        out, n, seed=1, months=24, end_month=AS_OF, chunk_size=10_000, bank=BankOptions(seed=1)
    )
    print(f"generated {n:,} businesses in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    (out / "COMPLETE").write_text("")  # an interrupted generation is not reused
    return out


def _con(threads: int | None):
    import duckdb

    con = duckdb.connect(config={"preserve_insertion_order": False})
    if threads:
        con.execute(f"SET threads = {threads}")
    return con


def _detection(res: dict[str, object], data: Path, feats: object, r: object) -> None:
    """Per check: planted discrepancies found and false alarms (outside the timed interval)."""
    import pyarrow.parquet as pq

    truth = pq.read_table(data / "bank_truth").to_pylist()
    planted: dict[str, set[int]] = {}
    for row in truth:
        planted.setdefault(row["kind"], set()).add(row["business_id"])
    episodes = r.episodes  # type: ignore[attr-defined]
    ep = episodes.filter(episodes.column("is_open")).select(["business_id", "rule_id"]).to_pylist()
    flagged: dict[str, set[int]] = {}
    for row in ep:
        flagged.setdefault(row["rule_id"], set()).add(row["business_id"])
    with_bank = set(feats.column("business_id").to_pylist())  # type: ignore[attr-defined]
    table = {}
    for rule, kind in TARGETS.items():
        f, p = flagged.get(rule, set()), planted.get(kind, set()) & with_bank
        table[rule] = {
            "planted": len(p),
            "found": len(f & p),
            "false_alarms": len(f - p),
            "clean_businesses": len(with_bank) - len(p),
        }
    res["detection"] = table
    res["flagged"] = {rule: len(flagged.get(rule, set())) for rule in UNPLANTED}
    res["with_bank"] = len(with_bank)


def measure(step: str, data: Path, threads: int | None) -> dict[str, object]:
    tx = f"{data}/bank_transactions/*.parquet"
    con = _con(threads)
    rows = con.execute(f"SELECT COUNT(*) FROM read_parquet('{tx}')").fetchall()[0][0]
    t = time.perf_counter()
    res: dict[str, object] = {"step": step, "rows": rows}
    if step == "reference":
        out = con.sql(
            f"SELECT business_id, year(booked_on) * 12 + month(booked_on) AS m, COUNT(*), "
            "SUM(amount_yen) FILTER (WHERE amount_yen > 0), SUM(amount_yen) FILTER (WHERE amount_yen < 0) "
            f"FROM read_parquet('{tx}') GROUP BY 1, 2"
        ).to_arrow_table()
        res["groups"] = out.num_rows
    else:
        from kizashi.engine.exec.bank_features import compute_bank_features
        from kizashi.engine.exec.run import run_monitoring
        from kizashi.synth import LOAN_COLUMNS

        feats = compute_bank_features(
            data, AS_OF, invoices=data, open_items=data, panel=data, instalments=data, con=con
        )
        res["features_seconds"] = round(time.perf_counter() - t, 2)
        r = run_monitoring(
            data,
            data,
            data,
            month=AS_OF,
            loans=data,
            loan_balances=data,
            bank_features=feats,
            loan_columns=LOAN_COLUMNS,
        )
        res["seconds"] = round(time.perf_counter() - t, 2)  # the timer stops here
        res["checks_seconds"] = round(res["seconds"] - res["features_seconds"], 2)  # type: ignore[operator]
        res["groups"] = feats.num_rows
        res["businesses"] = r.indicators.num_rows
        _detection(res, data, feats, r)
    res.setdefault("seconds", round(time.perf_counter() - t, 2))
    res["rows_per_minute"] = round(int(rows) / max(float(res["seconds"]), 1e-9) * 60)  # type: ignore[arg-type]
    res["peak_rss_mb"] = round(peak_mb())
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="10000,50000,150000")
    ap.add_argument("--data", default="/tmp/kizashi-bench-bank")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--detect", action="store_true", help="only the checks and detection table")
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(measure(a.one[0], Path(a.one[1]), a.threads)))
        return
    print(
        f"# {platform.machine()} {os.cpu_count()} cpus, {platform.python_version()}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    steps = ("pipeline",) if a.detect else ("reference", "pipeline")
    for n in [int(x) for x in a.scale.split(",") if x]:
        data = generate(n, Path(a.data))
        for step in steps:
            cmd = [sys.executable, str(HERE), "--one", step, str(data)]
            if a.threads:
                cmd += ["--threads", str(a.threads)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if out.returncode:
                print(out.stderr[-2000:], file=sys.stderr)
                continue
            res = json.loads(out.stdout.strip().splitlines()[-1])
            det = res.pop("detection", None)
            if "features_seconds" in res:
                res["features_rows_per_minute"] = round(
                    int(res["rows"]) / max(float(res["features_seconds"]), 1e-9) * 60
                )
            print(json.dumps({"businesses": n, **res, "load": round(os.getloadavg()[0], 1)}))
            if det:
                print(f"{'check':42} {'planted':>8} {'found':>6} {'false alarms':>13} (of clean)")
                for rule, d in det.items():
                    print(
                        f"{rule:42} {d['planted']:>8} {d['found']:>6} {d['false_alarms']:>13} ({d['clean_businesses']})"
                    )


if __name__ == "__main__":
    main()
