"""Training: LightGBM with monotone constraints, the logistic baseline and the calibration.

The same functions fit the institution's own panel and the public benchmark files
(``bench/bench_model.py``): features in, a :class:`RiskModel` out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np

from kizashi.engine.exec.vector import release_freed_memory

from .calibrate import apply_calibration, fit_calibration
from .crossval import stratified_folds
from .logistic import fit_logistic, predict_logistic
from .metrics import bin_shares, quantile_edges

# Conservative defaults: shallow-ish trees, strong leaf minimum (the event is rare), bagging.
PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 255,
    "verbosity": -1,
    "seed": 7,
    "deterministic": True,
    "num_threads": 2,
}
ROUNDS = 400
EARLY_STOP = 40
# Beyond this many fit rows the trees learn from every event row and a fixed random share of
# the others, weighted by the inverse of that share (a national portfolio: ~15M fit rows, 3 %
# events; a boosting round over all of them takes seconds). Early stopping and calibration
# still use every calibration row, so the probabilities stay calibrated.
MAX_TREE_ROWS = 3_000_000


@dataclass
class RiskModel:
    """A trained model: the booster, its feature ids, the calibration and the baseline."""

    booster: lgb.Booster
    names: tuple[str, ...]
    monotone: tuple[int, ...]
    calibration: dict[str, Any]
    logistic: dict[str, Any] | None
    reference: dict[str, Any] = field(default_factory=dict)  # PSI bins of the training rows
    meta: dict[str, Any] = field(default_factory=dict)

    def raw(self, X: np.ndarray) -> np.ndarray:
        """The booster's log-odds (ranks; not a probability)."""
        threads = PARAMS["num_threads"] if X.shape[0] >= 100_000 else 1  # a portfolio: both cores
        return np.asarray(
            self.booster.predict(X, raw_score=True, num_threads=threads), dtype=np.float64
        )

    def probability(self, X: np.ndarray) -> np.ndarray:
        return self.calibrated(self.raw(X))

    def calibrated(self, raw: np.ndarray) -> np.ndarray:
        """The probability of raw scores already predicted (``raw``)."""
        return np.clip(apply_calibration(self.calibration, raw), 0.0, 1.0)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Exact TreeSHAP values (log-odds) per feature; the last column is the base value."""
        return np.asarray(self.booster.predict(X, pred_contrib=True), dtype=np.float64)

    def baseline(self, X: np.ndarray) -> np.ndarray:
        if self.logistic is None:
            raise ValueError("this model has no logistic baseline")
        return predict_logistic(self.logistic, X)


def _params(n_rows: int, overrides: dict[str, Any] | None) -> dict[str, Any]:
    p = dict(PARAMS)
    # a leaf needs a few events' worth of rows; tiny sets (tests) need small leaves
    p["min_data_in_leaf"] = int(min(PARAMS["min_data_in_leaf"], max(5, n_rows // 200)))
    # a second thread pays only on large sets (on a busy 2-core machine it slows small ones)
    p["num_threads"] = 1 if n_rows < 300_000 else PARAMS["num_threads"]
    p.update(overrides or {})
    return p


def fit_model(
    X: np.ndarray,
    y: np.ndarray,
    names: tuple[str, ...],
    *,
    monotone: tuple[int, ...] | None = None,
    calib_mask: np.ndarray | None = None,
    calibration: str = "auto",
    baseline: bool = True,
    params: dict[str, Any] | None = None,
    rounds: int = ROUNDS,
    max_tree_rows: int = MAX_TREE_ROWS,
    cross_fit: int = 0,
    bag: int = 1,
) -> RiskModel:
    """Fit on the rows outside ``calib_mask``; stop early and calibrate on the rows inside it
    (None: the whole set calibrates the in-sample score — only for benchmark folds that have
    their own test rows). Beyond ``max_tree_rows`` fit rows the trees see a weighted sample
    of the non-event rows (``tree_rows``). ``cross_fit`` ≥ 2 (small sets, e.g. the public
    files: ``crossval.PUBLIC_POLISH``): no hold-out and no early stopping; see ``_fit_cross``.
    ``bag`` ≥ 2: that many boosters with seeds ``seed``, ``seed`` + 1, … (row and feature
    subsampling differ; each stops early on its own) averaged into one (``average_boosters``):
    the raw score is the mean of theirs, and the calibration is fitted on that mean."""
    if bag < 1:
        raise ValueError(f"bag needs at least one booster (got {bag})")
    mono = tuple(monotone) if monotone is not None else (0,) * len(names)
    if cross_fit:
        if calib_mask is not None:
            raise ValueError("cross_fit calibrates on out-of-fold scores: give no calib_mask")
        y = np.asarray(y, dtype=np.float64)
        return _fit_cross(X, y, names, mono, params, rounds, cross_fit, calibration, baseline, bag)
    # the labels as given (int8 from ``labels.label``): float64 only where LightGBM reads them
    # (at 1.5M × 36 months a float64 copy of every training row's label is 150 MB)
    y = np.asarray(y)
    fit_rows = ~calib_mask if calib_mask is not None else np.ones(y.size, bool)
    X_fit, X_cal = _rows(X, fit_rows), (_rows(X, calib_mask) if calib_mask is not None else None)
    y_fit = y[fit_rows]
    # the baseline first: its design matrix (~0.5 GB at 500,000 rows) then never sits beside
    # what LightGBM leaves behind
    logistic = fit_logistic(X_fit, y_fit) if baseline else None
    keep, weight = tree_rows(y_fit, max_tree_rows)
    p = _params(int(keep.size if keep is not None else y_fit.size), params)
    if any(mono):
        p["monotone_constraints"] = list(mono)
        p["monotone_constraints_method"] = "intermediate"
    train = lgb.Dataset(
        X_fit if keep is None else X_fit[keep],
        (y_fit if keep is None else y_fit[keep]).astype(np.float64),
        weight=weight,
        feature_name=list(names),
        free_raw_data=True,
    )
    callbacks: list[Any] = []
    valid_sets = []
    if calib_mask is not None and calib_mask.any() and 0 < y[calib_mask].sum() < calib_mask.sum():
        y_cal = y[calib_mask].astype(np.float64)
        valid_sets = [lgb.Dataset(X_cal, y_cal, reference=train)]
        callbacks = [lgb.early_stopping(EARLY_STOP, verbose=False)]
        p.setdefault("metric", "binary_logloss")
    members = []
    for m in range(bag):
        booster = lgb.train(
            {**p, "seed": int(p.get("seed", 7)) + m},
            train,
            num_boost_round=rounds,
            valid_sets=valid_sets,
            callbacks=callbacks,
        )
        if booster.best_iteration and booster.best_iteration > 0:
            booster = lgb.Booster(
                model_str=booster.model_to_string(num_iteration=booster.best_iteration)
            )
        members.append(booster)
    booster = average_boosters(members)
    del train, valid_sets  # LightGBM's binned copies, in many small blocks: given back
    release_freed_memory()
    cal_rows = calib_mask if calib_mask is not None and calib_mask.any() else fit_rows
    model = RiskModel(booster, tuple(names), mono, {}, None)
    raw = model.raw(X_cal if X_cal is not None and cal_rows is calib_mask else X_fit)
    model.calibration = fit_calibration(raw, y[cal_rows].astype(np.float64), calibration)
    model.logistic = logistic
    model.reference = psi_reference(X_fit, names)
    return model


def _fit_cross(
    X: np.ndarray,
    y: np.ndarray,
    names: tuple[str, ...],
    mono: tuple[int, ...],
    params: dict[str, Any] | None,
    rounds: int,
    k: int,
    calibration: str,
    baseline: bool,
    bag: int = 1,
) -> RiskModel:
    """Every row both trains and calibrates: ``k`` boosters, each fitted on the other folds,
    score their own fold (out-of-fold scores); the calibration fitted on those scores is
    applied to one booster fitted on all rows with the same settings and ``rounds`` (as
    scikit-learn's ``CalibratedClassifierCV(ensemble=False)``). Costs k + 1 fits."""
    p = _params(y.size, params)
    if any(mono):
        p["monotone_constraints"] = list(mono)
        p["monotone_constraints_method"] = "intermediate"

    def grow(rows: np.ndarray) -> lgb.Booster:
        data = lgb.Dataset(X[rows], y[rows], feature_name=list(names), free_raw_data=False)
        seed = int(p.get("seed", 7))
        return average_boosters(
            [lgb.train({**p, "seed": seed + m}, data, num_boost_round=rounds) for m in range(bag)]
        )

    fold = stratified_folds(y, k, seed=int(p.get("seed", 7)))
    oof = np.empty(y.size, dtype=np.float64)
    for f in range(k):
        out = fold == f
        oof[out] = grow(~out).predict(X[out], raw_score=True)
    model = RiskModel(grow(np.ones(y.size, bool)), tuple(names), mono, {}, None)
    model.calibration = fit_calibration(oof, y, calibration)
    model.logistic = fit_logistic(X, y) if baseline else None
    model.reference = psi_reference(X, names)
    model.meta["cross_fit"] = k
    if bag > 1:
        model.meta["bag"] = bag
    return model


_AVERAGED = re.compile(r"^(leaf_value|internal_value)=(.*)$", re.M)


def average_boosters(members: list[lgb.Booster]) -> lgb.Booster:
    """One booster whose raw score (and TreeSHAP values) is the mean of the members': all their
    trees, each leaf and node value divided by the number of members. Still one LightGBM text
    model (``registry`` saves it as any other); one member is returned as it is."""
    if len(members) == 1:
        return members[0]
    n = len(members)

    def scaled(m: re.Match[str]) -> str:
        return m.group(1) + "=" + " ".join(repr(float(v) / n) for v in m.group(2).split())

    texts = [b.model_to_string() for b in members]
    first = texts[0]
    head = first[: first.index("\nTree=0\n") + 1]
    tail = first[first.index("\nend of trees") :]
    head = re.sub(r"^tree_sizes=.*\n", "", head, flags=re.M)  # LightGBM then reads tree by tree
    trees: list[str] = []
    for t in texts:
        body = t[t.index("\nTree=0\n") + 1 : t.index("\nend of trees")]
        trees += re.split(r"^Tree=\d+\n", body, flags=re.M)[1:]
    body = "".join(f"Tree={i}\n" + _AVERAGED.sub(scaled, tree) for i, tree in enumerate(trees))
    return lgb.Booster(model_str=head + body.rstrip("\n") + tail)


def tree_rows(y: np.ndarray, max_rows: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The fit rows the trees learn from and their weights (None, None: every row, weight 1):
    beyond ``max_rows``, every event row and a fixed random share of the others, weighted by
    the inverse of the share so the trees see the same event rate."""
    if y.size <= max_rows:
        return None, None
    event = y > 0
    events = int(event.sum())
    others = int(y.size - events)
    # at least as many others as events (a set of mostly events stays a set to learn from)
    share = min(1.0, max(max_rows - events, events, 1) / max(others, 1))
    keep = np.flatnonzero(event | (np.random.default_rng(0).uniform(size=y.size) < share))
    return keep, np.where(event[keep], 1.0, 1.0 / share)


def _rows(X: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``X[mask]``; a view, not a copy, when the mask is one run of rows (``pipeline``
    orders the training rows so that the calibration rows come last: at 10M rows a copy is
    gigabytes)."""
    hit = np.flatnonzero(mask)
    if hit.size and hit[-1] - hit[0] + 1 == hit.size:  # ascending, so one run
        return X[hit[0] : hit[-1] + 1]
    return X[mask]


def psi_reference(X: np.ndarray, names: tuple[str, ...], sample: int = 200_000) -> dict[str, Any]:
    """Per feature: bin edges and shares on (a sample of) the training rows."""
    if X.shape[0] > sample:
        X = X[np.random.default_rng(0).choice(X.shape[0], sample, replace=False)]
    out = {}
    for j, n in enumerate(names):
        edges = quantile_edges(X[:, j])
        out[n] = {"edges": edges, "shares": bin_shares(X[:, j], edges)}
    return out
