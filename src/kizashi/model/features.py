"""Model features from what the engine already computes, one row per business × month.

Every indicator of the catalogue (``engine/spec/data/indicators.yaml``) with a numeric value
and its peer percentile ``pct_<indicator>`` (the share of peers below), the open flags at the
month by severity (financial rules) plus the open credit flags, and the worst days past due
reported in the last three months (an arrears short of 3 months is known at the time). The
LocalBenchmark sub-scores are left out (they re-code indicators already in).

A feature's risk direction comes from the catalogue's ``better``: higher is better → the
probability may only fall as it rises (−1), lower is better → may only rise (+1), ``none`` →
unconstrained. Rows are built columnwise (Arrow columns into one float32 matrix, the flag counts
by one DuckDB range join); never a loop per business.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kizashi.engine.spec.indicators import load_indicators
from kizashi.engine.spec.packs import SEVERITIES as SEVERITY_POINTS

SEVERITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class Feature:
    id: str
    direction: int  # +1: a higher value may only raise the probability; −1 only lower it; 0 free
    ja: str
    en: str
    unit: str
    indicator: str | None  # the catalogue indicator it reads (pct_ features: the one ranked)
    kind: str  # "value" | "percentile" | "flags" | "credit"


@cache
def catalogue() -> tuple[Feature, ...]:
    """Every feature the model can use, in a fixed order."""
    out: list[Feature] = []
    for i in load_indicators():
        if i.group == "score" and i.id != "locaben_total":
            continue
        d = {"higher": -1, "lower": 1}.get(i.better, 0)
        if i.type == "bool":
            d = 1 if i.id == "insolvent" else 0
        out.append(Feature(i.id, d, i.ja, i.en, i.unit, i.id, "value"))
    for i in load_indicators():
        if i.type != "num" or i.group == "score":
            continue
        d = {"higher": -1, "lower": 1}.get(i.better, 0)
        out.append(
            Feature(
                f"pct_{i.id}",
                d,
                f"{i.ja}の同業内順位",
                f"{i.en}, rank among peers",
                "percentile",
                i.id,
                "percentile",
            )
        )
    for sev, ja, en in zip(
        SEVERITIES, ("重大", "高", "中", "低"), ("critical", "high", "medium", "low"), strict=True
    ):
        out.append(
            Feature(
                f"flags_{sev}",
                1,
                f"未対応の予兆フラグ(重要度 {ja})",
                f"Open flags ({en})",
                "count",
                None,
                "flags",
            )
        )
    out.append(
        Feature(
            "flags_credit",
            1,
            "信用事象のフラグ",
            "Open credit-event flags",
            "count",
            None,
            "credit",
        )
    )
    out.append(
        Feature(
            "max_dpd_3m",
            1,
            "直近3か月の延滞日数(最大)",
            "Days past due, worst in 3 months",
            "days",
            None,
            "credit",
        )
    )
    return tuple(out)


@dataclass(frozen=True)
class Frame:
    """Feature rows: keys, the matrix (float32, NaN = unknown) and the feature ids."""

    business_id: np.ndarray  # int64
    month: np.ndarray  # datetime64[D], first day of the month
    peer_group: np.ndarray  # object (str or None)
    X: np.ndarray  # (rows, features) float32 (half the memory of float64 at 50M rows)
    names: tuple[str, ...]
    # the rules-only priority at the month: severity points of the open flags (critical 8,
    # high 4, medium 2, low 1 — the engine's weights, without its recency and exposure factors)
    rule_points: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.business_id.size)

    def take(self, rows: np.ndarray) -> Frame:
        """The rows ``rows`` (a boolean mask or ascending positions); views, not copies, when
        they are one run of consecutive rows (a frame laid out training rows first: at 30M
        rows a copy of the matrix is gigabytes)."""
        sel = rows
        pos = np.flatnonzero(rows) if rows.dtype == bool else rows
        if pos.size and pos[-1] - pos[0] + 1 == pos.size and (np.diff(pos) == 1).all():
            sel = slice(int(pos[0]), int(pos[-1]) + 1)  # type: ignore[assignment]
        return Frame(
            self.business_id[sel],
            self.month[sel],
            self.peer_group[sel],
            self.X[sel],
            self.names,
            None if self.rule_points is None else self.rule_points[sel],
        )

    def columns(self, names: tuple[str, ...]) -> np.ndarray:
        """The matrix with exactly ``names`` as columns (a missing one: NaN)."""
        if names == self.names:
            return self.X
        idx = {n: i for i, n in enumerate(self.names)}
        out = np.full((len(self), len(names)), np.nan, dtype=self.X.dtype)
        for j, n in enumerate(names):
            if n in idx:
                out[:, j] = self.X[:, idx[n]]
        return out


def _empty_events() -> pa.Table:
    return pa.table(
        {
            "business_id": pa.array([], pa.int64()),
            "kind": pa.array([], pa.string()),
            "occurred_on": pa.array([], pa.date32()),
            "days_past_due": pa.array([], pa.int32()),
        }
    )


def _empty_episodes() -> pa.Table:
    return pa.table(
        {
            "business_id": pa.array([], pa.int64()),
            "rule_id": pa.array([], pa.string()),
            "severity": pa.array([], pa.string()),
            "opened_month": pa.array([], pa.date32()),
            "closed_month": pa.array([], pa.date32()),
        }
    )


def _rows(indicators: pa.Table, months: np.ndarray | None) -> np.ndarray:
    """Positions of the rows with data (``has_data``; of ``months`` if given), ordered by
    business and month."""
    keep = np.ones(indicators.num_rows, dtype=bool)
    if "has_data" in indicators.column_names:
        hd = indicators.column("has_data").fill_null(False)
        keep = hd.to_numpy(zero_copy_only=False).astype(bool, copy=False)
    month = indicators.column("month").to_numpy(zero_copy_only=False).astype("datetime64[D]")
    if months is not None:
        keep &= np.isin(month, np.asarray(months, dtype="datetime64[D]"))
    idx = np.flatnonzero(keep)
    bid = indicators.column("business_id").to_numpy(zero_copy_only=False)[idx]
    m = month[idx].astype(np.int64)
    if bid.size > 1 and not ((np.diff(bid) > 0) | ((np.diff(bid) == 0) & (np.diff(m) > 0))).all():
        idx = idx[np.lexsort((m, bid))]
    return idx


def _column(indicators: pa.Table, name: str, idx: np.ndarray) -> np.ndarray:
    """One column as float32 (NULL → NaN) at the rows ``idx``."""
    col = indicators.column(name)
    if col.type != pa.float32():
        col = pc.cast(col, pa.float32())
    return col.to_numpy(zero_copy_only=False)[idx]


def build_frame(
    indicators: pa.Table,
    episodes: pa.Table | None = None,
    events: pa.Table | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    months: np.ndarray | None = None,
    order: str = "C",
) -> Frame:
    """Feature rows of every indicator row with data (``has_data``), ordered by business, month.

    ``indicators``: the engine's ``RunResult.indicators`` (or the analytics file's
    ``indicator_values``); ``episodes``: its flag episodes (opened / closed month); ``events``:
    credit events (business_id, kind, occurred_on, days_past_due); ``months``: only the rows of
    these months (first days; None: every month); ``order``: the matrix's memory layout ("F":
    column after column, filled twice as fast, for a caller that copies its rows at once, as
    ``FrameSink`` does).

    The value and percentile columns are read straight from the Arrow columns into one float32
    matrix; DuckDB counts the open flags and the worst arrears per row (a range join on the
    rows' keys, returning only the rows that have any), which are scattered into the matrix."""
    idx = _rows(indicators, months)
    n = idx.size
    cat = catalogue()
    names = tuple(f.id for f in cat)
    have = set(indicators.column_names)
    X = np.zeros((n, len(names)), dtype=np.float32, order=order)  # type: ignore[call-overload]
    for j, f in enumerate(cat):
        if f.kind in ("value", "percentile"):
            X[:, j] = _column(indicators, f.id, idx) if f.id in have else np.nan
    business_id = indicators.column("business_id").to_numpy(zero_copy_only=False)[idx]
    month = indicators.column("month").to_numpy(zero_copy_only=False).astype("datetime64[D]")[idx]
    if "peer_group" in have:
        pg = indicators.column("peer_group").combine_chunks().dictionary_encode()
        codes = pg.indices.fill_null(-1).to_numpy(zero_copy_only=False)[idx]
        labels = np.asarray([*pg.dictionary.to_pylist(), None], dtype=object)
        peer_group = labels[codes]  # code −1 (NULL) → None
    else:
        peer_group = np.full(n, None, dtype=object)
    rule_points = np.zeros(n, dtype=np.float64)

    own = con is None
    con = con or duckdb.connect()
    try:
        con.register(
            "k",
            pa.table(
                {
                    "row": pa.array(np.arange(n, dtype=np.int64)),
                    "business_id": pa.array(business_id.astype(np.int64, copy=False)),
                    "month": pa.array(month, pa.date32()),
                }
            ),
        )
        con.register("ep", episodes if episodes is not None else _empty_episodes())
        con.register("ev", events if events is not None else _empty_events())
        sev = ", ".join(
            f"COUNT(*) FILTER (WHERE e.rule_id NOT LIKE 'credit.%' AND e.severity = '{s}') "
            f"AS flags_{s}"
            for s in SEVERITIES
        )
        points = " ".join(f"WHEN '{k}' THEN {v}" for k, v in SEVERITY_POINTS.items())
        fl = con.sql(
            f"""SELECT k.row, {sev},
                   COUNT(*) FILTER (WHERE e.rule_id LIKE 'credit.%') AS flags_credit,
                   SUM(CASE e.severity {points} ELSE 1 END) AS rule_points
            FROM k JOIN ep e ON e.business_id = k.business_id AND e.opened_month <= k.month
             AND (e.closed_month IS NULL OR e.closed_month > k.month)
            GROUP BY k.row"""
        ).to_arrow_table()
        dq = con.sql(
            """SELECT k.row, COALESCE(MAX(v.days_past_due), 0) AS max_dpd_3m
            FROM k JOIN ev v ON v.business_id = k.business_id AND v.kind = 'delinquency'
             AND v.occurred_on <= last_day(k.month)
             AND v.occurred_on > last_day(k.month) - INTERVAL 3 MONTH
            GROUP BY k.row"""
        ).to_arrow_table()
        for t in ("k", "ep", "ev"):
            con.unregister(t)
    finally:
        if own:
            con.close()
    at = {c: i for i, c in enumerate(names)}
    rows = fl.column("row").to_numpy()
    for c in (*(f"flags_{s}" for s in SEVERITIES), "flags_credit"):
        X[rows, at[c]] = fl.column(c).to_numpy(zero_copy_only=False)
    rule_points[rows] = fl.column("rule_points").to_numpy(zero_copy_only=False)
    X[dq.column("row").to_numpy(), at["max_dpd_3m"]] = dq.column("max_dpd_3m").to_numpy(
        zero_copy_only=False
    )
    return Frame(business_id.astype(np.int64, copy=False), month, peer_group, X, names, rule_points)
