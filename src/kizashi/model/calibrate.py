"""From a ranking score (LightGBM's raw log-odds) to a probability that means what it says.

Isotonic regression (pool adjacent violators) when the calibration set has enough events, else
Platt scaling (a logistic curve of the raw score). Both are stored as plain numbers in the
model file."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import isotonic_regression

MIN_EVENTS_FOR_ISOTONIC = 50


def _pav(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Non-decreasing least-squares fit of ``y`` (already in score order) with weights (pool
    adjacent violators, SciPy's compiled one: a national portfolio's calibration rows have
    millions of distinct scores)."""
    return np.asarray(isotonic_regression(y, weights=w, increasing=True).x, dtype=np.float64)


def fit_isotonic(score: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    # group equal scores first (one point each), then PAV over the distinct scores
    xs, inv = np.unique(score, return_inverse=True)
    sums = np.bincount(inv, weights=y.astype(np.float64))
    counts = np.bincount(inv).astype(np.float64)
    fitted = _pav(sums / counts, counts)
    # a flat block without events says "rare" (half an event in one more row), not "impossible"
    block = np.cumsum(np.r_[True, fitted[1:] != fitted[:-1]]) - 1
    b_sum = np.bincount(block, weights=sums)
    b_n = np.bincount(block, weights=counts)
    none = b_sum == 0
    rate = np.where(none, 0.5 / (b_n + 1), b_sum / b_n)
    fitted = np.maximum.accumulate(rate[block])
    # keep the corners of each flat block (enough for interpolation)
    keep = np.r_[True, fitted[1:] != fitted[:-1]] | np.r_[fitted[1:] != fitted[:-1], True]
    return {"kind": "isotonic", "x": xs[keep].tolist(), "y": fitted[keep].tolist()}


def fit_platt(score: np.ndarray, y: np.ndarray, iterations: int = 50) -> dict[str, Any]:
    """p = 1 / (1 + exp(−(a·s + b))), by Newton's method with Platt's smoothed targets."""
    n1, n0 = float(y.sum()), float(y.size - y.sum())
    t = np.where(y > 0, (n1 + 1) / (n1 + 2), 1 / (n0 + 2))
    a, b = 1.0, 0.0
    for _ in range(iterations):
        z = np.clip(a * score + b, -35, 35)
        p = 1 / (1 + np.exp(-z))
        w = np.maximum(p * (1 - p), 1e-12)
        g = np.array([np.sum((p - t) * score), np.sum(p - t)])
        h = np.array(
            [
                [np.sum(w * score * score) + 1e-9, np.sum(w * score)],
                [np.sum(w * score), np.sum(w) + 1e-9],
            ]
        )
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.max(np.abs(step)) < 1e-9:
            break
    return {"kind": "platt", "a": float(a), "b": float(b)}


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def fit_calibration(score: np.ndarray, y: np.ndarray, method: str = "auto") -> dict[str, Any]:
    """``auto``: Platt with few events; otherwise whichever of isotonic and Platt has the lower
    log-loss in a two-fold cross-fit on the calibration rows, refitted on all of them."""
    if method == "auto":
        if y.sum() < MIN_EVENTS_FOR_ISOTONIC:
            method = "platt"
        else:
            half = np.arange(y.size) % 2 == 0
            losses = {}
            for m, fit in (("isotonic", fit_isotonic), ("platt", fit_platt)):
                losses[m] = sum(
                    _log_loss(y[~a], apply_calibration(fit(score[a], y[a]), score[~a]))
                    for a in (half, ~half)
                )
            method = min(losses, key=lambda k: losses[k])
    if method == "isotonic":
        return fit_isotonic(score, y)
    if method == "platt":
        return fit_platt(score, y)
    raise ValueError(f"unknown calibration method {method!r} (isotonic, platt or auto)")


def apply_calibration(cal: dict[str, Any], score: np.ndarray) -> np.ndarray:
    if cal["kind"] == "isotonic":
        return np.interp(score, np.asarray(cal["x"]), np.asarray(cal["y"]))
    z = np.clip(cal["a"] * score + cal["b"], -35, 35)
    return 1 / (1 + np.exp(-z))
