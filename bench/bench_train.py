"""Training the risk model end to end on a real synthetic portfolio (docs/model.md, "Training at
scale"): what ``kizashi model train`` does after reading the store, on ``kizashi synth``'s files.

    .venv/bin/python bench/bench_train.py --sizes 50000,200000,1500000 --months 36 --dir /tmp/x
    add --json for the figures as JSON; --keep keeps the generated portfolios

Per size, a portfolio of that many businesses (``kizashi.synth.write_portfolio``, ``months``
months; generated outside the timer, and reused when ``DIR/p<size>`` exists), then two fresh
processes, so that each peak RSS (``ru_maxrss``) is that step's alone:

1. ``train``, timed: the engine over every month of the panel files, streamed month by month
   into the feature frame (``jobs.risk_history.history_frame``, the months the split uses only),
   then ``train_evaluate`` with the CLI's 6 test months (LightGBM, calibration, the logistic
   baseline, the evaluation on the later months) and the model saved (``registry.save_model``).
   Its AUC is the time-ordered hold-out's on a real portfolio (no business repeated).
2. ``reference``: DuckDB reading every column of the same panel files once (a plain pass).
3. In the first process after its peak is recorded: bare LightGBM on the rows the trees learn
   from (its Dataset and 20 trees; the floor: Dataset + the pipeline's number of trees × seconds
   per tree).

What this does not measure: reading the businesses, credit events and loans from the store and
writing the panel to Parquet (``jobs.risk_history.panel_files``); here they are the synth's files.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def _peak_gb() -> float:
    """Peak resident memory in GB (10⁹ bytes; ``ru_maxrss`` is KiB). Figures before
    2026-12-03 13:00 UTC were this value in GiB, labelled GB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9, 2)


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def _tables(d: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    return {k: pq.read_table(d / k) for k in ("businesses", "credit_events", "loans")}


def step_train(d: Path, test_months: int) -> dict[str, Any]:
    import duckdb

    from kizashi.jobs.risk_history import training_frame
    from kizashi.model import registry
    from kizashi.model.labels import first_serious, month_end
    from kizashi.model.pipeline import train_evaluate
    from kizashi.synth import LOAN_COLUMNS

    out: dict[str, Any] = {"load_before": _load()}
    t0 = time.perf_counter()
    tabs = _tables(d)
    con = duckdb.connect()
    last = con.execute(f"SELECT MAX(month) FROM read_parquet('{d}/panel/*.parquet')").fetchone()[0]  # type: ignore[index]
    con.close()
    frame = training_frame(
        str(d / "panel"),
        tabs["businesses"],
        tabs["credit_events"],
        last,
        loans=tabs["loans"],
        loan_columns=LOAN_COLUMNS,
        loan_balances=str(d / "loan_balances"),
        test_months=test_months,
    )
    t1 = time.perf_counter()
    out["history_seconds"] = round(t1 - t0, 1)
    out["frame_rows"] = len(frame)
    out["frame_gb"] = round(frame.X.nbytes / 1e9, 2)
    out["peak_rss_gb_after_history"] = _peak_gb()
    observed = month_end(np.asarray([np.datetime64(last, "D")]))[0]
    model, meta = train_evaluate(
        frame, first_serious(tabs["credit_events"]), observed, test_months=test_months
    )
    with tempfile.TemporaryDirectory() as tmp:
        registry.save_model(Path(tmp), model)
    t2 = time.perf_counter()
    out["train_evaluate_seconds"] = round(t2 - t1, 1)
    out["total_seconds"] = round(t2 - t0, 1)
    out["peak_rss_gb"] = _peak_gb()
    out["load_after"] = _load()
    out["cutoff"], out["trees"] = meta["cutoff"], meta["trees"]
    out["train"], out["test"] = meta["train"], meta["test"]
    # the reference after the peak is recorded: the frame is laid out fit rows first
    del model
    from kizashi.model.labels import label
    from kizashi.model.split import calibration_holdout

    _in_scope, y = label(
        frame.business_id, frame.month, first_serious(tabs["credit_events"]), observed
    )
    n_fit = int((~calibration_holdout(frame.business_id[: meta["train"]["rows"]])).sum())
    out["lightgbm"] = bare_lightgbm(frame, y, n_fit, meta["trees"])
    m = meta["metrics"]
    out["metrics"] = {
        k: {a: round(b, 4) for a, b in v.items() if isinstance(b, float)}
        for k, v in m.items()
        if k in ("model", "logistic", "rules", "early_warning")
    }
    return out


def step_reference(d: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    cols = [
        r[0]
        for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{d}/panel/*.parquet')"
        ).fetchall()
        if r[1] in ("BIGINT", "INTEGER", "DOUBLE", "HUGEINT", "DECIMAL(18,0)")
        or r[1].startswith("DECIMAL")
    ]
    t0 = time.perf_counter()
    rows = con.execute(
        "SELECT COUNT(*), "
        + ", ".join(f'SUM("{c}")' for c in cols)
        + f" FROM read_parquet('{d}/panel/*.parquet')"
    ).fetchone()
    t1 = time.perf_counter()
    con.close()
    return {
        "panel_rows": rows[0] if rows else 0,
        "panel_columns": len(cols),
        "duckdb_seconds": round(t1 - t0, 1),
        "load": _load(),
    }


def bare_lightgbm(frame: Any, y: np.ndarray, n_fit: int, trees: int) -> dict[str, Any]:
    """Bare LightGBM on the rows the pipeline's trees learn from (the fit rows, sampled as
    ``fit.tree_rows`` does), its parameters and monotone constraints: Dataset + 20 trees."""
    import lightgbm as lgb

    from kizashi.model.features import catalogue
    from kizashi.model.fit import MAX_TREE_ROWS, _params, tree_rows

    y_fit = y[:n_fit].astype(np.float64)
    keep, weight = tree_rows(y_fit, MAX_TREE_ROWS)
    X_fit = frame.X[:n_fit] if keep is None else frame.X[:n_fit][keep]
    y_fit = y_fit if keep is None else y_fit[keep]
    directions = {f.id: f.direction for f in catalogue()}
    p = _params(int(y_fit.size), None)
    p["monotone_constraints"] = [directions.get(n, 0) for n in frame.names]
    p["monotone_constraints_method"] = "intermediate"
    t0 = time.perf_counter()
    ds = lgb.Dataset(X_fit, y_fit, weight=weight, free_raw_data=True).construct()
    t1 = time.perf_counter()
    lgb.train(p, ds, num_boost_round=20)
    t2 = time.perf_counter()
    return {
        "tree_rows": int(y_fit.size),
        "dataset_seconds": round(t1 - t0, 1),
        "seconds_per_tree": round((t2 - t1) / 20, 3),
        "floor_seconds": round(t1 - t0 + trees * (t2 - t1) / 20, 1),
        "load": _load(),
    }


def _child(what: str, d: Path, *extra: str) -> dict[str, Any]:
    r = subprocess.run(
        [sys.executable, __file__, what, "--dir", str(d), *extra],
        capture_output=True,
        text=True,
        check=False,
        cwd=d,  # DuckDB's spill directory (.tmp) beside the portfolio
    )
    if r.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{r.stderr[-4000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def run(sizes: list[int], months: int, base: Path, test_months: int, keep: bool) -> dict[str, Any]:
    from kizashi.synth import write_portfolio

    out: dict[str, Any] = {"months": months, "test_months": test_months, "runs": []}
    for size in sizes:
        d = base / f"p{size}"
        row: dict[str, Any] = {"businesses": size}
        if not (d / "panel").is_dir():
            t = time.perf_counter()
            write_portfolio(d, size, seed=0, months=months)
            row["generate_seconds"] = round(time.perf_counter() - t, 1)
        row["train"] = _child("train", d, "--test-months", str(test_months))
        print(json.dumps(row), file=sys.stderr, flush=True)
        row["reference"] = _child("reference", d)
        row["lightgbm"] = row["train"].pop("lightgbm")
        out["runs"].append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
        if not keep:
            shutil.rmtree(d)
    return out


def _text(out: dict[str, Any]) -> str:
    lines = [f"== train end to end: × {out['months']} months, {out['test_months']} test months"]
    for r in out["runs"]:
        t, ref, lg = r["train"], r["reference"], r["lightgbm"]
        m = t["metrics"]
        lines.append(
            f"  {r['businesses']:,} businesses: history (engine → features) {t['history_seconds']} s, "
            f"{t['frame_rows']:,} rows ({t['frame_gb']} GB); train+evaluate {t['train_evaluate_seconds']} s "
            f"({t['trees']} trees); total {t['total_seconds']} s; peak RSS {t['peak_rss_gb']} GB "
            f"({t['peak_rss_gb'] * 1e9 / 2**30:.2f} GiB) "
            f"(after the history {t['peak_rss_gb_after_history']} GB); load {t['load_before']} → {t['load_after']}"
        )
        lines.append(
            f"    train {t['train']['rows']:,} rows ({t['train']['events']:,} events), test "
            f"{t['test']['rows']:,} ({t['test']['events']:,}), cut-off {t['cutoff']}: AUC model "
            f"{m['model'].get('auc')} (PR-AUC {m['model'].get('pr_auc')}, top 10 % recall "
            f"{m['model'].get('recall_top10')}), logistic {m.get('logistic', {}).get('auc')}, "
            f"rules {m.get('rules', {}).get('auc')}"
        )
        lines.append(
            f"    references: DuckDB reading the {ref['panel_rows']:,} panel rows × "
            f"{ref['panel_columns']} columns {ref['duckdb_seconds']} s (load {ref['load']}); bare "
            f"LightGBM on {lg['tree_rows']:,} rows: Dataset {lg['dataset_seconds']} s + "
            f"{lg['seconds_per_tree']} s/tree, floor {lg['floor_seconds']} s (load {lg['load']})"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("what", nargs="?", default="run", choices=("run", "train", "reference"))
    ap.add_argument("--sizes", default="50000,200000,1500000")
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--test-months", type=int, default=6)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "kizashi-bench-train")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.what == "train":
        print(json.dumps(step_train(a.dir, a.test_months), default=str))
    elif a.what == "reference":
        print(json.dumps(step_reference(a.dir)))
    else:
        sizes = [int(x) for x in a.sizes.split(",") if x]
        a.dir.mkdir(parents=True, exist_ok=True)
        out = run(sizes, a.months, a.dir, a.test_months, a.keep)
        print(json.dumps(out, indent=1, default=str) if a.json else _text(out))


if __name__ == "__main__":
    main()
