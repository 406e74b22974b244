"""Time-ordered hold-out: train on the past, evaluate on later months.

With cut-off month C, a training row's whole label window ends by C's last day (month ≤ C − 12),
so nothing observed after C — no event, no later month's figures — enters training; the test
rows are the labelled months after C. Calibration uses a share of the training businesses held
out of the booster (same months, other businesses).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .labels import HORIZON, month_end


@dataclass(frozen=True)
class TimeSplit:
    cutoff: np.datetime64  # datetime64[M]: the last month whose events training may see
    train: np.ndarray  # bool per row
    test: np.ndarray  # bool per row


def time_split(
    month: np.ndarray, labelled: np.ndarray, cutoff: np.datetime64, horizon: int = HORIZON
) -> TimeSplit:
    cutoff_m = np.datetime64(cutoff, "M")  # type: ignore[call-overload]
    cutoff_end = month_end(np.asarray([cutoff_m]).astype("datetime64[D]"))[0]
    train = labelled & (month_end(month, horizon) <= cutoff_end)
    test = labelled & (month.astype("datetime64[M]") > cutoff_m)
    return TimeSplit(cutoff_m, train, test)


def default_cutoff(month: np.ndarray, labelled: np.ndarray, test_months: int) -> np.datetime64:
    """The cut-off that leaves the last ``test_months`` labelled months for the test."""
    if not labelled.any():
        raise ValueError("no labelled rows: the history is shorter than the 12-month window")
    last = month[labelled].astype("datetime64[M]").max()
    return last - test_months


def calibration_holdout(business_id: np.ndarray, share: float = 0.2) -> np.ndarray:
    """A fixed pseudo-random share of businesses (by id), the same in every run."""
    h = (business_id.astype(np.uint64) * np.uint64(2654435761)) % np.uint64(1000)
    return h < np.uint64(int(share * 1000))
