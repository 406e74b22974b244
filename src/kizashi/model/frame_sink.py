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

from kizashi.engine.exec.vector import take_rows

from .features import Frame, build_frame, catalogue
from .labels import HORIZON, label
from .split import calibration_holdout, default_cutoff, time_split

Layout = Callable[[np.ndarray, np.ndarray], np.ndarray]
# the episode columns ``build_frame`` reads
_EPISODE_COLUMNS = ("business_id", "rule_id", "severity", "opened_month", "closed_month")


def _key(business_id: np.ndarray, month: np.ndarray) -> np.ndarray:
    """One sortable int64 per row: business id, then the month (days since 1970)."""
    days = month.astype("datetime64[D]").astype(np.int64)
    return business_id.astype(np.int64) * (1 << 20) + days


def training_layout(
    firsts: dict[int, np.datetime64],
    observed_until: np.datetime64,
    *,
    cutoff: np.datetime64 | None = None,
    test_months: int = 12,
    horizon: int = HORIZON,
) -> Layout:
    """The rows ``pipeline.train_evaluate`` uses, laid out as it reads them: the fit rows, the
    calibration businesses' rows, the test rows (each in business and month order). It then
    takes views of the frame, never copies (at 1.5M × 36 months a copy of the training rows is
    5 GB), and LightGBM sees the rows in the order a frame of every row would give it. The other
    rows of the months (out of scope, unlabelled) come last: every row of a month stays, so that
    what ranks a month's rows (``model.bank``'s percentiles) sees the month whole. No labelled
    row: every row in order (the pipeline says why it cannot train)."""

    def layout(business_id: np.ndarray, month: np.ndarray) -> np.ndarray:
        in_scope, y = label(business_id, month, firsts, observed_until, horizon)
        labelled = in_scope & (y >= 0)
        if not labelled.any():
            return np.arange(business_id.size)
        cut = cutoff if cutoff is not None else default_cutoff(month, labelled, test_months)
        sp = time_split(month, labelled, cut, horizon)
        held = calibration_holdout(business_id)
        rest = ~(sp.train | sp.test)
        return np.r_[
            np.flatnonzero(sp.train & ~held),
            np.flatnonzero(sp.train & held),
            np.flatnonzero(sp.test),
            np.flatnonzero(rest),
        ]

    return layout


def _by_business(t: pa.Table | None) -> tuple[pa.Table | None, np.ndarray]:
    """``t`` ordered by ``business_id`` (stable) and that column as int64."""
    if t is None or not t.num_rows:
        return t, np.zeros(0, dtype=np.int64)
    bid = t.column("business_id").to_numpy(zero_copy_only=False).astype(np.int64)
    if bid.size > 1 and not (np.diff(bid) >= 0).all():
        order = np.argsort(bid, kind="stable")
        t, bid = take_rows(t, order), bid[order]
    return t, bid


def _slice(t: pa.Table | None, ids: np.ndarray, lo: int | None, hi: int | None) -> pa.Table | None:
    """The rows of ``t`` (ordered by business, ``ids`` its ids) whose business is in [lo, hi]."""
    if t is None or lo is None or hi is None or not ids.size:
        return t
    a, b = np.searchsorted(ids, lo, "left"), np.searchsorted(ids, hi, "right")
    return t.slice(int(a), int(b - a))


class FrameSink:
    """A ``HistorySink`` (``kizashi.engine.exec.run``) that builds one float32 feature frame.

    ``events``: the credit events of ``build_frame``; ``months``: only rows of these months
    (first days; None: every month handed over); ``business_ids``: only these businesses' rows;
    ``episodes``: applied to the run's flag episodes before they are counted; ``layout``: the
    rows kept and their order (``training_layout``; None: all, by business and month)."""

    def __init__(
        self,
        events: pa.Table | None,
        months: np.ndarray | None = None,
        *,
        business_ids: np.ndarray | None = None,
        episodes: Callable[[pa.Table], pa.Table] | None = None,
        layout: Layout | None = None,
    ) -> None:
        self.events, self._ev_ids = _by_business(events)  # by business: sliced per piece
        self.months = None if months is None else np.asarray(months, dtype="datetime64[D]")
        self.business_ids = (
            None if business_ids is None else np.unique(np.asarray(business_ids, dtype=np.int64))
        )
        self._episodes_filter = episodes
        self._layout = layout
        self._dest = np.zeros(0, dtype=np.int64)  # per sorted key: its row in the frame, or −1
        self.episodes: pa.Table | None = None
        # each piece's episodes and events are sliced from these, sorted by business
        self._ep_ids = np.zeros(0, dtype=np.int64)
        self._frame: Frame | None = None
        self._keys = np.zeros(0, dtype=np.int64)
        self._filled = 0
        self._con = duckdb.connect()

    def begin(self, keys: pa.Table, episodes: pa.Table) -> None:
        bid = keys.column("business_id").to_numpy(zero_copy_only=False).astype(np.int64)
        month = keys.column("month").to_numpy(zero_copy_only=False).astype("datetime64[D]")
        keep = keys.column("has_data").fill_null(False).to_numpy(zero_copy_only=False)
        keep = keep.astype(bool, copy=False)
        if self.months is not None:  # a lookup table over the days: no sort of 30M keys
            keep &= np.isin(month.view(np.int64), self.months.view(np.int64), kind="table")
        if self.business_ids is not None:
            keep &= np.isin(bid, self.business_ids)
        bid, month = bid[keep], month[keep]
        self._keys = _key(bid, month)
        if bid.size > 1 and not (np.diff(self._keys) > 0).all():
            raise ValueError("the history's keys are not ordered by business and month")
        rows = np.arange(bid.size) if self._layout is None else self._layout(bid, month)
        self._dest = np.full(bid.size, -1, dtype=np.int32 if bid.size < 2**31 else np.int64)
        self._dest[rows] = np.arange(rows.size)
        bid, month = bid[rows], month[rows]
        n = bid.size
        names = tuple(f.id for f in catalogue())
        self._frame = Frame(
            bid,
            month,
            np.full(n, None, dtype=object),
            np.zeros((n, len(names)), dtype=np.float32),
            names,
            np.zeros(n, dtype=np.float64),
        )
        ep = episodes if self._episodes_filter is None else self._episodes_filter(episodes)
        # only what ``build_frame`` counts: the evidence, most of the table's bytes, is not kept
        kept = ep.select([c for c in _EPISODE_COLUMNS if c in ep.column_names])
        self.episodes, self._ep_ids = _by_business(kept)

    def month(self, indicators: pa.Table) -> None:
        f = self._frame
        if f is None:
            raise RuntimeError("month() before begin()")
        if self.business_ids is not None:
            ids = pa.array(self.business_ids, pa.int64())
            indicators = indicators.filter(pc.is_in(indicators.column("business_id"), ids))
        # a piece is a range of businesses: only their episodes and events take part in its
        # joins (at 1.5M businesses each piece would otherwise join millions of episodes)
        piece = indicators.column("business_id")
        lo, hi = pc.min(piece).as_py(), pc.max(piece).as_py()
        part = build_frame(
            indicators,
            _slice(self.episodes, self._ep_ids, lo, hi),
            _slice(self.events, self._ev_ids, lo, hi),
            con=self._con,
            months=self.months,
            order="F",  # its rows are copied into the frame at once below
        )
        if not len(part):
            return
        key = _key(part.business_id, part.month)
        at = np.minimum(np.searchsorted(self._keys, key), self._keys.size - 1)
        if not self._keys.size or (self._keys[at] != key).any():
            raise ValueError("a month's rows are not among the history's keys")
        pos = self._dest[at]
        X, peer_group, rule_points = part.columns(f.names), part.peer_group, part.rule_points
        assert f.rule_points is not None and rule_points is not None
        if not (pos >= 0).all():  # rows of the month the frame does not keep
            sel = np.flatnonzero(pos >= 0)
            pos, X, peer_group, rule_points = pos[sel], X[sel], peer_group[sel], rule_points[sel]
        f.X[pos] = X
        f.peer_group[pos] = peer_group
        f.rule_points[pos] = rule_points
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
