"""The feature frame built month by month, for panels whose history does not fit in memory.

The engine hands over every month's indicators one month at a time
(``run_monitoring(history_sink=…)``), after the keys of every row to come. ``FrameSink`` keeps
the rows of the chosen months that have data, allocates the frame once from the keys (ordered
by business and month, as ``build_frame`` orders them) and fills each month's rows in place:
peak memory is the frame plus one month, never the history as a table. The result is the frame
``build_frame`` makes from the whole history at once (tests/model/test_frame_sink.py).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .features import Frame, build_frame, catalogue


def _key(business_id: np.ndarray, month: np.ndarray) -> np.ndarray:
    """One sortable int64 per row: business id, then the month (days since 1970)."""
    days = month.astype("datetime64[D]").astype(np.int64)
    return business_id.astype(np.int64) * (1 << 20) + days


class FrameSink:
    """A ``HistorySink`` (``kizashi.engine.exec.run``) that builds one float32 feature frame.

    ``events``: the credit events of ``build_frame``; ``months``: only rows of these months
    (first days; None: every month handed over); ``business_ids``: only these businesses' rows;
    ``episodes``: applied to the run's flag episodes before they are counted."""

    def __init__(
        self,
        events: pa.Table | None,
        months: np.ndarray | None = None,
        *,
        business_ids: np.ndarray | None = None,
        episodes: Callable[[pa.Table], pa.Table] | None = None,
    ) -> None:
        self.events = events
        self.months = None if months is None else np.asarray(months, dtype="datetime64[D]")
        self.business_ids = (
            None if business_ids is None else np.unique(np.asarray(business_ids, dtype=np.int64))
        )
        self._episodes_filter = episodes
        self.episodes: pa.Table | None = None
        self._frame: Frame | None = None
        self._keys = np.zeros(0, dtype=np.int64)
        self._filled = 0
        self._con = duckdb.connect()

    def begin(self, keys: pa.Table, episodes: pa.Table) -> None:
        bid = keys.column("business_id").to_numpy(zero_copy_only=False).astype(np.int64)
        month = keys.column("month").to_numpy(zero_copy_only=False).astype("datetime64[D]")
        keep = keys.column("has_data").fill_null(False).to_numpy(zero_copy_only=False)
        keep = keep.astype(bool, copy=False)
        if self.months is not None:
            keep &= np.isin(month, self.months)
        if self.business_ids is not None:
            keep &= np.isin(bid, self.business_ids)
        bid, month = bid[keep], month[keep]
        n = bid.size
        self._keys = _key(bid, month)
        if n > 1 and not (np.diff(self._keys) > 0).all():
            raise ValueError("the history's keys are not ordered by business and month")
        names = tuple(f.id for f in catalogue())
        self._frame = Frame(
            bid,
            month,
            np.full(n, None, dtype=object),
            np.zeros((n, len(names)), dtype=np.float32),
            names,
            np.zeros(n, dtype=np.float64),
        )
        self.episodes = (
            episodes if self._episodes_filter is None else self._episodes_filter(episodes)
        )

    def month(self, indicators: pa.Table) -> None:
        f = self._frame
        if f is None:
            raise RuntimeError("month() before begin()")
        if self.business_ids is not None:
            ids = pa.array(self.business_ids, pa.int64())
            indicators = indicators.filter(pc.is_in(indicators.column("business_id"), ids))
        part = build_frame(
            indicators, self.episodes, self.events, con=self._con, months=self.months
        )
        if not len(part):
            return
        pos = np.searchsorted(self._keys, _key(part.business_id, part.month))
        if (pos >= self._keys.size).any() or (
            self._keys[pos] != _key(part.business_id, part.month)
        ).any():
            raise ValueError("a month's rows are not among the history's keys")
        f.X[pos] = part.columns(f.names)
        f.peer_group[pos] = part.peer_group
        assert f.rule_points is not None and part.rule_points is not None
        f.rule_points[pos] = part.rule_points
        self._filled += pos.size

    def frame(self) -> Frame:
        """The frame (every kept row filled: else an error, never a frame with holes)."""
        self._con.close()
        f = self._frame
        if f is None:
            names = tuple(x.id for x in catalogue())
            return Frame(
                np.zeros(0, np.int64),
                np.zeros(0, "datetime64[D]"),
                np.zeros(0, object),
                np.zeros((0, len(names)), np.float32),
                names,
                np.zeros(0),
            )
        if self._filled != len(f):
            raise ValueError(f"{len(f) - self._filled} rows of the history were never handed over")
        return f
