"""Model features from what the engine already computes, one row per business × month.

Every indicator of the catalogue (``engine/spec/data/indicators.yaml``) with a numeric value
and its peer percentile ``pct_<indicator>`` (the share of peers below), the open flags at the
month by severity (financial rules) plus the open credit flags, and the worst days past due
reported in the last three months (an arrears short of 3 months is known at the time). The
LocalBenchmark sub-scores are left out (they re-code indicators already in).

A feature's risk direction comes from the catalogue's ``better``: higher is better → the
probability may only fall as it rises (−1), lower is better → may only rise (+1), ``none`` →
unconstrained. Rows are built in DuckDB, columnwise; never a loop per business.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import duckdb
import numpy as np
import pyarrow as pa

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


def feature(fid: str) -> Feature:
    return next(f for f in catalogue() if f.id == fid)


@dataclass(frozen=True)
class Frame:
    """Feature rows: keys, the matrix (float64, NaN = unknown) and the feature ids."""

    business_id: np.ndarray  # int64
    month: np.ndarray  # datetime64[D], first day of the month
    peer_group: np.ndarray  # object (str or None)
    X: np.ndarray  # (rows, features) float64
    names: tuple[str, ...]
    # the rules-only priority at the month: severity points of the open flags (critical 8,
    # high 4, medium 2, low 1 — the engine's weights, without its recency and exposure factors)
    rule_points: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.business_id.size)

    def take(self, mask: np.ndarray) -> Frame:
        return Frame(
            self.business_id[mask],
            self.month[mask],
            self.peer_group[mask],
            self.X[mask],
            self.names,
            None if self.rule_points is None else self.rule_points[mask],
        )

    def columns(self, names: tuple[str, ...]) -> np.ndarray:
        """The matrix with exactly ``names`` as columns (a missing one: NaN)."""
        idx = {n: i for i, n in enumerate(self.names)}
        out = np.full((len(self), len(names)), np.nan)
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


def build_frame(
    indicators: pa.Table,
    episodes: pa.Table | None = None,
    events: pa.Table | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Frame:
    """Feature rows of every indicator row with data (``has_data``), ordered by business, month.

    ``indicators``: the engine's ``RunResult.indicators`` (or the analytics file's
    ``indicator_values``); ``episodes``: its flag episodes (opened / closed month); ``events``:
    credit events (business_id, kind, occurred_on, days_past_due)."""
    own = con is None
    con = con or duckdb.connect()
    try:
        con.register("ind", indicators)
        con.register("ep", episodes if episodes is not None else _empty_episodes())
        con.register("ev", events if events is not None else _empty_events())
        have = set(indicators.column_names)
        cat = catalogue()
        value_cols = []
        for f in cat:
            if f.kind in ("value", "percentile"):
                if f.id in have:
                    value_cols.append(f'CAST(b."{f.id}" AS DOUBLE) AS "{f.id}"')
                else:
                    value_cols.append(f'CAST(NULL AS DOUBLE) AS "{f.id}"')
        sev = ", ".join(
            f"COUNT(*) FILTER (WHERE e.rule_id NOT LIKE 'credit.%' AND e.severity = '{s}') "
            f"AS flags_{s}"
            for s in SEVERITIES
        )
        points = " ".join(f"WHEN '{k}' THEN {v}" for k, v in SEVERITY_POINTS.items())
        where = "WHERE has_data" if "has_data" in have else ""
        sql = f"""
        WITH base AS (SELECT * FROM ind {where}),
        fl AS (
          SELECT b.business_id, b.month, {sev},
                 COUNT(*) FILTER (WHERE e.rule_id LIKE 'credit.%') AS flags_credit,
                 SUM(CASE e.severity {points} ELSE 1 END) AS rule_points
          FROM base b JOIN ep e ON e.business_id = b.business_id
           AND e.opened_month <= b.month AND (e.closed_month IS NULL OR e.closed_month > b.month)
          GROUP BY ALL),
        dq AS (
          SELECT b.business_id, b.month, MAX(v.days_past_due) AS max_dpd_3m
          FROM base b JOIN ev v ON v.business_id = b.business_id AND v.kind = 'delinquency'
           AND v.occurred_on <= last_day(b.month)
           AND v.occurred_on > last_day(b.month) - INTERVAL 3 MONTH
          GROUP BY ALL)
        SELECT b.business_id, b.month, b.peer_group, {", ".join(value_cols)},
               {", ".join(f"COALESCE(fl.flags_{s}, 0)::DOUBLE AS flags_{s}" for s in SEVERITIES)},
               COALESCE(fl.flags_credit, 0)::DOUBLE AS flags_credit,
               COALESCE(dq.max_dpd_3m, 0)::DOUBLE AS max_dpd_3m,
               COALESCE(fl.rule_points, 0)::DOUBLE AS rule_points
        FROM base b LEFT JOIN fl USING (business_id, month) LEFT JOIN dq USING (business_id, month)
        ORDER BY b.business_id, b.month
        """
        t = con.sql(sql).to_arrow_table()
        con.unregister("ind")
        con.unregister("ep")
        con.unregister("ev")
    finally:
        if own:
            con.close()
    names = tuple(f.id for f in cat)
    X = np.empty((t.num_rows, len(names)))
    for j, n in enumerate(names):
        X[:, j] = t.column(n).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    return Frame(
        t.column("business_id").to_numpy().astype(np.int64),
        t.column("month").to_numpy(zero_copy_only=False).astype("datetime64[D]"),
        np.asarray(t.column("peer_group").to_pylist(), dtype=object),
        X,
        names,
        t.column("rule_points").to_numpy(zero_copy_only=False).astype(np.float64),
    )
