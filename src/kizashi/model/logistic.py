"""The plain baseline beside the trees: L2-regularised logistic regression.

Each feature is winsorised at its training 1st/99th percentiles, a missing value replaced by the
training median (with a 0/1 "was missing" column when any was missing), then standardised; the
coefficients come from Newton's method. Everything it needs is kept as plain numbers. Beyond
``MAX_ROWS`` training rows it is fitted on a fixed random sample of them (a national portfolio's
36 months are ~10M rows: Newton's Hessian over all of them would take minutes for a baseline)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

MAX_ROWS = 500_000  # rows the baseline is fitted on (a fixed random sample beyond)
BATCH = 500_000  # rows predicted at once
_HESSIAN_ROWS = 50_000  # rows per block of the Newton Hessian


def _design(X: np.ndarray, prep: dict[str, Any]) -> np.ndarray:
    lo, hi, med = (np.asarray(prep[k]) for k in ("lo", "hi", "median"))
    mean, sd = np.asarray(prep["mean"]), np.asarray(prep["sd"])
    miss_cols = np.asarray(prep["missing_cols"], dtype=np.int64)
    nan = np.isnan(X)
    Z = np.where(nan, med, np.clip(X, lo, hi))
    Z = (Z - mean) / sd
    extra = nan[:, miss_cols].astype(np.float64)
    return np.hstack([np.ones((X.shape[0], 1)), Z, extra])


def fit_logistic(
    X: np.ndarray,
    y: np.ndarray,
    l2: float = 1.0,
    iterations: int = 30,
    max_rows: int = MAX_ROWS,
) -> dict[str, Any]:
    if X.shape[0] > max_rows:  # a baseline: a fixed random sample of the rows is enough
        keep = np.sort(np.random.default_rng(0).choice(X.shape[0], max_rows, replace=False))
        X, y = X[keep], y[keep]
    # the features stay as given (float32: a float64 copy of the sample is 256 MB at 500,000
    # rows); each column's statistics and the design matrix below are float64
    X = np.asarray(X)
    y = np.asarray(y, dtype=np.float64)

    with warnings.catch_warnings():  # a feature without any value in training: all-NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        # column by column (the axis form copies the whole matrix per statistic), in float64
        stats = [
            (np.nanpercentile(c, [1, 99]), np.nanmedian(c))
            for c in (col.astype(np.float64) for col in X.T)
        ]
        lo = np.array([q[0] for q, _ in stats])
        hi = np.array([q[1] for q, _ in stats])
        med = np.array([m for _, m in stats])
    allnan = np.isnan(med)
    lo, hi, med = (np.where(allnan, 0.0, a) for a in (lo, hi, med))
    nan = np.isnan(X)
    missing_cols = np.flatnonzero(nan.any(axis=0) & ~allnan)
    # the design matrix written in place: winsorised, medians filled, standardised
    D = np.empty((X.shape[0], 1 + X.shape[1] + missing_cols.size))
    D[:, 0] = 1.0
    Z = D[:, 1 : 1 + X.shape[1]]
    np.clip(X, lo, hi, out=Z)  # float32 values widened exactly
    np.copyto(Z, np.broadcast_to(med, Z.shape), where=nan)
    mean, sd = Z.mean(axis=0), Z.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    Z -= mean
    Z /= sd
    D[:, 1 + X.shape[1] :] = nan[:, missing_cols]
    del nan, Z, X  # the Newton steps read the design matrix only
    prep = {
        "lo": lo.tolist(),
        "hi": hi.tolist(),
        "median": med.tolist(),
        "mean": mean.tolist(),
        "sd": sd.tolist(),
        "missing_cols": missing_cols.tolist(),
    }
    beta = np.zeros(D.shape[1])
    prior = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    beta[0] = np.log(prior / (1 - prior))
    reg = np.full(D.shape[1], l2)
    reg[0] = 0.0

    def loss(b: np.ndarray) -> float:
        z = D @ b
        return float(np.sum(np.logaddexp(0, z) - y * z) + 0.5 * np.sum(reg * b * b))

    def hessian(w: np.ndarray) -> np.ndarray:
        """D' diag(w) D, in row blocks (a weighted copy of D at once is its size again)."""
        H = np.diag(reg + 1e-9)
        for a in range(0, D.shape[0], _HESSIAN_ROWS):
            part = D[a : a + _HESSIAN_ROWS]
            H += (part * w[a : a + _HESSIAN_ROWS, None]).T @ part
        return H

    current = loss(beta)
    for _ in range(iterations):
        z = np.clip(D @ beta, -35, 35)
        p = 1 / (1 + np.exp(-z))
        g = D.T @ (p - y) + reg * beta
        step = np.linalg.solve(hessian(p * (1 - p)), g)
        t = 1.0  # halve the Newton step until the penalised loss falls (separable data)
        while t > 1e-4 and loss(beta - t * step) > current:
            t /= 2
        beta = beta - t * step
        new = loss(beta)
        if current - new < 1e-8 * max(1.0, abs(current)):
            break
        current = new
    return {"prep": prep, "coef": beta.tolist()}


def predict_logistic(model: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """The baseline's probabilities: ``_design(X) @ coef`` without building the design matrix
    (at 8M test rows it is 5 GB a pass): the standardisation folded into the coefficients, the
    winsorised values with the medians filled in computed in place, batch by batch."""
    coef = np.asarray(model["coef"], dtype=np.float64)
    prep = model["prep"]
    lo, hi, med = (np.asarray(prep[k], dtype=np.float64) for k in ("lo", "hi", "median"))
    mean, sd = np.asarray(prep["mean"]), np.asarray(prep["sd"])
    miss_cols = np.asarray(prep["missing_cols"], dtype=np.int64)
    k = lo.size
    w = coef[1 : k + 1] / sd  # (Z - mean) / sd @ c = Z @ (c / sd) - mean @ (c / sd)
    b0 = coef[0] - float(mean @ w)
    w_miss = coef[k + 1 :]
    out = np.empty(X.shape[0])
    Z = np.empty((min(BATCH, X.shape[0]), k))
    for a in range(0, X.shape[0], BATCH):
        part = X[a : a + BATCH]
        z = Z[: part.shape[0]]
        np.clip(part, lo, hi, out=z, casting="unsafe")
        nan = np.isnan(part)
        np.copyto(z, np.broadcast_to(med, z.shape), where=nan)
        s = z @ w + b0
        if miss_cols.size:
            s += nan[:, miss_cols] @ w_miss
        out[a : a + BATCH] = np.clip(s, -35, 35)
    return 1 / (1 + np.exp(-out))
