"""Validation protocols for the public benchmark files, and the setting they are measured with.

The institution's own panel is validated in time (``split``). The public files
(``bench/bench_public.py``, docs/model.md "Measured") have no months and no firm ids:

- Polish (UCI 365): the published protocol, stratified k-fold cross-validation **within one
  file** (files are never pooled: the same firm can recur across files). ``cv_folds`` yields
  disjoint train/test rows that together cover the file once.
- Slovak SME (Drotár et al. 2019): by evaluation year. ``year_split`` trains only on years
  before the test year, so the test year never reaches training.

``PUBLIC_POLISH`` and ``PUBLIC_SLOVAK`` are the settings used for these files, chosen without
their test rows (``bench/bench_model.py tune``, docs/model.md): the Polish one on Polish 3year (a
file that is never reported) by 10-fold cross-validation, the Slovak one on 2013–2014 → 2015
inside the training years. They are passed to the same ``fit_model`` as the product's own
training; only the settings differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def stratified_folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """A fold number 0…k−1 per row; each class is shuffled and dealt round-robin, so every
    fold holds the same share of events (±1 row)."""
    if k < 2:
        raise ValueError(f"k-fold needs k ≥ 2 (got {k})")
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    fold = np.empty(y.size, dtype=np.int64)
    for cls in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == cls))
        fold[idx] = np.arange(idx.size) % k
    return fold


def cv_folds(y: np.ndarray, k: int = 10, seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold cross-validation: ``(train, test)`` boolean masks per fold. A row is in
    exactly one test fold and never in the training rows of that fold."""
    fold = stratified_folds(y, k, seed)
    for f in range(k):
        test = fold == f
        yield ~test, test


def year_split(
    year: np.ndarray, test_year: int, first_year: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Time-ordered split by evaluation year: train on the years before ``test_year`` (from
    ``first_year`` on, if given), test on ``test_year`` alone. Later years are in neither."""
    year = np.asarray(year)
    train = year < test_year
    if first_year is not None:
        train &= year >= first_year
    test = year == test_year
    if not train.any() or not test.any():
        raise ValueError(f"no rows to train before {test_year} or none to test in it")
    return train, test


@dataclass(frozen=True)
class Setting:
    """Booster settings for ``fit_model``: LightGBM overrides, a fixed number of rounds,
    out-of-fold calibration (``cross_fit`` folds; 0: the product's calibration hold-out) and
    the number of boosters averaged (``bag``, seeds 7, 8, …)."""

    params: dict[str, Any] = field(default_factory=dict)
    rounds: int = 400
    cross_fit: int = 0
    bag: int = 1

    def fit_kwargs(self) -> dict[str, Any]:
        return {
            "params": dict(self.params),
            "rounds": self.rounds,
            "cross_fit": self.cross_fit,
            "bag": self.bag,
        }


# Chosen without the reported test rows (bench/bench_model.py tune; docs/model.md "Measured"):
# the best mean AUC of 10-fold CV on Polish 3year, and the best AUC of 2013–2014 → 2015 (Slovak).
# Polish: the wider search of 2026-12-03 (``bench_model.py search``, 11 settings incl. seed-bagged
# ones, rule ``bench_public.choose``) moved it from learning rate 0.1 × 500 trees (3year 0.9412).
PUBLIC_POLISH = Setting(
    params={
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_data_in_leaf": 20,
        "feature_fraction": 1.0,
        "bagging_fraction": 1.0,
        "bagging_freq": 0,
        "lambda_l2": 0.0,
    },
    rounds=200,
    cross_fit=5,
)
PUBLIC_SLOVAK = Setting(
    params={
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_data_in_leaf": 40,
        "feature_fraction": 0.3,
        "bagging_fraction": 1.0,
        "lambda_l2": 10.0,
        "scale_pos_weight": 1.0,
        "min_sum_hessian_in_leaf": 0.001,
    },
    rounds=100,
    cross_fit=5,
)
