"""Month arithmetic for the generator.

Months are integers ``year * 12 + (month - 1)`` ("month index"), so that vectorised code can
add and compare them. The simulation runs ``months + 11`` months: the 11 months before the
window let every business's panel begin at the start of its fiscal year (see ``Horizon``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

_EPOCH = 1970 * 12  # numpy's datetime64[M] counts months from 1970-01


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def parse_month(text: str) -> int:
    """``"2020-05"`` -> month index."""
    year, month = text.split("-")[:2]
    return int(year) * 12 + int(month) - 1


def to_dates(month_idx: np.ndarray, day: np.ndarray | int = 1) -> np.ndarray:
    """Month indices (and day of month, 1..28) -> ``datetime64[D]``."""
    first = (np.asarray(month_idx, dtype=np.int64) - _EPOCH).astype("datetime64[M]")
    return first.astype("datetime64[D]") + (np.asarray(day, dtype=np.int64) - 1)


def month_of(days: np.ndarray) -> np.ndarray:
    """``datetime64[D]`` -> month index."""
    return days.astype("datetime64[M]").astype(np.int64) + _EPOCH


@dataclass(frozen=True)
class Horizon:
    """The simulated months. ``t`` runs 0..T-1; month index = ``sim_start + t``."""

    end: int  # month index of end_month (the last panel month)
    months: int  # length of the common window (the panel has at least this many months)

    @property
    def window_start(self) -> int:
        return self.end - self.months + 1

    @property
    def sim_start(self) -> int:
        return self.window_start - 11

    @property
    def T(self) -> int:
        return self.months + 11

    @property
    def t_window(self) -> int:
        """``t`` of the first window month."""
        return 11

    def calendar_month0(self) -> np.ndarray:
        """0-based calendar month (0 = January) for each t."""
        return (self.sim_start + np.arange(self.T)) % 12

    def panel_start_t(self, fiscal_year_end_month: np.ndarray) -> np.ndarray:
        """t of the first day of each business's fiscal year containing the window start."""
        fy_start0 = np.asarray(fiscal_year_end_month) % 12  # 0-based month after year end
        back = (self.window_start % 12 - fy_start0) % 12
        return self.t_window - back
