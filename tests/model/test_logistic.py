"""The logistic baseline: its prediction is the fitted design matrix times the coefficients
(``predict_logistic`` folds the standardisation into the coefficients and never builds the
matrix), and it learns a signal that is there."""

from __future__ import annotations

import numpy as np

from kizashi.model.logistic import BATCH, _design, fit_logistic, predict_logistic
from kizashi.model.metrics import auc


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)).astype(np.float32)
    X[rng.uniform(size=X.shape) < 0.15] = np.nan  # missing values in every column
    X[:, 3] = np.nan  # a feature never known in training
    X[:7, 1] = 1e6  # outliers the winsorising clips
    X[:, 4] = np.where(rng.uniform(size=n) < 0.5, np.nan, 2.0)  # constant when known
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-2 * np.nan_to_num(X[:, 0])))).astype(float)
    return X, y


def test_prediction_is_the_design_matrix_times_the_coefficients():
    X, y = _data(5_000, 3)
    model = fit_logistic(X, y)
    assert model["prep"]["missing_cols"]  # the "was missing" columns are exercised
    Xt, _ = _data(BATCH + 1_234, 4)  # more than one batch, the last one short
    want = 1 / (1 + np.exp(-np.clip(_design(Xt.astype(np.float64), model["prep"])
                                    @ np.asarray(model["coef"]), -35, 35)))  # fmt: skip
    np.testing.assert_allclose(predict_logistic(model, Xt), want, rtol=1e-12, atol=1e-15)


def test_the_baseline_ranks_by_the_signal():
    X, y = _data(20_000, 5)
    p = predict_logistic(fit_logistic(X[:10_000], y[:10_000]), X[10_000:])
    assert auc(y[10_000:], p) > 0.75
