"""Seed-bagged boosters (``fit_model(bag=n)``, ``average_boosters``): the averaged booster's raw
score is the mean of its members' raw scores, its TreeSHAP values still add up to it, it
survives LightGBM's text format (the registry's ``booster.txt``), and the calibrated
probabilities of a known-probability set stay within tolerance."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from kizashi.model import metrics
from kizashi.model.crossval import PUBLIC_POLISH
from kizashi.model.fit import _params, average_boosters, fit_model

SUB = {"feature_fraction": 0.7, "bagging_fraction": 0.8, "bagging_freq": 1}


def _sample(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, 4))
    p = 1 / (1 + np.exp(-(2 * X[:, 0] - X[:, 1] - 3)))
    return X, (rng.uniform(size=n) < p).astype(float), p


def test_average_boosters_is_the_mean_of_its_members():
    rng = np.random.default_rng(5)
    X, y, _ = _sample(rng, 3000)
    data = lgb.Dataset(X, y, free_raw_data=False)
    members = [
        lgb.train({**_params(3000, SUB), "seed": s}, data, num_boost_round=30) for s in (1, 2, 3)
    ]
    raws = np.array([m.predict(X, raw_score=True) for m in members])
    assert np.ptp(raws, axis=0).max() > 1e-3  # the seeds really differ
    merged = average_boosters(members)
    assert merged.num_trees() == 90
    assert np.allclose(merged.predict(X, raw_score=True), raws.mean(axis=0), atol=1e-9)
    # TreeSHAP: the contributions (and base value) still add up to the averaged raw score
    contrib = merged.predict(X[:200], pred_contrib=True)
    assert np.allclose(contrib.sum(axis=1), raws.mean(axis=0)[:200], atol=1e-6)
    # the registry stores LightGBM's text: the round trip keeps the scores
    again = lgb.Booster(model_str=merged.model_to_string())
    assert np.allclose(again.predict(X, raw_score=True), raws.mean(axis=0), atol=1e-9)
    assert average_boosters(members[:1]) is members[0]


def test_bagged_fit_is_the_mean_of_seeded_members_and_stays_calibrated():
    rng = np.random.default_rng(11)
    X, y, _ = _sample(rng, 8000)
    names = ("a", "b", "c", "d")
    model = fit_model(X, y, names, cross_fit=5, rounds=80, bag=3, params=SUB, baseline=False)
    assert model.meta["bag"] == 3
    assert model.booster.num_trees() == 240
    # the final booster is the mean of three boosters on every row, seeds 7, 8, 9
    p = _params(y.size, SUB)
    data = lgb.Dataset(X, y, feature_name=list(names), free_raw_data=False)
    Xt, yt, pt = _sample(rng, 20000)
    members = [lgb.train({**p, "seed": 7 + m}, data, num_boost_round=80) for m in range(3)]
    mean_raw = np.mean([b.predict(Xt, raw_score=True) for b in members], axis=0)
    assert np.allclose(model.raw(Xt), mean_raw, atol=1e-9)
    prob = model.probability(Xt)
    assert np.allclose(prob, model.calibrated(mean_raw))
    assert abs(prob.mean() - pt.mean()) < 0.01
    assert metrics.expected_calibration_error(yt, prob) < 0.015
    assert np.mean(np.abs(prob - pt)) < 0.03


def test_bagged_fit_with_the_products_hold_out_and_bad_bag():
    rng = np.random.default_rng(2)
    X, y, _ = _sample(rng, 4000)
    calib = rng.uniform(size=y.size) < 0.2
    one = fit_model(X, y, ("a", "b", "c", "d"), calib_mask=calib, params=SUB, rounds=60)
    two = fit_model(X, y, ("a", "b", "c", "d"), calib_mask=calib, params=SUB, rounds=60, bag=2)
    assert two.booster.num_trees() > one.booster.num_trees() // 2
    assert not np.allclose(one.raw(X), two.raw(X))
    prob = two.probability(X)
    assert ((prob >= 0) & (prob <= 1)).all()
    with pytest.raises(ValueError, match="bag"):
        fit_model(X, y, ("a", "b", "c", "d"), bag=0)
    assert PUBLIC_POLISH.fit_kwargs()["bag"] == PUBLIC_POLISH.bag
