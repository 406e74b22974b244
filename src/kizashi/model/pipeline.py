"""One pipeline from feature rows to a measured model: label, cut by time, fit, evaluate.

``train_evaluate`` is what ``kizashi model train`` and the synthetic benchmark run. The model
it returns is exactly the one measured: it never saw a row of the test months, nor any event
after the cut-off (``split``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from . import metrics
from .catalogue import direction
from .features import Frame
from .fit import RiskModel, fit_model
from .labels import HORIZON, label
from .split import calibration_holdout, default_cutoff, time_split


class NotEnoughHistory(ValueError):
    """No labelled training rows with an event before the cut-off (or none at all)."""

    def __init__(self, cutoff: str | None) -> None:
        super().__init__(f"no training rows with an event before the cut-off {cutoff}")
        self.cutoff = cutoff


def _month(d: np.datetime64) -> str:
    return str(np.datetime64(d, "M"))  # type: ignore[call-overload]


def evaluate(model: RiskModel, frame: Frame, y: np.ndarray) -> dict[str, Any]:
    """The model against the logistic baseline and the rules-only priority on ``frame``; and
    on its early-warning part (no credit flag, no arrears in 3 months: only figures rank)."""
    X = frame.columns(model.names)
    raw = model.raw(X)
    p = model.calibrated(raw)
    out: dict[str, Any] = {"model": metrics.summary(y, p, raw)}
    if model.logistic is not None:
        out["logistic"] = metrics.summary(y, model.baseline(X))
    if frame.rule_points is not None:
        # ranks only: its "probability" is the event rate of its points in this set
        pts = frame.rule_points
        levels, at = np.unique(pts, return_inverse=True)
        rate = (np.bincount(at, weights=y, minlength=levels.size) / np.bincount(at))[at]
        out["rules"] = metrics.summary(y, rate, pts + 1e-9 * p)  # ties broken by nothing useful
        del levels, at, rate  # 8M rows each at 1.5M businesses
        plain = metrics.ranking(y, pts)
        out["rules"]["auc"], out["rules"]["pr_auc"] = plain["auc"], plain["pr_auc"]
    names = frame.names
    if "flags_credit" in names and "max_dpd_3m" in names:
        quiet = (X[:, names.index("flags_credit")] == 0) & (X[:, names.index("max_dpd_3m")] == 0)
        if quiet.any() and 0 < y[quiet].sum() < quiet.sum():
            out["early_warning"] = metrics.summary(y[quiet], p[quiet], raw[quiet])
            out["early_warning"]["share_of_rows"] = float(quiet.mean())
    return out


def train_evaluate(
    frame: Frame,
    firsts: dict[int, np.datetime64],
    observed_until: np.datetime64,
    *,
    cutoff: np.datetime64 | None = None,
    test_months: int = 12,
    horizon: int = HORIZON,
    calibration: str = "auto",
    params: dict[str, Any] | None = None,
    monotone: bool = True,
) -> tuple[RiskModel, dict[str, Any]]:
    """Fit on the rows before the cut-off, evaluate on the later months; the model's ``meta``
    records the data period, counts, features and every measure (the model card's content)."""
    in_scope, y = label(frame.business_id, frame.month, firsts, observed_until, horizon)
    labelled = in_scope & (y >= 0)
    if not labelled.any():
        raise NotEnoughHistory(None)
    cut = cutoff if cutoff is not None else default_cutoff(frame.month, labelled, test_months)
    sp = time_split(frame.month, labelled, cut, horizon)
    del in_scope, labelled
    if not sp.train.any() or y[sp.train].sum() == 0:
        raise NotEnoughHistory(_month(sp.cutoff))
    # the training rows in one gather (at 10M rows each copy is gigabytes): the rows the trees
    # learn from, then the calibration businesses' rows, each part in the frame's order, so
    # that ``fit_model`` takes the two parts as views
    held = calibration_holdout(frame.business_id)
    fit_idx, cal_idx = np.flatnonzero(sp.train & ~held), np.flatnonzero(sp.train & held)
    del held
    y_train = np.r_[y[fit_idx], y[cal_idx]]
    calib_mask = np.arange(y_train.size) >= fit_idx.size
    train = frame.take(np.r_[fit_idx, cal_idx])
    del fit_idx, cal_idx  # at 1.5M × 36 months, 150 MB of positions through the fit
    mono = tuple(direction(n) if monotone else 0 for n in frame.names)
    model = fit_model(
        train.X,
        y_train,
        frame.names,
        monotone=mono,
        calib_mask=calib_mask,
        calibration=calibration,
        params=params,
    )
    trained_first, trained_last = train.month.min(), train.month.max()
    train_businesses = int(np.unique(train.business_id).size)
    del train  # before the test rows are gathered
    test = frame.take(sp.test)
    y_test = y[sp.test]
    measures = evaluate(model, test, y_test) if sp.test.any() else {}
    model.meta = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "horizon_months": horizon,
        "cutoff": _month(sp.cutoff),
        "observed_until": str(np.datetime64(observed_until, "D")),  # type: ignore[call-overload]
        "train": {
            "first_month": _month(trained_first),
            "last_month": _month(trained_last),
            "rows": int(y_train.size),
            "events": int(y_train.sum()),
            "businesses": train_businesses,
        },
        "test": {
            "first_month": _month(test.month.min()) if sp.test.any() else None,
            "last_month": _month(test.month.max()) if sp.test.any() else None,
            "rows": int(y_test.size),
            "events": int(y_test.sum()),
            "businesses": int(np.unique(test.business_id).size),
        },
        "calibration_method": model.calibration["kind"],
        "trees": int(model.booster.num_trees()),
        "metrics": measures,
    }
    return model, model.meta
