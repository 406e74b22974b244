"""The risk model measured honestly (docs/model.md, "Measured"): the same pipeline code
(``kizashi.model.fit_model``, calibration, metrics) on the synthetic portfolio and on public data.

    .venv/bin/python bench/bench_model.py synth [--businesses 20000] [--months 60]
    .venv/bin/python bench/bench_model.py polish          # 1year and 5year, 10-fold CV each
    .venv/bin/python bench/bench_model.py slovak          # train 2013–2015, test 2016
    .venv/bin/python bench/bench_model.py scale [--rows 1500000]   # scoring time at 1.5M
    add --json for the figures as JSON

synth: a portfolio from ``kizashi.synth`` with ``months`` of history, the engine over every month
(``history=True``), features, labels, a time-ordered split with the last 12 labelled months as
the test; printed beside the logistic baseline, the rules-only priority and Altman Z″ (computed
from the panel's balance sheet), all on the same test rows.
polish: UCI 365 ``1year.arff`` (label: bankrupt after 5 years) and ``5year.arff`` (after 1 year),
each alone (no pooling: there are no firm ids), stratified 10-fold CV; Altman Z″ from Attr3
(WC/TA), Attr6 (RE/TA), Attr7 (EBIT/TA), Attr8 (BVE/TL) beside it.
slovak: Drotár et al. 2019, all sectors, evaluation years 2013–2015 train, 2016 test.
Data: ``/work/shared/datasets`` (``KIZASHI_DATASETS`` overrides); see its MANIFEST.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from kizashi.model import metrics
from kizashi.model.fit import fit_model

DATA = Path(os.environ.get("KIZASHI_DATASETS", "/work/shared/datasets"))


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def altman_z2(
    wc_ta: np.ndarray, re_ta: np.ndarray, ebit_ta: np.ndarray, bve_tl: np.ndarray
) -> np.ndarray:
    """Altman Z″ (non-manufacturers and emerging markets): higher is safer."""
    return 6.56 * wc_ta + 3.26 * re_ta + 6.72 * ebit_ta + 1.05 * bve_tl


def _risk_from_z(z: np.ndarray) -> np.ndarray:
    """−Z″ as a ranking score; a missing Z″ ranks in the middle."""
    s = -np.clip(z, -50, 50)
    return np.where(np.isnan(s), np.nanmedian(s), s)


def _row(
    name: str, y: np.ndarray, p: np.ndarray, score: np.ndarray | None = None
) -> dict[str, Any]:
    m = metrics.summary(y, p, score)
    m.pop("calibration")
    return {"name": name, **m}


# ---------------------------------------------------------------- synthetic portfolio


def bench_synth(businesses: int, months: int, seed: int) -> dict[str, Any]:
    import duckdb
    import pyarrow as pa

    from kizashi.engine.exec.run import run_monitoring
    from kizashi.model.features import build_frame
    from kizashi.model.labels import first_serious, label
    from kizashi.model.pipeline import train_evaluate
    from kizashi.model.split import default_cutoff, time_split
    from kizashi.synth import LOAN_COLUMNS as SYNTH_LOANS
    from kizashi.synth.generator import generate

    out: dict[str, Any] = {"businesses": businesses, "months": months, "seed": seed}
    t = time.perf_counter()
    chunks = list(generate(businesses, seed=seed, months=months))
    tabs = {
        k: pa.concat_tables([getattr(c, k) for c in chunks])
        for k in ("businesses", "panel", "credit_events", "loans", "loan_balances")
    }
    del chunks
    out["synth_seconds"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    res = run_monitoring(
        tabs["panel"],
        tabs["businesses"],
        tabs["credit_events"],
        history=True,
        loans=tabs["loans"],
        loan_columns=SYNTH_LOANS,
        loan_balances=tabs["loan_balances"],
    )
    out["engine_history_seconds"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    frame = build_frame(res.indicators, res.episodes, tabs["credit_events"])
    out["feature_rows"] = len(frame)
    out["features_seconds"] = round(time.perf_counter() - t, 1)
    observed = (np.datetime64(res.as_of, "M") + 1).astype("datetime64[D]") - 1
    firsts = first_serious(tabs["credit_events"])
    t = time.perf_counter()
    _model, meta = train_evaluate(frame, firsts, observed, test_months=12)
    out["train_seconds"] = round(time.perf_counter() - t, 1)
    out["train"], out["test"], out["cutoff"] = meta["train"], meta["test"], meta["cutoff"]
    out["trees"], out["calibration_method"] = meta["trees"], meta["calibration_method"]
    m = meta["metrics"]
    out["metrics"] = {k: {a: b for a, b in v.items() if a != "calibration"} for k, v in m.items()}
    out["calibration_curve"] = m["model"]["calibration"]

    # Altman Z″ on the same test rows, from the panel (EBIT = operating profit, trailing 12 months)
    in_scope, y = label(frame.business_id, frame.month, firsts, observed)
    fr = frame.take(in_scope)
    y = y[in_scope]
    sp = time_split(fr.month, y >= 0, default_cutoff(fr.month, y >= 0, 12))
    test = fr.take(sp.test)
    con = duckdb.connect()
    con.register("panel", tabs["panel"])
    con.register(
        "keys",
        pa.table({"business_id": test.business_id, "month": test.month.astype("datetime64[D]")}),
    )
    z = con.sql(
        """
        WITH p AS (
          SELECT business_id, month, current_assets, current_liabilities, total_assets,
                 retained_earnings, net_assets, total_liabilities,
                 SUM(operating_profit) OVER (PARTITION BY business_id ORDER BY month
                   ROWS BETWEEN 11 PRECEDING AND CURRENT ROW) AS ebit_ttm
          FROM panel)
        SELECT k.business_id, k.month,
          (p.current_assets - p.current_liabilities) / NULLIF(p.total_assets, 0) AS x1,
          p.retained_earnings / NULLIF(p.total_assets, 0) AS x2,
          p.ebit_ttm / NULLIF(p.total_assets, 0) AS x3,
          p.net_assets / NULLIF(p.total_liabilities, 0) AS x4
        FROM keys k LEFT JOIN p USING (business_id, month)
        ORDER BY k.business_id, k.month"""
    ).to_arrow_table()
    cols = [
        z.column(c).to_numpy(zero_copy_only=False).astype(float) for c in ("x1", "x2", "x3", "x4")
    ]
    zz = altman_z2(*cols)
    yt = y[sp.test]
    out["metrics"]["altman_z2"] = {
        "auc": metrics.auc(yt, _risk_from_z(zz)),
        "pr_auc": metrics.average_precision(yt, _risk_from_z(zz)),
        "recall_top5": metrics.recall_at(yt, _risk_from_z(zz), 0.05),
        "recall_top10": metrics.recall_at(yt, _risk_from_z(zz), 0.10),
    }
    out["peak_rss_gb"] = round(peak_rss_gb(), 2)
    return out


# ---------------------------------------------------------------- public data


def _arff(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from scipy.io import arff

    data, meta = arff.loadarff(path)
    names = [n for n in meta.names() if n != "class"]
    X = np.column_stack([np.asarray(data[n], dtype=np.float64) for n in names])
    y = np.asarray([int(v) for v in data["class"]], dtype=np.int8)
    return X, y, names


def _folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Stratified fold number per row."""
    rng = np.random.default_rng(seed)
    fold = np.empty(y.size, dtype=np.int64)
    for cls in (0, 1):
        idx = rng.permutation(np.flatnonzero(y == cls))
        fold[idx] = np.arange(idx.size) % k
    return fold


def _fit_eval(
    X: np.ndarray, y: np.ndarray, names: list[str], train: np.ndarray, test: np.ndarray, seed: int
) -> dict[str, np.ndarray]:
    """One fit of the pipeline: 20 % of the training rows stop the boosting and calibrate."""
    rng = np.random.default_rng(seed)
    calib = rng.uniform(size=int(train.sum())) < 0.2
    model = fit_model(X[train], y[train].astype(float), tuple(names), calib_mask=calib)
    return {
        "p": model.probability(X[test]),
        "raw": model.raw(X[test]),
        "logistic": model.baseline(X[test]),
    }


def bench_polish(seed: int = 0, k: int = 10) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("1year", "5year"):
        X, y, names = _arff(DATA / "polish_bankruptcy_uci" / f"{name}.arff")
        fold = _folds(y, k, seed)
        aucs, aucs_l, aucs_z, briers, eces = [], [], [], [], []
        p_all, y_all = np.empty(y.size), y
        t = time.perf_counter()
        for f in range(k):
            test = fold == f
            r = _fit_eval(X, y, names, ~test, test, seed + f)
            p_all[test] = r["p"]
            aucs.append(metrics.auc(y[test], r["raw"]))
            aucs_l.append(metrics.auc(y[test], r["logistic"]))
            briers.append(metrics.brier(y[test], r["p"]))
            eces.append(metrics.expected_calibration_error(y[test], r["p"]))
            j = {n: i for i, n in enumerate(names)}
            z = altman_z2(*(X[test, j[a]] for a in ("Attr3", "Attr6", "Attr7", "Attr8")))
            aucs_z.append(metrics.auc(y[test], _risk_from_z(z)))
        out[name] = {
            "rows": int(y.size),
            "events": int(y.sum()),
            "auc_mean": float(np.mean(aucs)),
            "auc_sd": float(np.std(aucs)),
            "pr_auc_pooled": metrics.average_precision(y_all, p_all),
            "brier_mean": float(np.mean(briers)),
            "ece_mean": float(np.mean(eces)),
            "logistic_auc_mean": float(np.mean(aucs_l)),
            "altman_z2_auc_mean": float(np.nanmean(aucs_z)),
            "calibration_pooled": metrics.calibration_curve(y_all, p_all),
            "seconds": round(time.perf_counter() - t, 1),
        }
    return out


def _slovak() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    rows, ys, years = [], [], []
    names: list[str] = []
    pat = re.compile(r"^(bankrupt|nonbankrupt)_(\w+?)_(\d\d)_year_")
    for path in sorted((DATA / "slovak_sme_bankruptcy" / "Data").glob("*.csv")):
        m = pat.match(path.name)
        if not m:
            continue
        lines = path.read_text("utf-8").splitlines()
        header = [h.strip('"') for h in lines[0].split(";")][1:]
        names = header
        for line in lines[1:]:
            cells = line.split(";")[1:]
            rows.append(
                [float(c.replace(",", ".")) if c not in ("", "NA") else np.nan for c in cells]
            )
            ys.append(1 if m.group(1) == "bankrupt" else 0)
            years.append(2000 + int(m.group(3)))
    return np.asarray(rows), np.asarray(ys, dtype=np.int8), np.asarray(years), names


def bench_slovak(seed: int = 0) -> dict[str, Any]:
    X, y, year, names = _slovak()
    train, test = year <= 2015, year == 2016
    t = time.perf_counter()
    r = _fit_eval(X, y, names, train, test, seed)
    yt = y[test]
    return {
        "rows": int(y.size),
        "events": int(y.sum()),
        "train_rows": int(train.sum()),
        "train_events": int(y[train].sum()),
        "test_rows": int(test.sum()),
        "test_events": int(yt.sum()),
        "model": _row("model", yt, r["p"], r["raw"]),
        "logistic": _row("logistic", yt, r["logistic"]),
        "calibration": metrics.calibration_curve(yt, r["p"], bins=5),
        "seconds": round(time.perf_counter() - t, 1),
    }


# ---------------------------------------------------------------- scoring at scale


def bench_scale(rows: int, seed: int) -> dict[str, Any]:
    """Score ``rows`` businesses' latest month: a small synthetic portfolio's engine output is
    repeated (new business ids) to ``rows`` indicator rows; timed: features (``build_frame``),
    calibrated probabilities, triage, writing ``risk_scores``. Not timed: the engine run that
    produces the indicators (the monitoring run does it anyway: docs/performance.md)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from kizashi.engine.exec.run import run_monitoring
    from kizashi.jobs.risk_model import triage_priority
    from kizashi.model.features import build_frame
    from kizashi.model.labels import first_serious
    from kizashi.model.pipeline import train_evaluate
    from kizashi.store.risk_scores import write_scores
    from kizashi.synth import LOAN_COLUMNS as SYNTH_LOANS
    from kizashi.synth.generator import generate

    n0 = 5000
    chunks = list(generate(n0, seed=seed, months=60))
    tabs = {
        k: pa.concat_tables([getattr(c, k) for c in chunks])
        for k in ("businesses", "panel", "credit_events", "loans", "loan_balances")
    }
    res = run_monitoring(
        tabs["panel"],
        tabs["businesses"],
        tabs["credit_events"],
        history=True,
        loans=tabs["loans"],
        loan_columns=SYNTH_LOANS,
        loan_balances=tabs["loan_balances"],
    )
    frame = build_frame(res.indicators, res.episodes, tabs["credit_events"])
    observed = (np.datetime64(res.as_of, "M") + 1).astype("datetime64[D]") - 1
    model, _ = train_evaluate(frame, first_serious(tabs["credit_events"]), observed, test_months=12)
    latest = res.indicators.filter(pc.equal(res.indicators.column("month"), pa.scalar(res.as_of)))
    reps = -(-rows // latest.num_rows)
    parts, eps = [], []
    for r in range(reps):
        shift = pa.scalar(r * 10_000_000, pa.int64())
        parts.append(
            latest.set_column(0, "business_id", pc.add(latest.column("business_id"), shift))
        )
        eps.append(
            res.episodes.set_column(
                0, "business_id", pc.add(res.episodes.column("business_id"), shift)
            )
        )
    big = pa.concat_tables(parts).slice(0, rows)
    big_ep = pa.concat_tables(eps)
    out: dict[str, Any] = {"rows": big.num_rows, "trees": model.booster.num_trees()}
    t0 = time.perf_counter()
    fr = build_frame(big, big_ep, None)
    t1 = time.perf_counter()
    p = model.probability(fr.columns(model.names))
    t2 = time.perf_counter()
    tri = triage_priority(
        p, fr.rule_points if fr.rule_points is not None else np.zeros_like(p), 0.5
    )
    table = pa.table(
        {
            "business_id": fr.business_id,
            "peer_group": pa.array(fr.peer_group.tolist(), pa.string()),
            "probability": p,
            "triage": tri,
        }
    )
    with tempfile.TemporaryDirectory() as d:
        write_scores(Path(d) / "a.duckdb", "v20000101-000000", res.as_of, table)
    t3 = time.perf_counter()
    out.update(
        features_seconds=round(t1 - t0, 1),
        predict_seconds=round(t2 - t1, 1),
        write_seconds=round(t3 - t2, 1),
        total_seconds=round(t3 - t0, 1),
        peak_rss_gb=round(peak_rss_gb(), 2),
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("what", choices=("synth", "polish", "slovak", "scale"))
    ap.add_argument("--businesses", type=int, default=20_000)
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--rows", type=int, default=1_500_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.what == "synth":
        out = bench_synth(a.businesses, a.months, a.seed)
    elif a.what == "polish":
        out = bench_polish(a.seed)
    elif a.what == "slovak":
        out = bench_slovak(a.seed)
    else:
        out = bench_scale(a.rows, a.seed)
    print(json.dumps(out, indent=1, default=str) if a.json else _text(a.what, out))


def _text(what: str, out: dict[str, Any]) -> str:
    lines = [f"== {what}"]

    def f(x: Any) -> str:
        return f"{x:.3f}" if isinstance(x, float) else str(x)

    if what == "synth":
        lines.append(
            f"{out['businesses']:,} businesses × {out['months']} months; train {out['train']}, "
            f"test {out['test']}, cut-off {out['cutoff']}, {out['trees']} trees, "
            f"calibration {out['calibration_method']}"
        )
        for k, v in out["metrics"].items():
            lines.append(
                f"  {k:<14} "
                + "  ".join(
                    f"{a} {f(b)}"
                    for a, b in v.items()
                    if a in ("auc", "pr_auc", "recall_top5", "recall_top10", "brier", "ece")
                )
            )
        lines.append(
            f"  seconds: synth {out['synth_seconds']}, engine {out['engine_history_seconds']}, "
            f"features {out['features_seconds']}, train+evaluate {out['train_seconds']}; peak RSS {out['peak_rss_gb']} GB"
        )
    elif what == "polish":
        for name, v in out.items():
            lines.append(
                f"  {name}: rows {v['rows']:,} events {v['events']}  AUC {v['auc_mean']:.3f} ± {v['auc_sd']:.3f}"
                f" (reference: Zięba et al. 2016 EXGB {'0.959' if name == '1year' else '0.955'})"
                f"  logistic {v['logistic_auc_mean']:.3f}  Altman Z″ {v['altman_z2_auc_mean']:.3f}"
                f"  Brier {v['brier_mean']:.4f} ECE {v['ece_mean']:.4f}  {v['seconds']} s"
            )
    elif what == "slovak":
        lines.append(
            f"  train {out['train_rows']:,} ({out['train_events']} events) → test 2016 {out['test_rows']:,} ({out['test_events']} events)"
        )
        for k in ("model", "logistic"):
            v = out[k]
            lines.append(
                f"  {k:<9} AUC {v['auc']:.3f}  PR-AUC {v['pr_auc']:.3f}  Brier {v['brier']:.4f}  ECE {v['ece']:.4f}"
                + (
                    "  (reference: HistGradientBoosting on the same split 0.958)"
                    if k == "model"
                    else ""
                )
            )
    else:
        lines.append(
            f"  {out['rows']:,} rows: features {out['features_seconds']} s, predict {out['predict_seconds']} s, "
            f"write {out['write_seconds']} s, total {out['total_seconds']} s (goal < 60 s); peak RSS {out['peak_rss_gb']} GB"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
