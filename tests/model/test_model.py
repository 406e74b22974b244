"""The risk model's core on hand-made data: it learns and explains the indicator that decides,
its probabilities match known ones, labels follow the definition, and the time split keeps
every later month out of training."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from kizashi.model import metrics
from kizashi.model.calibrate import apply_calibration, fit_calibration
from kizashi.model.explain import reasons
from kizashi.model.features import Frame, catalogue
from kizashi.model.fit import fit_model, tree_rows
from kizashi.model.labels import first_serious, label
from kizashi.model.pipeline import train_evaluate
from kizashi.model.split import calibration_holdout, time_split

NAMES = tuple(f.id for f in catalogue())
MONO = tuple(f.direction for f in catalogue())


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    X = rng.normal(size=(n, len(NAMES)))
    X[:, NAMES.index("pct_equity_ratio")] = rng.uniform(0, 100, n)
    return X


def test_one_indicator_decides_and_is_the_reason():
    """Events happen exactly when the equity ratio is below −10 %: the model ranks by it and
    names it (with its value and peer band) as the first reason for every risky business."""
    rng = np.random.default_rng(1)
    n = 6000
    X = _noise(rng, n)
    eq = NAMES.index("equity_ratio")
    X[:, eq] = rng.uniform(-40, 60, n)
    y = (X[:, eq] < -10).astype(float)
    ids = np.arange(n)
    model = fit_model(X, y, NAMES, monotone=MONO, calib_mask=calibration_holdout(ids))
    Xt = _noise(rng, 3000)
    Xt[:, eq] = rng.uniform(-40, 60, 3000)
    yt = Xt[:, eq] < -10
    assert metrics.auc(yt, model.probability(Xt)) > 0.99
    contrib = model.contributions(Xt)
    risky = np.flatnonzero(yt)[:50]
    for i in risky:
        why = reasons(contrib[i], Xt[i], NAMES)
        assert why[0].feature == "equity_ratio"
        assert why[0].contribution > 0
        assert "自己資本比率が" in why[0].ja and "%" in why[0].ja
        assert "押し上げ" in why[0].ja and "Equity ratio is" in why[0].en
        assert 1 <= len(why) <= 5
    # the band words follow the stored peer percentile
    i = risky[0]
    Xt[i, NAMES.index("pct_equity_ratio")] = 3.0
    assert "同業の下位25%" in reasons(model.contributions(Xt[i : i + 1])[0], Xt[i], NAMES)[0].ja


def test_calibrated_probabilities_match_known_ones():
    """y ~ Bernoulli(p) with p known: the calibrated probabilities agree within 0.03 per decile."""
    rng = np.random.default_rng(2)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        X = np.full((n, 3), np.nan)
        X[:, 0] = rng.uniform(-2, 2, n)
        X[:, 1] = rng.normal(size=n)  # noise
        X[:, 2] = rng.normal(size=n)  # noise
        p = 1 / (1 + np.exp(-(2.0 * X[:, 0] - 2.5)))
        return X, p, (rng.uniform(size=n) < p).astype(float)

    X, _p, y = draw(30000)
    model = fit_model(
        X,
        y,
        ("a", "b", "c"),
        calib_mask=calibration_holdout(np.arange(y.size), 0.3),
        baseline=False,
    )
    Xt, pt, yt = draw(30000)
    got = model.probability(Xt)
    order = np.argsort(pt)
    for part in np.array_split(order, 10):
        assert abs(got[part].mean() - pt[part].mean()) < 0.03
    assert metrics.expected_calibration_error(yt, got) < 0.02
    assert abs(metrics.brier(yt, got) - metrics.brier(yt, pt)) < 0.005


def test_platt_and_isotonic_recover_a_logistic_curve():
    rng = np.random.default_rng(3)
    s = rng.normal(size=20000)
    p = 1 / (1 + np.exp(-(1.5 * s - 1)))
    y = (rng.uniform(size=s.size) < p).astype(float)
    for method in ("platt", "isotonic"):
        cal = fit_calibration(s, y, method)
        q = apply_calibration(cal, np.array([-1.0, 0.0, 1.0]))
        want = 1 / (1 + np.exp(-(1.5 * np.array([-1.0, 0.0, 1.0]) - 1)))
        assert np.all(np.abs(q - want) < 0.05), (method, q, want)
        assert np.all(np.diff(apply_calibration(cal, np.linspace(-3, 3, 50))) >= 0)


def _events(rows: list[tuple[int, str, str, int | None]]) -> pa.Table:
    return pa.table(
        {
            "business_id": pa.array([r[0] for r in rows], pa.int64()),
            "kind": pa.array([r[1] for r in rows], pa.string()),
            "occurred_on": pa.array([date.fromisoformat(r[2]) for r in rows], pa.date32()),
            "days_past_due": pa.array([r[3] for r in rows], pa.int32()),
        }
    )


def test_labels_follow_the_definition():
    ev = _events(
        [
            (1, "delinquency", "2025-03-10", 30),  # short arrears: not serious
            (1, "delinquency", "2025-04-10", 60),
            (1, "delinquency", "2025-05-10", 90),  # 3 months: serious from here
            (2, "restructuring", "2025-02-15", None),  # 条件変更: serious
            (3, "delinquency", "2025-01-10", 60),  # never reaches 3 months
            (4, "subrogation", "2024-06-20", None),
        ]
    )
    firsts = first_serious(ev)
    assert firsts == {
        1: np.datetime64("2025-05-10"),
        2: np.datetime64("2025-02-15"),
        4: np.datetime64("2024-06-20"),
    }
    ids = np.array([1, 1, 2, 3, 4, 1])
    month = np.array(
        ["2024-05-01", "2024-04-01", "2025-01-01", "2024-01-01", "2024-07-01", "2025-06-01"],
        dtype="datetime64[D]",
    )
    in_scope, y = label(ids, month, firsts, np.datetime64("2025-12-31"))
    # 1 @ 2024-05: window Jun 2024–May 2025 holds 2025-05-10 → 1; @ 2024-04: window ends Apr 2025 → 0
    # 2 @ 2025-01: window ends Jan 2026 > observed → unknown; 3: never serious → 0
    # 4 @ 2024-07: already had 代位弁済 → out of scope; 1 @ 2025-06: already serious → out of scope
    assert in_scope.tolist() == [True, True, True, True, False, False]
    assert y[:4].tolist() == [1, 0, -1, 0]


def _panel_frame(n_biz: int, months: int, seed: int) -> tuple[Frame, dict[int, np.datetime64]]:
    """Businesses × months; a business whose equity ratio falls below −10 % has a 条件変更
    4 months later."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2021-01", "M")
    bid = np.repeat(np.arange(1, n_biz + 1), months)
    m = np.tile(start + np.arange(months), n_biz)
    X = rng.normal(size=(bid.size, len(NAMES)))
    eq = NAMES.index("equity_ratio")
    level = rng.uniform(0, 50, n_biz)
    slope = np.where(rng.uniform(size=n_biz) < 0.3, -rng.uniform(1, 4, n_biz), 0)
    t = np.tile(np.arange(months), n_biz)
    X[:, eq] = np.repeat(level, months) + np.repeat(slope, months) * t
    firsts = {}
    for b in range(1, n_biz + 1):
        rows = np.flatnonzero((bid == b) & (X[:, eq] < -10))
        if rows.size:
            firsts[b] = (m[rows[0]] + 4).astype("datetime64[D]") + np.timedelta64(9, "D")
    frame = Frame(bid, m.astype("datetime64[D]"), np.full(bid.size, "g", dtype=object), X, NAMES)
    return frame, firsts


def test_time_split_keeps_later_months_out_of_training():
    frame, firsts = _panel_frame(400, 48, 5)
    observed = np.datetime64("2024-12-31")
    cutoff = np.datetime64("2023-06", "M")
    in_scope, y = label(frame.business_id, frame.month, firsts, observed)
    sp = time_split(frame.month, in_scope & (y >= 0), cutoff)
    months = frame.month.astype("datetime64[M]")
    assert sp.train.any() and sp.test.any()
    assert months[sp.train].max() + 12 <= cutoff < months[sp.test].min()
    assert not (sp.train & sp.test).any()

    model, meta = train_evaluate(frame, firsts, observed, cutoff=cutoff)
    assert meta["train"]["last_month"] == "2022-06" and meta["test"]["first_month"] == "2023-07"
    assert meta["metrics"]["model"]["auc"] > 0.9
    # change everything after the cut-off — later figures and later events — and train again:
    # the same booster, tree for tree
    later = frame.month.astype("datetime64[M]") > cutoff
    X2 = frame.X.copy()
    X2[later] = np.random.default_rng(9).normal(size=(later.sum(), X2.shape[1]))
    frame2 = Frame(frame.business_id, frame.month, frame.peer_group, X2, NAMES)
    cut_day = (cutoff + 1).astype("datetime64[D]")
    firsts2 = {b: d for b, d in firsts.items() if d < cut_day}
    firsts2.update({b: np.datetime64("2023-09-01") for b in range(1, 401, 7) if b not in firsts2})
    model2, _ = train_evaluate(frame2, firsts2, observed, cutoff=cutoff)
    assert model2.booster.model_to_string() == model.booster.model_to_string()
    assert model2.calibration == model.calibration


def test_measures_on_known_cases():
    y = np.array([0, 0, 1, 1])
    assert metrics.auc(y, np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    assert metrics.auc(y, np.array([0.5, 0.5, 0.5, 0.5])) == pytest.approx(0.5)
    assert metrics.average_precision(y, np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(
        (1 + 2 / 3) / 2
    )
    assert metrics.recall_at(np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1]), np.arange(10.0), 0.1) == 0.5
    assert metrics.psi([0.5, 0.5], [0.5, 0.5]) == 0
    assert metrics.psi([0.5, 0.5], [0.9, 0.1]) > 0.25


def test_large_sets_train_on_every_event_and_a_weighted_sample():
    """Beyond ``max_tree_rows`` the trees see every event row and a fixed share of the others,
    weighted back to the full count; the model still ranks by the deciding indicator and its
    calibrated probabilities still match the realised rate (calibration uses every row)."""
    y = np.r_[np.ones(100), np.zeros(9900)]
    keep, weight = tree_rows(y, 2000)
    assert keep is not None and weight is not None
    assert y[keep].sum() == 100  # every event
    others = keep[y[keep] == 0]
    assert 1500 < others.size < 2300
    share = (2000 - 100) / 9900
    assert np.allclose(weight[y[keep] == 0], 1 / share) and (weight[y[keep] == 1] == 1).all()
    assert np.array_equal(keep, tree_rows(y, 2000)[0])  # the same rows every run
    assert tree_rows(y, 10_000) == (None, None)
    mostly = np.r_[np.ones(3000), np.zeros(7000)]  # more events than the cap: as many others
    kept = mostly[tree_rows(mostly, 2000)[0]]
    assert kept.sum() == 3000 and 2700 < (kept == 0).sum() < 3300

    rng = np.random.default_rng(5)
    n = 20_000
    X = _noise(rng, n)
    eq = NAMES.index("equity_ratio")
    X[:, eq] = rng.uniform(-40, 60, n)
    p_true = 1 / (1 + np.exp(0.2 * (X[:, eq] + 20)))
    y = (rng.uniform(size=n) < p_true).astype(float)
    model = fit_model(
        X, y, NAMES, monotone=MONO, calib_mask=calibration_holdout(np.arange(n)), max_tree_rows=4000
    )
    Xt = _noise(rng, 20_000)
    Xt[:, eq] = rng.uniform(-40, 60, 20_000)
    pt = 1 / (1 + np.exp(0.2 * (Xt[:, eq] + 20)))
    p = model.probability(Xt)
    assert metrics.auc(rng.uniform(size=pt.size) < pt, p) > 0.85
    assert abs(p.mean() - pt.mean()) < 0.02
