"""Risk scores in the analytics file (``<data_dir>/analytics.duckdb``), beside the indicators.

Scores for a whole portfolio (1.5M businesses a month) belong in the columnar file, not in the
operational store: ``risk_scores`` holds model version × as-of month × business (the calibrated
probability, the rules-only priority, the combined triage priority and the flag/arrears inputs
the reasons need); ``risk_peer_stats`` the peer group's median probability. The tables are declared in
``kizashi.store.analytics_schema``. Written by the monitoring run into its staged file; read here, read-only, after ``kizashi.access`` allowed it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .analytics import analytics_path
from .analytics_schema import RISK_PEER_STATS, RISK_SCORES, ensure_risk_scores
from .analytics_schema import tables as _tables


def write_scores(path: Path, version: str, as_of: date, rows: pa.Table) -> None:
    """Replace the (version, month) scores in the (staged) file ``path`` with ``rows``
    (business_id, peer_group, probability, …) and recompute the peer medians. A column the
    file's table lacks (a model with bank features after one without) is added to it."""
    con = duckdb.connect(str(path))
    try:
        con.register("new_rows", rows)
        ensure_risk_scores(con, version, as_of)
        have = {r[0] for r in con.execute(f"DESCRIBE {RISK_SCORES}").fetchall()}
        for name, kind, *_ in con.execute("DESCRIBE new_rows").fetchall():
            if name not in have:
                con.execute(f'ALTER TABLE {RISK_SCORES} ADD COLUMN "{name}" {kind}')
        for t in (RISK_SCORES, RISK_PEER_STATS):
            con.execute(f"DELETE FROM {t} WHERE model_version = ? AND as_of = ?", [version, as_of])
        con.execute(
            f"INSERT INTO {RISK_SCORES} BY NAME SELECT ?::VARCHAR AS model_version, "
            "?::DATE AS as_of, * FROM new_rows",
            [version, as_of],
        )
        con.execute(
            f"INSERT INTO {RISK_PEER_STATS} SELECT ?, ?, peer_group, COUNT(*), MEDIAN(probability) "
            "FROM new_rows GROUP BY peer_group",
            [version, as_of],
        )
        con.unregister("new_rows")
    finally:
        con.close()


def _query(data_dir: Path, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    path = analytics_path(data_dir)
    if not path.exists():
        return []
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException:
        return []
    try:
        if RISK_SCORES not in _tables(con):
            return []
        cur = con.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def business_scores(
    data_dir: Path, business_id: int, version: str, months: int = 2
) -> list[dict[str, Any]]:
    """The business's newest ``months`` scores of ``version``, newest first, with the peer
    group's median probability of the same month."""
    return _query(
        data_dir,
        f"SELECT s.*, p.median AS peer_median, p.n AS peer_n FROM {RISK_SCORES} s "
        f"LEFT JOIN {RISK_PEER_STATS} p ON p.model_version = s.model_version AND p.as_of = s.as_of "
        "AND p.peer_group IS NOT DISTINCT FROM s.peer_group "
        "WHERE s.business_id = ? AND s.model_version = ? ORDER BY s.as_of DESC LIMIT ?",
        [business_id, version, months],
    )


def score_months(data_dir: Path, version: str) -> list[dict[str, Any]]:
    """Per scored month of ``version``: businesses and mean probability."""
    return _query(
        data_dir,
        f"SELECT as_of, COUNT(*) AS businesses, AVG(probability) AS mean_probability "
        f"FROM {RISK_SCORES} WHERE model_version = ? GROUP BY as_of ORDER BY as_of",
        [version],
    )


def month_scores(data_dir: Path, version: str, as_of: date) -> pa.Table | None:
    path = analytics_path(data_dir)
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    try:
        if RISK_SCORES not in _tables(con):
            return None
        return con.sql(
            f"SELECT * FROM {RISK_SCORES} WHERE model_version = ? AND as_of = ?",
            params=[version, as_of],
        ).to_arrow_table()
    finally:
        con.close()


def month_ranks(
    data_dir: Path, version: str, as_of: date, probability: float, rule_priority: float
) -> tuple[float, float] | None:
    """Percentile ranks (0–100; ties count half) of ``probability`` and ``rule_priority`` among
    the month's scored businesses — the two parts of the triage priority (None: no scores)."""
    rows = _query(
        data_dir,
        f"SELECT COUNT(*) AS n, "
        "SUM(CASE WHEN probability < ? THEN 2 WHEN probability = ? THEN 1 ELSE 0 END) AS p, "
        "SUM(CASE WHEN rule_priority < ? THEN 2 WHEN rule_priority = ? THEN 1 ELSE 0 END) AS r "
        f"FROM {RISK_SCORES} WHERE model_version = ? AND as_of = ?",
        [probability, probability, rule_priority, rule_priority, version, as_of],
    )
    if not rows or not rows[0]["n"]:
        return None
    n = rows[0]["n"]
    return 100 * float(rows[0]["p"]) / (2 * n), 100 * float(rows[0]["r"]) / (2 * n)
