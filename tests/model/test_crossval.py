"""The public-data protocols (``kizashi.model.crossval``): k-fold CV never shares a row between
a fold's training and test rows, the year split never trains on the test year or later, and
the out-of-fold calibration (``fit_model(cross_fit=k)``) gives probabilities that match known
ones."""

from __future__ import annotations

import numpy as np
import pytest

from kizashi.model import metrics
from kizashi.model.crossval import (
    PUBLIC_POLISH,
    PUBLIC_SLOVAK,
    cv_folds,
    stratified_folds,
    year_split,
)
from kizashi.model.fit import fit_model


def test_cv_folds_never_share_rows_and_cover_each_row_once():
    y = (np.random.default_rng(3).uniform(size=1013) < 0.07).astype(np.int8)
    seen = np.zeros(y.size, dtype=np.int64)
    folds = list(cv_folds(y, 10, seed=5))
    assert len(folds) == 10
    for train, test in folds:
        assert not (train & test).any()  # no row on both sides
        assert (train | test).all()  # nothing dropped
        seen += test
        # stratified: every fold's event share within one row of the file's
        events = int(y[test].sum())
        assert abs(events - y.sum() / 10) <= 1
    assert (seen == 1).all()  # each row tested exactly once


def test_folds_are_deterministic_and_seeded():
    y = np.r_[np.zeros(500), np.ones(40)]
    assert (stratified_folds(y, 10, 1) == stratified_folds(y, 10, 1)).all()
    assert (stratified_folds(y, 10, 1) != stratified_folds(y, 10, 2)).any()
    with pytest.raises(ValueError):
        stratified_folds(y, 1, 0)


def test_year_split_never_trains_on_the_test_year_or_later():
    year = np.repeat([2013, 2014, 2015, 2016], 25)
    train, test = year_split(year, 2016)
    assert set(year[train]) == {2013, 2014, 2015}
    assert set(year[test]) == {2016}
    assert not (train & test).any()
    # the tuning split inside the training years: 2013–2014 → 2015; 2016 in neither
    train, valid = year_split(year, 2015)
    assert set(year[train]) == {2013, 2014} and set(year[valid]) == {2015}
    assert not (train | valid)[year == 2016].any()
    train, _ = year_split(year, 2016, first_year=2014)
    assert set(year[train]) == {2014, 2015}
    with pytest.raises(ValueError):
        year_split(year, 2013)  # nothing before it to train on


def test_cross_fit_calibration_matches_known_probabilities():
    """p = sigmoid(2·x − 4): the calibrated probabilities of a fresh sample are within a
    tolerance of the true ones, with every training row in the trees (no hold-out)."""
    rng = np.random.default_rng(11)

    def sample(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        X = rng.normal(size=(n, 3))
        p = 1 / (1 + np.exp(-(2 * X[:, 0] - 4)))
        return X, (rng.uniform(size=n) < p).astype(float), p

    X, y, _ = sample(8000)
    model = fit_model(X, y, ("a", "b", "c"), cross_fit=5, rounds=150, baseline=False)
    assert model.meta["cross_fit"] == 5
    assert model.booster.num_trees() == 150  # fixed rounds, no early stopping
    Xt, yt, pt = sample(20000)
    p = model.probability(Xt)
    assert abs(p.mean() - pt.mean()) < 0.01
    assert metrics.expected_calibration_error(yt, p) < 0.015
    assert np.mean(np.abs(p - pt)) < 0.03
    assert metrics.auc(yt, model.raw(Xt)) > metrics.auc(yt, pt) - 0.05  # it learned the ranks


def test_cross_fit_refuses_a_hold_out_and_public_settings_are_the_documented_kind():
    X = np.random.default_rng(0).normal(size=(200, 2))
    y = (X[:, 0] > 1).astype(float)
    with pytest.raises(ValueError, match="calib_mask"):
        fit_model(X, y, ("a", "b"), cross_fit=3, calib_mask=np.arange(200) < 40)
    for setting in (PUBLIC_POLISH, PUBLIC_SLOVAK):
        assert setting.cross_fit >= 2 and setting.rounds > 0
        assert set(setting.fit_kwargs()) == {"params", "rounds", "cross_fit", "bag"}
