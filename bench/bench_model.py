"""The risk model measured honestly (docs/model.md, "Measured"): the same pipeline code
(``kizashi.model.fit_model``, calibration, metrics) on the synthetic portfolio and on public data.

    .venv/bin/python bench/bench_model.py synth [--businesses 20000] [--months 60]
    .venv/bin/python bench/bench_model.py synth --bank --businesses 10000 --months 60
    .venv/bin/python bench/bench_model.py polish          # 1year and 5year, 10-fold CV each
    .venv/bin/python bench/bench_model.py slovak          # train 2013–2015, test 2016
    .venv/bin/python bench/bench_model.py tune            # how their settings were chosen
    .venv/bin/python bench/bench_model.py search          # the wider Polish 3year search (2026-12-03)
    .venv/bin/python bench/bench_model.py scale [--rows 1500000]   # scoring time at 1.5M
    .venv/bin/python bench/bench_model.py train-scale [--sizes 50000,200000,500000,1500000]
    add --json for the figures as JSON

synth: a portfolio from ``kizashi.synth`` with ``months`` of history, the engine over every month
(``history=True``), features, labels, a time-ordered split with the last 12 labelled months as
the test; printed beside the logistic baseline, the rules-only priority and Altman Z″ (computed
from the panel's balance sheet), all on the same test rows. ``--bank``: the portfolio with bank
data (``kizashi synth --bank``'s generator over every month but the first, ``--bank-tx`` movements
a business and month) and the model trained twice on the same rows and split, without and with
the bank features (``kizashi.model.bank``); both printed.
polish, slovak, tune: the public data (``bench/bench_public.py``): Polish 1year and 5year each
alone, stratified 10-fold CV; Slovak SME 2013–2015 train, 2016 test; tune, the search on Polish
3year and Slovak 2013–2014 → 2015 that chose their settings (``kizashi.model.crossval``).
Data: ``/work/shared/datasets`` (``KIZASHI_DATASETS`` overrides); see its MANIFEST.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from kizashi.model import metrics

DATA = Path(os.environ.get("KIZASHI_DATASETS", "/work/shared/datasets"))


def peak_rss_gb() -> float:
    """Peak resident memory in GB (10⁹ bytes; ``ru_maxrss`` is KiB). Figures before
    2026-12-03 15:40 UTC were this value in GiB, labelled GB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


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


def bench_synth(
    businesses: int, months: int, seed: int, bank: bool = False, bank_tx: int = 30
) -> dict[str, Any]:
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
    if bank:
        tabs["panel"], tabs["bank"] = _synth_bank(chunks, months, seed, bank_tx)
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
    if bank:
        out["without_bank"] = _bank_run(out, frame, tabs["bank"], res.as_of, firsts, observed)
        frame = out["without_bank"].pop("frame")
    t = time.perf_counter()
    _model, meta = train_evaluate(frame, firsts, observed, test_months=12)
    out["train_seconds"] = round(time.perf_counter() - t, 1)
    if bank:
        out["bank_gain_share"] = _gain_share(_model, "bank_")
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


def _synth_bank(chunks: list[Any], months: int, seed: int, tx: int) -> tuple[Any, Any]:
    """Bank transactions and invoices of every chunk (every month but the first: a month's
    customer deposits need the month before), as ``kizashi synth --bank`` makes them; the
    panel with the books-side plants applied, and the transactions' monthly bank features."""
    import pyarrow as pa

    from kizashi.engine.exec.bank_features import compute_bank_features
    from kizashi.synth.bank import BankOptions, bank_chunk
    from kizashi.synth.calendar import month_index

    end = max(chunks[0].panel.column("month").to_pylist())
    opts = BankOptions(months=months - 1, tx_per_month=tx, seed=seed)
    panels, feats = [], []
    for c in chunks:
        panel, blocks = bank_chunk(c.panel, c.repayments, c.loan_balances, month_index(end), opts)
        parts = list(blocks)
        panels.append(panel)
        feats.append(
            compute_bank_features(
                pa.concat_tables([b["bank_transactions"] for b in parts]),
                end,
                invoices=pa.concat_tables([b["invoices"] for b in parts]),
            )
        )
    return pa.concat_tables(panels), pa.concat_tables(feats)


def _bank_run(
    out: dict[str, Any], frame: Any, bank: Any, as_of: Any, firsts: Any, observed: Any
) -> dict[str, Any]:
    """The model without the bank features on ``frame`` (its measures), and the frame with them
    for the run that follows (same rows, same split)."""
    from kizashi.model.bank import add_bank_features
    from kizashi.model.pipeline import train_evaluate

    t = time.perf_counter()
    _m, meta = train_evaluate(frame, firsts, observed, test_months=12)
    res = {
        "train_seconds": round(time.perf_counter() - t, 1),
        "trees": meta["trees"],
        "cutoff": meta["cutoff"],
        "metrics": {
            k: {a: b for a, b in v.items() if a != "calibration"}
            for k, v in meta["metrics"].items()
        },
    }
    t = time.perf_counter()
    res["frame"] = add_bank_features(frame, bank)
    out["bank_features_seconds"] = round(time.perf_counter() - t, 1)
    out["bank_rows"] = int(bank.num_rows)
    return res


def _gain_share(model: Any, prefix: str) -> float:
    """The share of the trees' total split gain on features named ``prefix``… (or pct_ of them)."""
    gain = model.booster.feature_importance("gain")
    names = model.names
    mine = sum(
        g for n, g in zip(names, gain, strict=True) if n.removeprefix("pct_").startswith(prefix)
    )
    return float(mine / max(gain.sum(), 1e-12))


# ---------------------------------------------------------------- public data
# Polish, Slovak and the search that chose their setting: bench/bench_public.py.


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
    # reference: DuckDB reading the same rows' feature columns into Arrow
    import duckdb

    cols = [n for n in model.names if n in big.column_names]
    t0 = time.perf_counter()
    with duckdb.connect() as con:
        con.register("i", big)
        con.sql(
            "SELECT business_id, month, peer_group, "
            + ", ".join(f'CAST("{c}" AS FLOAT) AS "{c}"' for c in cols)
            + " FROM i"
        ).to_arrow_table()
    out["duckdb_reference_seconds"] = round(time.perf_counter() - t0, 1)
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
            "peer_group": pa.array(fr.peer_group, pa.string()),
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
        load=os.getloadavg()[0],
    )
    return out


# ---------------------------------------------------------------- training at scale


def _portfolio(businesses: int, months: int, seed: int) -> tuple[Any, dict[str, Any]]:
    """A synthetic portfolio and the engine over every month of it."""
    import pyarrow as pa

    from kizashi.engine.exec.run import run_monitoring
    from kizashi.synth import LOAN_COLUMNS as SYNTH_LOANS
    from kizashi.synth.generator import generate

    chunks = list(generate(businesses, seed=seed, months=months))
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
    return res, tabs


def _shifted(t: Any, shift: int) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    i = t.column_names.index("business_id")
    return t.set_column(i, "business_id", pc.add(t.column("business_id"), pa.scalar(shift)))


def _training_months(
    months: np.ndarray, observed: np.datetime64, test_months: int, horizon: int = 12
) -> np.ndarray:
    """The months ``train_evaluate`` uses (training and test rows; the others are neither):
    the same cut-off rule as ``split.default_cutoff``, from the months alone."""
    from kizashi.model.labels import month_end

    ms = np.unique(months)
    labelled = month_end(ms, horizon) <= observed
    cut = ms[labelled].astype("datetime64[M]").max() - test_months
    cut_end = month_end(np.asarray([cut]).astype("datetime64[D]"))[0]
    train = labelled & (month_end(ms, horizon) <= cut_end)
    test = labelled & (ms.astype("datetime64[M]") > cut)
    return ms[train | test]


def bench_train_scale(
    sizes: list[int], base: int, months: int, test_months: int, seed: int
) -> dict[str, Any]:
    """Training at ``sizes`` businesses × ``months``: a ``base``-business synthetic portfolio,
    the engine over every month once (not timed: at 1.5M the engine's history output does not
    fit in memory, see docs/model.md), repeated under new business ids to each size. Timed per
    size: the feature matrix (``build_frame`` per repeat, the training and test months only,
    into one float32 matrix), labels, ``train_evaluate`` (LightGBM, calibration, logistic
    baseline, evaluation on the test months). References in the same run: DuckDB reading the
    same indicator rows and columns into Arrow (a floor for the features), and bare LightGBM
    (``lgb.train``: the same fit rows, labels and parameters, 20 rounds, no validation): its
    Dataset time plus the pipeline's number of trees × its seconds per tree."""
    import duckdb
    import lightgbm as lgb
    import pyarrow as pa
    import pyarrow.compute as pc

    from kizashi.model.features import Frame, build_frame, catalogue
    from kizashi.model.fit import MAX_TREE_ROWS, _params, tree_rows
    from kizashi.model.labels import first_serious, label, month_end
    from kizashi.model.pipeline import train_evaluate
    from kizashi.model.split import calibration_holdout, default_cutoff, time_split

    t = time.perf_counter()
    res, tabs = _portfolio(base, months, seed)
    out: dict[str, Any] = {
        "base_businesses": base,
        "months": months,
        "test_months": test_months,
        "base_seconds": round(time.perf_counter() - t, 1),
        "runs": [],
    }
    observed = (np.datetime64(res.as_of, "M") + 1).astype("datetime64[D]") - 1
    ind = res.indicators
    keep = _training_months(
        ind.column("month").to_numpy(zero_copy_only=False).astype("datetime64[D]"),
        observed,
        test_months,
    )
    ind = ind.filter(pc.is_in(ind.column("month"), pa.array(keep, pa.date32())))
    ind = ind.filter(pc.fill_null(ind.column("has_data"), False))
    ep, ev = res.episodes, tabs["credit_events"]
    del res, tabs
    feat_cols = [
        f.id for f in catalogue() if f.kind in ("value", "percentile") and f.id in ind.column_names
    ]
    base_bid = ind.column("business_id").to_numpy()
    base_month = ind.column("month").to_numpy(zero_copy_only=False).astype("datetime64[D]")
    cut = default_cutoff(base_month, month_end(base_month, 12) <= observed, test_months)
    for size in sizes:
        reps = -(-size // base)
        n = reps * ind.num_rows
        row: dict[str, Any] = {"businesses": reps * base, "rows": n}
        t0 = time.perf_counter()
        firsts = first_serious(pa.concat_tables(_shifted(ev, r * 10_000_000) for r in range(reps)))
        row["labels_seconds"] = round(time.perf_counter() - t0, 1)
        # the matrix laid out as train_evaluate reads it (fit rows, calibration rows, test
        # rows, the rest), so that it takes views of it rather than copies
        regions = []
        for r in range(reps):
            b_r = base_bid + r * 10_000_000
            in_scope, y = label(b_r, base_month, firsts, observed)
            sp = time_split(base_month, in_scope & (y >= 0), cut)
            held = calibration_holdout(b_r)
            reg = np.full(b_r.size, 3, dtype=np.int8)
            reg[sp.test], reg[sp.train & held], reg[sp.train & ~held] = 2, 1, 0
            regions.append(reg)
        counts = np.bincount(np.concatenate(regions), minlength=4)
        start = np.r_[0, np.cumsum(counts)[:-1]]
        X = np.empty((n, len(catalogue())), dtype=np.float32)
        bid = np.empty(n, dtype=np.int64)
        month = np.empty(n, dtype="datetime64[D]")
        peer = np.empty(n, dtype=object)
        points = np.empty(n)
        names: tuple[str, ...] = ()
        t_feat = t_ref = 0.0
        con = duckdb.connect()
        for r in range(reps):
            shift = r * 10_000_000
            part_ind = _shifted(ind, shift)
            t0 = time.perf_counter()
            fr = build_frame(part_ind, _shifted(ep, shift), _shifted(ev, shift), con=con)
            t1 = time.perf_counter()
            con.register("i", part_ind)
            con.sql(
                "SELECT business_id, month, peer_group, "
                + ", ".join(f'CAST("{c}" AS FLOAT) AS "{c}"' for c in feat_cols)
                + " FROM i"
            ).to_arrow_table()
            con.unregister("i")
            t2 = time.perf_counter()
            t_feat += t1 - t0
            t_ref += t2 - t1
            assert len(fr) == ind.num_rows and (fr.business_id == base_bid + shift).all()
            for k in range(4):
                sel = regions[r] == k
                a, c = start[k], int(sel.sum())
                X[a : a + c] = fr.X[sel]
                bid[a : a + c] = fr.business_id[sel]
                month[a : a + c] = fr.month[sel]
                peer[a : a + c] = fr.peer_group[sel]
                points[a : a + c] = fr.rule_points[sel]
                start[k] += c
            names = fr.names
            del fr, part_ind
        con.close()
        del regions
        frame = Frame(bid, month, peer, X, names, points)
        row["features_seconds"] = round(t_feat, 1)
        row["duckdb_reference_seconds"] = round(t_ref, 1)
        t0 = time.perf_counter()
        model, meta = train_evaluate(frame, firsts, observed, test_months=test_months)
        row["train_evaluate_seconds"] = round(time.perf_counter() - t0, 1)
        row["train_rows"], row["test_rows"] = meta["train"]["rows"], meta["test"]["rows"]
        row["trees"] = meta["trees"]
        row["auc"] = round(meta["metrics"]["model"]["auc"], 4)
        row["peak_rss_gb_after_train"] = round(peak_rss_gb(), 2)
        # reference: bare LightGBM on the rows the pipeline's trees learn from (the fit rows,
        # sampled as ``fit.tree_rows`` does), the same labels, weights and parameters
        del model
        in_scope, y = label(bid, month, firsts, observed)
        labelled = in_scope & (y >= 0)
        sp = time_split(month, labelled, default_cutoff(month, labelled, test_months))
        fit_pos = np.flatnonzero(sp.train & ~calibration_holdout(bid))
        X_fit = (
            X[fit_pos[0] : fit_pos[-1] + 1]
            if fit_pos[-1] - fit_pos[0] + 1 == fit_pos.size
            else X[fit_pos]
        )
        y_fit = y[fit_pos].astype(np.float64)
        keep, weight = tree_rows(y_fit, MAX_TREE_ROWS)
        directions = {f.id: f.direction for f in catalogue()}
        p = _params(int(keep.size if keep is not None else y_fit.size), None)
        p["monotone_constraints"] = [directions.get(nm, 0) for nm in names]
        p["monotone_constraints_method"] = "intermediate"
        t0 = time.perf_counter()
        ds = lgb.Dataset(
            X_fit if keep is None else X_fit[keep],
            y_fit if keep is None else y_fit[keep],
            weight=weight,
            free_raw_data=True,
        ).construct()
        t1 = time.perf_counter()
        lgb.train(p, ds, num_boost_round=20)
        t2 = time.perf_counter()
        row["tree_rows"] = int(keep.size if keep is not None else y_fit.size)
        row["lightgbm_dataset_seconds"] = round(t1 - t0, 1)
        row["lightgbm_seconds_per_tree"] = round((t2 - t1) / 20, 3)
        row["lightgbm_floor_seconds"] = round(t1 - t0 + row["trees"] * (t2 - t1) / 20, 1)
        del ds, frame, X
        row["load"] = os.getloadavg()[0]
        out["runs"].append(row)
        print(json.dumps(row), flush=True)
    out["peak_rss_gb"] = round(peak_rss_gb(), 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "what", choices=("synth", "polish", "slovak", "tune", "search", "scale", "train-scale")
    )
    ap.add_argument("--configs", type=int, default=4, help="tune: random configurations")
    ap.add_argument("--sizes", default="50000,200000,500000,1500000")
    ap.add_argument("--base", type=int, default=20_000)
    ap.add_argument("--test-months", type=int, default=6)
    ap.add_argument("--businesses", type=int, default=20_000)
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--rows", type=int, default=1_500_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bank", action="store_true", help="synth: with and without bank features")
    ap.add_argument("--bank-tx", type=int, default=30)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.what == "synth":
        out = bench_synth(a.businesses, a.months, a.seed, a.bank, a.bank_tx)
    elif a.what in ("polish", "slovak", "tune", "search"):
        import bench_public

        out = (
            bench_public.bench_polish(a.seed)
            if a.what == "polish"
            else bench_public.bench_slovak(a.seed)
            if a.what == "slovak"
            else bench_public.bench_search(None, a.seed)
            if a.what == "search"
            else bench_public.bench_tune(a.configs, a.seed)
        )
    elif a.what == "scale":
        out = bench_scale(a.rows, a.seed)
    else:
        sizes = [int(x) for x in a.sizes.split(",") if x]
        out = bench_train_scale(sizes, a.base, a.months, a.test_months, a.seed)
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
        if "without_bank" in out:
            wb = out["without_bank"]
            lines.append(
                f"  with bank features (above; {out['bank_rows']:,} bank months, joined in "
                f"{out['bank_features_seconds']} s, {out['bank_gain_share']:.1%} of the split gain)"
                f" against without them (same rows, cut-off {wb['cutoff']}, {wb['trees']} trees,"
                f" {wb['train_seconds']} s):"
            )
            for k, v in wb["metrics"].items():
                lines.append(
                    f"  {k + ' (no bank)':<24} "
                    + "  ".join(
                        f"{a} {f(b)}"
                        for a, b in v.items()
                        if a in ("auc", "pr_auc", "recall_top5", "recall_top10", "brier", "ece")
                    )
                )
    elif what in ("polish", "slovak", "tune", "search"):
        import bench_public

        lines += bench_public.text(what, out)
    elif what == "train-scale":
        lines.append(
            f"  base {out['base_businesses']:,} businesses × {out['months']} months (engine, "
            f"not timed: {out['base_seconds']} s), test months {out['test_months']}"
        )
        for r in out["runs"]:
            lines.append(
                f"  {r['businesses']:,} businesses, {r['rows']:,} rows (train {r['train_rows']:,}, "
                f"test {r['test_rows']:,}, trees learn from {r['tree_rows']:,}): features {r['features_seconds']} s (DuckDB reading "
                f"the same: {r['duckdb_reference_seconds']} s), labels {r['labels_seconds']} s, "
                f"train+evaluate {r['train_evaluate_seconds']} s ({r['trees']} trees; bare "
                f"LightGBM floor {r['lightgbm_floor_seconds']} s = Dataset "
                f"{r['lightgbm_dataset_seconds']} s + {r['lightgbm_seconds_per_tree']} s/tree); "
                f"peak RSS {r['peak_rss_gb_after_train']} GB; load {r['load']:.1f}"
            )
    else:
        lines.append(
            f"  {out['rows']:,} rows: features {out['features_seconds']} s, predict {out['predict_seconds']} s, "
            f"write {out['write_seconds']} s, total {out['total_seconds']} s (goal < 60 s); "
            f"reference: DuckDB reading the same rows {out['duckdb_reference_seconds']} s; "
            f"peak RSS {out['peak_rss_gb']} GB; load {out['load']:.1f}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
