"""``metrics.summary`` computes every measure from two sorts; it must give exactly what the
measures' own functions give one by one (ties included: the rules-only priority is mostly ties)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kizashi.model import metrics


def _one_by_one(y: np.ndarray, p: np.ndarray, s: np.ndarray) -> dict[str, object]:
    return {
        "rows": int(y.size),
        "events": int(y.sum()),
        "auc": metrics.auc(y, s),
        "pr_auc": metrics.average_precision(y, s),
        "recall_top5": metrics.recall_at(y, s, 0.05),
        "recall_top10": metrics.recall_at(y, s, 0.10),
        "brier": metrics.brier(y, p),
        "ece": metrics.expected_calibration_error(y, p),
        "calibration": metrics.calibration_curve(y, p),
    }


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-15)
    return a == b


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ties", [None, 20, 3])  # continuous scores, 20 levels, 3 levels
def test_summary_is_the_measures_one_by_one(seed, ties):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(50, 5_000))
    p = rng.uniform(size=n)
    y = (rng.uniform(size=n) < p * 0.3).astype(np.int8)
    s = p if ties is None else np.floor(p * ties)
    got = metrics.summary(y, p, None if ties is None else s)
    want = _one_by_one(y, p, s)
    for k, v in want.items():
        assert _same(got[k], v), (k, got[k], v)


@pytest.mark.parametrize("events", ["none", "all"])
def test_summary_without_both_classes(events):
    p = np.linspace(0.1, 0.9, 40)
    y = np.zeros(40, np.int8) if events == "none" else np.ones(40, np.int8)
    got, want = metrics.summary(y, p), _one_by_one(y, p, p)
    for k, v in want.items():
        assert _same(got[k], v), (k, got[k], v)
