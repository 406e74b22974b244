"""The risk model on public data, with the same pipeline code as the product (``fit_model``,
calibration, metrics); docs/model.md "Measured". Run through ``bench/bench_model.py``:

    .venv/bin/python bench/bench_model.py polish     # 1year and 5year, stratified 10-fold CV each
    .venv/bin/python bench/bench_model.py slovak     # train 2013–2015, test 2016
    .venv/bin/python bench/bench_model.py tune [--configs 4]   # how their settings were chosen
    .venv/bin/python bench/bench_model.py search   # the wider Polish 3year search (2026-12-03)

polish: UCI 365 ``1year.arff`` (label: bankrupt after 5 years) and ``5year.arff`` (after 1
year), each alone (no pooling: there are no firm ids), stratified 10-fold CV
(``crossval.cv_folds``). Per fold: the public setting (``crossval.PUBLIC_POLISH`` / ``PUBLIC_SLOVAK``: every training row
trains, calibration on out-of-fold scores) and, as the reference in the same run, the product's
default (20 % of the training rows stop the boosting and calibrate), the logistic baseline and
Altman Z″ from Attr3 (WC/TA), Attr6 (RE/TA), Attr7 (EBIT/TA), Attr8 (BVE/TL).
slovak: Drotár et al. 2019, all sectors; ``crossval.year_split``: 2013–2015 train, 2016 test.
tune: the search that chose ``crossval.PUBLIC_POLISH`` / ``PUBLIC_SLOVAK`` without any reported test row: Polish 3year
(never reported) 10-fold CV, and Slovak 2013–2014 → 2015 (inside the training years).
search: ``SEARCH`` on Polish 3year 10-fold CV only (incl. seed-bagged boosters, ``fit_model(bag=…)``);
``choose`` is the rule that picked today's ``PUBLIC_POLISH``.
Data: ``/work/shared/datasets`` (``KIZASHI_DATASETS`` overrides); see its MANIFEST.md.
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from kizashi.model import metrics
from kizashi.model.crossval import PUBLIC_POLISH, PUBLIC_SLOVAK, Setting, cv_folds, year_split
from kizashi.model.fit import _params, fit_model

DATA = Path(os.environ.get("KIZASHI_DATASETS", "/work/shared/datasets"))
DEFAULT = Setting()  # the product's training: calibration hold-out, early stopping


def altman_z2(
    wc_ta: np.ndarray, re_ta: np.ndarray, ebit_ta: np.ndarray, bve_tl: np.ndarray
) -> np.ndarray:
    """Altman Z″ (non-manufacturers and emerging markets): higher is safer."""
    return 6.56 * wc_ta + 3.26 * re_ta + 6.72 * ebit_ta + 1.05 * bve_tl


def risk_from_z(z: np.ndarray) -> np.ndarray:
    """−Z″ as a ranking score; a missing Z″ ranks in the middle."""
    s = -np.clip(z, -50, 50)
    return np.where(np.isnan(s), np.nanmedian(s), s)


# ---------------------------------------------------------------- data


def polish(name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``1year``/``5year`` from the original ARFF; ``3year`` from its lossless split (MANIFEST)."""
    base = DATA / "polish_bankruptcy_uci"
    if name == "3year":
        import pyarrow as pa
        import pyarrow.csv as pcsv

        t = pa.concat_tables(
            pcsv.read_csv(base / "3year_split" / f) for f in ("train.csv", "test.csv")
        )
        names = [n for n in t.column_names if n != "class"]
        X = np.column_stack(
            [t.column(n).cast(pa.float64()).to_numpy(zero_copy_only=False) for n in names]
        )
        return X, t.column("class").to_numpy().astype(np.int8), names
    from scipy.io import arff

    data, meta = arff.loadarff(base / f"{name}.arff")
    names = [n for n in meta.names() if n != "class"]
    X = np.column_stack([np.asarray(data[n], dtype=np.float64) for n in names])
    y = np.asarray([int(v) for v in data["class"]], dtype=np.int8)
    return X, y, names


def slovak() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """All sectors: ratios, label (from the file name), evaluation year."""
    rows, ys, years = [], [], []
    names: list[str] = []
    pat = re.compile(r"^(bankrupt|nonbankrupt)_(\w+?)_(\d\d)_year_")
    for path in sorted((DATA / "slovak_sme_bankruptcy" / "Data").glob("*.csv")):
        m = pat.match(path.name)
        if not m:
            continue
        lines = path.read_text("utf-8").splitlines()
        names = [h.strip('"') for h in lines[0].split(";")][1:]
        for line in lines[1:]:
            cells = line.split(";")[1:]
            rows.append(
                [float(c.replace(",", ".")) if c not in ("", "NA") else np.nan for c in cells]
            )
            ys.append(1 if m.group(1) == "bankrupt" else 0)
            years.append(2000 + int(m.group(3)))
    return np.asarray(rows), np.asarray(ys, dtype=np.int8), np.asarray(years), names


def duplicates_in_training(X: np.ndarray, train: np.ndarray, test: np.ndarray) -> int:
    """Test rows whose exact ratios (NaN equal to NaN) are also a training row."""
    key = [np.nan_to_num(r, nan=-9.87654321e300).tobytes() for r in X]
    seen = {key[i] for i in np.flatnonzero(train)}
    return sum(key[i] in seen for i in np.flatnonzero(test))


# ---------------------------------------------------------------- one fit


def fit_eval(
    X: np.ndarray,
    y: np.ndarray,
    names: list[str],
    train: np.ndarray,
    test: np.ndarray,
    setting: Setting,
    seed: int,
) -> dict[str, np.ndarray]:
    """One fit of the pipeline on ``train``, scored on ``test``. The product's default holds
    20 % of the training rows out of the trees (early stopping, calibration)."""
    calib = None
    if not setting.cross_fit:
        calib = np.random.default_rng(seed).uniform(size=int(train.sum())) < 0.2
    model = fit_model(
        X[train], y[train].astype(float), tuple(names), calib_mask=calib, **setting.fit_kwargs()
    )
    return {
        "p": model.probability(X[test]),
        "raw": model.raw(X[test]),
        "logistic": model.baseline(X[test]),
        "trees": np.asarray(model.booster.num_trees()),
    }


def _measures(y: np.ndarray, p: np.ndarray, score: np.ndarray) -> dict[str, float]:
    return {
        "auc": metrics.auc(y, score),
        "pr_auc": metrics.average_precision(y, score),
        "brier": metrics.brier(y, p),
        "ece": metrics.expected_calibration_error(y, p),
    }


def _mean_sd(rows: list[dict[str, float]]) -> dict[str, float]:
    out = {}
    for k in rows[0]:
        v = np.asarray([r[k] for r in rows], dtype=np.float64)
        out[k], out[k + "_sd"] = float(np.nanmean(v)), float(np.nanstd(v))
    return out


# ---------------------------------------------------------------- polish


def bench_polish(
    seed: int = 0, k: int = 10, files: tuple[str, ...] = ("1year", "5year")
) -> dict[str, Any]:
    out: dict[str, Any] = {"setting": PUBLIC_POLISH.fit_kwargs()}
    for name in files:
        X, y, names = polish(name)
        j = {n: i for i, n in enumerate(names)}
        per: dict[str, list[dict[str, float]]] = {"model": [], "default": [], "logistic": []}
        z_auc: list[float] = []
        p_all, d_all = np.empty(y.size), np.empty(y.size)
        dups = 0
        t = time.perf_counter()
        for f, (train, test) in enumerate(cv_folds(y, k, seed)):
            yt = y[test]
            r = fit_eval(X, y, names, train, test, PUBLIC_POLISH, seed + f)
            d = fit_eval(X, y, names, train, test, DEFAULT, seed + f)
            p_all[test], d_all[test] = r["p"], d["p"]
            per["model"].append(_measures(yt, r["p"], r["raw"]))
            per["default"].append(_measures(yt, d["p"], d["raw"]))
            per["logistic"].append(_measures(yt, r["logistic"], r["logistic"]))
            z = altman_z2(*(X[test, j[a]] for a in ("Attr3", "Attr6", "Attr7", "Attr8")))
            z_auc.append(metrics.auc(yt, risk_from_z(z)))
            dups += duplicates_in_training(X, train, test)
        out[name] = {
            "rows": int(y.size),
            "events": int(y.sum()),
            **{k2: _mean_sd(v) for k2, v in per.items()},
            "altman_z2": {"auc": float(np.nanmean(z_auc)), "auc_sd": float(np.nanstd(z_auc))},
            "pooled": {
                "model": _measures(y, p_all, p_all),
                "default": _measures(y, d_all, d_all),
            },
            "calibration_pooled": metrics.calibration_curve(y, p_all),
            "test_rows_duplicated_in_training": dups,
            "seconds": round(time.perf_counter() - t, 1),
        }
    return out


# ---------------------------------------------------------------- slovak


def bench_slovak(seed: int = 0) -> dict[str, Any]:
    X, y, year, names = slovak()
    train, test = year_split(year, 2016)
    yt = y[test]
    t = time.perf_counter()
    r = fit_eval(X, y, names, train, test, PUBLIC_SLOVAK, seed)
    d = fit_eval(X, y, names, train, test, DEFAULT, seed)
    return {
        "setting": PUBLIC_SLOVAK.fit_kwargs(),
        "rows": int(y.size),
        "events": int(y.sum()),
        "train_years": sorted({int(v) for v in year[train]}),
        "train_rows": int(train.sum()),
        "train_events": int(y[train].sum()),
        "test_rows": int(test.sum()),
        "test_events": int(yt.sum()),
        "model": _measures(yt, r["p"], r["raw"]),
        "default": _measures(yt, d["p"], d["raw"]),
        "logistic": _measures(yt, r["logistic"], r["logistic"]),
        "calibration": metrics.calibration_curve(yt, r["p"], bins=5),
        "mean_predicted": float(np.mean(r["p"])),
        "event_rate": float(yt.mean()),
        "test_rows_duplicated_in_training": duplicates_in_training(X, train, test),
        "seconds": round(time.perf_counter() - t, 1),
    }


# ---------------------------------------------------------------- tune (how the settings were chosen)

CHECK_ROUNDS = (100, 200, 300, 500)


def candidates(n: int, seed: int = 15) -> list[dict[str, Any]]:
    """The product's default, a plain one (HistGradientBoosting-like) and ``n`` random draws."""
    rng = np.random.default_rng(seed)
    out: list[dict[str, Any]] = [
        {},
        {
            "learning_rate": 0.1,
            "min_data_in_leaf": 20,
            "feature_fraction": 1.0,
            "bagging_fraction": 1.0,
            "bagging_freq": 0,
            "lambda_l2": 0.0,
        },
    ]
    for _ in range(n):
        out.append(
            {
                "learning_rate": float(rng.choice([0.02, 0.05, 0.1])),
                "num_leaves": int(rng.choice([7, 15, 31, 63])),
                "min_data_in_leaf": int(rng.choice([5, 10, 20, 40])),
                "feature_fraction": float(rng.choice([0.3, 0.5, 0.8, 1.0])),
                "bagging_fraction": float(rng.choice([0.7, 0.8, 1.0])),
                "lambda_l2": float(rng.choice([0.0, 1.0, 10.0])),
                "scale_pos_weight": float(rng.choice([1.0, 1.0, 3.0, 10.0])),
                "min_sum_hessian_in_leaf": float(rng.choice([1e-3, 1e-3, 1.0])),
            }
        )
    return out


def _auc_by_rounds(
    X: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray, over: dict[str, Any]
) -> dict[int, float]:
    """One booster of ``max(CHECK_ROUNDS)`` rounds on every training row (as the public settings fit),
    its test AUC after each checked number of rounds."""
    b = lgb.train(
        _params(int(train.sum()), over), lgb.Dataset(X[train], y[train]), max(CHECK_ROUNDS)
    )
    return {
        r: metrics.auc(y[test], b.predict(X[test], raw_score=True, num_iteration=r))
        for r in CHECK_ROUNDS
    }


def bench_tune(configs: int, seed: int = 0, lock: str | None = None) -> dict[str, Any]:
    """Random search on the tuning data only: Polish 3year (10-fold CV) and Slovak 2013–2014 →
    2015. The reported files (1year, 5year, Slovak 2016) are never read."""
    X3, y3, _ = polish("3year")
    XS, yS, year, _ = slovak()
    s_train, s_valid = year_split(year, 2015)  # 2013–2014 → 2015; 2016 in neither
    rows = []
    for over in candidates(configs):
        hold: Callable[[], None] = lambda: None  # noqa: E731
        if lock:  # another bench may run between two configurations
            fh = open(lock)  # noqa: SIM115
            fcntl.flock(fh, fcntl.LOCK_EX)
            hold = fh.close
        t = time.perf_counter()
        folds = [_auc_by_rounds(X3, y3, tr, te, over) for tr, te in cv_folds(y3, 10, seed)]
        sv = _auc_by_rounds(XS, yS, s_train, s_valid, over)
        hold()
        print(
            f"tune {over}: 3year",
            [round(float(np.mean([f[r] for f in folds])), 4) for r in CHECK_ROUNDS],
            "slovak-2015",
            [round(sv[r], 4) for r in CHECK_ROUNDS],
            file=sys.stderr,
            flush=True,
        )
        for r in CHECK_ROUNDS:
            a = [f[r] for f in folds]
            rows.append(
                {
                    "params": over,
                    "rounds": r,
                    "polish_3year_auc": float(np.mean(a)),
                    "polish_3year_sd": float(np.std(a)),
                    "slovak_2015_auc": sv[r],
                    "seconds": round(time.perf_counter() - t, 1),
                }
            )
    best_p = max(rows, key=lambda r: r["polish_3year_auc"])
    best_s = max(rows, key=lambda r: r["slovak_2015_auc"])
    return {"rows": rows, "best_polish_3year": best_p, "best_slovak_2015": best_s}


# ---------------------------------------------------------------- text


def text(what: str, out: dict[str, Any]) -> list[str]:
    lines = []
    if what == "polish":
        lines.append(f"  setting {out['setting']}")
        for name in ("1year", "5year", "3year"):
            if name not in out:
                continue
            v = out[name]
            ref = {"1year": "0.959", "5year": "0.955; 2024 ensembles 0.963–0.964"}.get(
                name, "0.940"
            )
            m, d, lo = v["model"], v["default"], v["logistic"]
            lines.append(
                f"  {name}: rows {v['rows']:,} events {v['events']}  AUC {m['auc']:.3f} ± {m['auc_sd']:.3f}"
                f"  PR-AUC {m['pr_auc']:.3f}  Brier {m['brier']:.4f}  ECE {m['ece']:.4f}"
                f"  (Zięba et al. 2016 EXGB {ref})"
            )
            lines.append(
                f"      same run: product default AUC {d['auc']:.3f} ± {d['auc_sd']:.3f}, logistic"
                f" {lo['auc']:.3f} ± {lo['auc_sd']:.3f}, Altman Z″ {v['altman_z2']['auc']:.3f};"
                f" test rows also in training {v['test_rows_duplicated_in_training']}; {v['seconds']} s"
            )
            lines.append(
                "      calibration (deciles, predicted/realised): "
                + "  ".join(
                    f"{c['predicted']:.3f}/{c['realised']:.3f}" for c in v["calibration_pooled"]
                )
            )
    elif what == "slovak":
        lines.append(f"  setting {out['setting']}")
        lines.append(
            f"  train {out['train_years']} {out['train_rows']:,} ({out['train_events']} events) → test 2016"
            f" {out['test_rows']:,} ({out['test_events']} events); test rows also in training"
            f" {out['test_rows_duplicated_in_training']}"
        )
        for k in ("model", "default", "logistic"):
            v = out[k]
            lines.append(
                f"  {k:<9} AUC {v['auc']:.3f}  PR-AUC {v['pr_auc']:.3f}  Brier {v['brier']:.4f}  ECE {v['ece']:.4f}"
                + ("  (reference: HistGradientBoosting, same split, 0.958)" if k == "model" else "")
            )
        lines.append(
            "  calibration (fifths, predicted/realised): "
            + "  ".join(f"{c['predicted']:.4f}/{c['realised']:.4f}" for c in out["calibration"])
            + f"; mean predicted {out['mean_predicted']:.4f}, realised {out['event_rate']:.4f}"
        )
    elif what == "search":
        for r in out["rows"]:
            lines.append(
                f"  {r['name']:<20} rounds {r['rounds']:>4}  3year {r['polish_3year_auc']:.4f}"
                f" ± {r['polish_3year_sd']:.4f}  ({r['seconds']} s for the setting)"
            )
        c = out["chosen"]
        lines.append(
            f"  highest: {out['best']['name']} rounds {out['best']['rounds']}"
            f" ({out['best']['polish_3year_auc']:.4f}); chosen (rule in choose()): {c['name']}"
            f" rounds {c['rounds']} ({c['polish_3year_auc']:.4f})"
        )
    else:
        for r in out["rows"]:
            lines.append(
                f"  3year {r['polish_3year_auc']:.4f} ± {r['polish_3year_sd']:.4f}  slovak-2015 "
                f"{r['slovak_2015_auc']:.4f}  rounds {r['rounds']:>4}  {r['params']}"
            )
        for k in ("best_polish_3year", "best_slovak_2015"):
            r = out[k]
            lines.append(
                f"  {k}: {r['params']} rounds {r['rounds']} (3year {r['polish_3year_auc']:.4f},"
                f" slovak-2015 {r['slovak_2015_auc']:.4f})"
            )
    return lines


# ---------------------------------------------------------------- search (the wider one, 2026-12-03)

_SUB = {"feature_fraction": 0.5, "bagging_fraction": 0.8, "bagging_freq": 1}
_ROWS = {"bagging_fraction": 0.8, "bagging_freq": 1}
_PLAIN = {**PUBLIC_POLISH.params, "num_leaves": 31}
# name: (LightGBM overrides, largest number of rounds, boosters averaged with seeds 7, 8, …)
SEARCH: dict[str, tuple[dict[str, Any], int, int]] = {
    # round 1 (07:43 UTC): row and feature subsampling lost on 3year, so round 2 varies the plain one
    "plain-lr.1": (_PLAIN, 500, 1),  # PUBLIC_POLISH until 2026-12-03
    "sub-lr.1": ({**_PLAIN, **_SUB}, 500, 1),
    # round 2 (07:49 UTC)
    "plain-lr.05": ({**_PLAIN, "learning_rate": 0.05}, 1000, 1),
    "rows.8-lr.1": ({**_PLAIN, **_ROWS}, 500, 1),
    "features.8-lr.1": ({**_PLAIN, "feature_fraction": 0.8}, 500, 1),
    "extra-lr.1": ({**_PLAIN, "extra_trees": True}, 500, 1),
    "smooth10-lr.1": ({**_PLAIN, "path_smooth": 10.0}, 500, 1),
    "15leaves-lr.1": ({**_PLAIN, "num_leaves": 15}, 500, 1),
    "hessian1-lr.1": ({**_PLAIN, "min_sum_hessian_in_leaf": 1.0}, 500, 1),
    # seed-bagged (fit_model(bag=…)); rounds capped so the final runs fit in the session
    "bag3-rows.8-lr.1": ({**_PLAIN, **_ROWS}, 500, 3),
    "bag5-rows.8-lr.1": ({**_PLAIN, **_ROWS}, 300, 5),
}
SEARCH_ROUNDS = (100, 200, 300, 500, 600, 800, 1000)


def bench_search(names: list[str] | None = None, seed: int = 0) -> dict[str, Any]:
    """The wider search (``SEARCH``) on Polish 3year only (10-fold CV, the reported files are
    never read): per setting and number of rounds, the mean test AUC of the raw score (for
    ``bag`` > 1, the mean raw score of the boosters, as ``fit_model(bag=…)``)."""
    X, y, _ = polish("3year")
    rows = []
    for name in names or list(SEARCH):
        over, most, bag = SEARCH[name]
        checks = [r for r in SEARCH_ROUNDS if r <= most]
        t = time.perf_counter()
        folds = []
        for train, test in cv_folds(y, 10, seed):
            raw = {r: np.zeros(int(test.sum())) for r in checks}
            for m in range(bag):
                p = _params(int(train.sum()), {**over, "seed": 7 + m})
                b = lgb.train(p, lgb.Dataset(X[train], y[train]), most)
                for r in checks:
                    raw[r] += b.predict(X[test], raw_score=True, num_iteration=r) / bag
            folds.append({r: metrics.auc(y[test], raw[r]) for r in checks})
        for r in checks:
            a = [f[r] for f in folds]
            row = {
                "name": name,
                "params": over,
                "bag": bag,
                "rounds": r,
                "polish_3year_auc": float(np.mean(a)),
                "polish_3year_sd": float(np.std(a)),
                "seconds": round(time.perf_counter() - t, 1),
            }
            rows.append(row)
            print(
                f"search {name:<20} rounds {r:>4}  3year {row['polish_3year_auc']:.4f}"
                f" ± {row['polish_3year_sd']:.4f}  {row['seconds']} s",
                file=sys.stderr,
                flush=True,
            )
    best = max(rows, key=lambda r: r["polish_3year_auc"])
    return {"rows": rows, "best": best, "chosen": choose(rows)}


def choose(rows: list[dict[str, Any]], within: float = 0.001) -> dict[str, Any]:
    """The rule fixed before the search ran (2026-12-03 07:45 UTC): the highest mean 3year AUC;
    a cheaper row (fewer boosters × rounds) within ``within`` of it is preferred, cheapest first."""
    top = max(r["polish_3year_auc"] for r in rows)
    near = [r for r in rows if r["polish_3year_auc"] >= top - within]
    return min(near, key=lambda r: (r["bag"] * r["rounds"], -r["polish_3year_auc"]))
