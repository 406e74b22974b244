"""Measures of a score against outcomes: ranking (AUC, PR-AUC, recall at a staff budget),
calibration (Brier, reliability curve, expected calibration error) and population stability."""

from __future__ import annotations

from typing import Any

import numpy as np


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (1-based), ties sharing their mean rank."""
    xs = np.sort(x, kind="mergesort")
    return (np.searchsorted(xs, x, "left") + np.searchsorted(xs, x, "right") + 1) / 2


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney; ties count half)."""
    y = np.asarray(y).astype(bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = _ranks(np.asarray(score, dtype=np.float64))
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def average_precision(y: np.ndarray, score: np.ndarray) -> float:
    """PR-AUC as average precision (the mean precision at each positive, best score first)."""
    y = np.asarray(y).astype(bool)
    if not y.any():
        return float("nan")
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="mergesort")
    hits = y[order]
    precision = np.cumsum(hits) / np.arange(1, hits.size + 1)
    return float(precision[hits].mean())


def recall_at(y: np.ndarray, score: np.ndarray, share: float) -> float:
    """Share of all positives found among the top ``share`` of rows by score."""
    y = np.asarray(y).astype(bool)
    if not y.any():
        return float("nan")
    k = max(1, round(share * y.size))
    top = np.argsort(-np.asarray(score, dtype=np.float64), kind="mergesort")[:k]
    return float(y[top].sum() / y.sum())


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, dtype=np.float64) - np.asarray(y)) ** 2))


def calibration_curve(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Rows of equal count, lowest probability first: mean predicted vs realised rate."""
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    order = np.argsort(p, kind="mergesort")
    out = []
    for part in np.array_split(order, bins):
        if part.size:
            out.append(
                {
                    "n": int(part.size),
                    "predicted": float(p[part].mean()),
                    "realised": float(y[part].mean()),
                }
            )
    return out


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    curve = calibration_curve(y, p, bins)
    n = sum(c["n"] for c in curve)
    return float(sum(c["n"] * abs(c["predicted"] - c["realised"]) for c in curve) / n)


def summary(y: np.ndarray, p: np.ndarray, score: np.ndarray | None = None) -> dict[str, Any]:
    """Every measure at once (``score`` ranks; default ``p``)."""
    s = p if score is None else score
    y = np.asarray(y).astype(np.int8)
    return {
        "rows": int(y.size),
        "events": int(y.sum()),
        "event_rate": float(y.mean()) if y.size else float("nan"),
        "auc": auc(y, s),
        "pr_auc": average_precision(y, s),
        "recall_top5": recall_at(y, s, 0.05),
        "recall_top10": recall_at(y, s, 0.10),
        "brier": brier(y, p),
        "ece": expected_calibration_error(y, p),
        "mean_predicted": float(np.mean(p)) if y.size else float("nan"),
        "calibration": calibration_curve(y, p),
    }


# ---------------------------------------------------------------- population stability


def quantile_edges(x: np.ndarray, bins: int = 10) -> list[float]:
    """Inner bin edges from the reference sample's quantiles (NaN left out: its own bin)."""
    v = x[~np.isnan(x)]
    if v.size == 0:
        return []
    edges = np.unique(np.quantile(v, np.linspace(0, 1, bins + 1)[1:-1]))
    return [float(e) for e in edges]


def bin_shares(x: np.ndarray, edges: list[float]) -> list[float]:
    """Shares per bin: ``len(edges) + 1`` value bins, then the missing values."""
    nan = np.isnan(x)
    idx = np.searchsorted(np.asarray(edges), x[~nan], side="right")
    counts = np.bincount(idx, minlength=len(edges) + 1).astype(np.float64)
    counts = np.r_[counts, nan.sum()]
    return [float(c) for c in counts / max(x.size, 1)]


def psi(expected: list[float], actual: list[float], floor: float = 1e-4) -> float:
    """Population stability index Σ (a − e) ln(a / e), shares floored to avoid log(0).
    Rule of thumb: < 0.1 stable, 0.1–0.25 watch, > 0.25 shifted."""
    e = np.maximum(np.asarray(expected), floor)
    a = np.maximum(np.asarray(actual), floor)
    return float(np.sum((a - e) * np.log(a / e)))
