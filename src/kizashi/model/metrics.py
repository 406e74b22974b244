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
    """Every measure at once (``score`` ranks; default ``p``): the values of ``auc``,
    ``average_precision``, ``recall_at``, ``brier`` and ``calibration_curve``, from one sort of
    the score and one of ``p`` (at 8M test rows each sort is seconds, and the functions one by
    one sort eight times)."""
    y = np.asarray(y).astype(np.int8)
    n, n1 = int(y.size), int(y.sum())
    curve = calibration_curve(y, p)
    return {
        "rows": n,
        "events": n1,
        "event_rate": float(y.mean()) if n else float("nan"),
        **ranking(y, p if score is None else score),
        "brier": brier(y, p),
        "ece": float(sum(c["n"] * abs(c["predicted"] - c["realised"]) for c in curve) / n),
        "mean_predicted": float(np.mean(p)) if n else float("nan"),
        "calibration": curve,
    }


def ranking(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """``auc``, ``pr_auc`` (``average_precision``), ``recall_top5`` and ``recall_top10``
    (``recall_at``) of ``score``, from one sort."""
    s = np.asarray(score, dtype=np.float64)
    hit = np.asarray(y).astype(bool)
    n, n1 = int(hit.size), int(hit.sum())
    desc = np.argsort(-s, kind="mergesort")  # best first, ties in row order (as the functions)
    hits = hit[desc]
    if n1 and n1 < n:
        # average ranks from the descending order: a tie group at positions [a, b) holds the
        # ascending ranks n − b + 1 … n − a
        xs = s[desc]
        start = np.r_[0, np.flatnonzero(xs[1:] != xs[:-1]) + 1]
        end = np.r_[start[1:], n]
        group_rank = (2 * n - start - end + 1) / 2
        sizes = end - start
        rank_sum = float(np.repeat(group_rank, sizes)[hits].sum())
        auc_value = (rank_sum - n1 * (n1 + 1) / 2) / (n1 * (n - n1))
    else:
        auc_value = float("nan")
    if n1:
        precision = np.cumsum(hits) / np.arange(1, n + 1)
        pr_auc = float(precision[hits].mean())
        top5, top10 = (float(hits[: max(1, round(f * n))].sum() / n1) for f in (0.05, 0.10))
    else:
        pr_auc = top5 = top10 = float("nan")
    return {"auc": float(auc_value), "pr_auc": pr_auc, "recall_top5": top5, "recall_top10": top10}


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
