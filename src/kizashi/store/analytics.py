"""The analytics file beside the operational store: the monthly panel and run outputs (DuckDB).

Written by ``kizashi.jobs`` (panel sync, monitoring runs); read here by business id for the
pages, always after ``kizashi.access`` has allowed the read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def analytics_path(data_dir: Path) -> Path:
    return data_dir / "analytics.duckdb"


def _query(data_dir: Path, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    path = analytics_path(data_dir)
    if not path.exists():
        return []
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        if not {"indicator_values", "peer_stats"} <= tables and "indicator_values" in sql:
            return []
        cur = con.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def latest_indicator_row(data_dir: Path, business_id: int, pack_ref: str) -> dict[str, Any] | None:
    """The newest as-of month's indicator values of one business (None before any run)."""
    rows = _query(
        data_dir,
        "SELECT * FROM indicator_values WHERE business_id = ? AND pack_ref = ? ORDER BY as_of DESC LIMIT 1",
        [business_id, pack_ref],
    )
    return rows[0] if rows else None


def peer_rows(data_dir: Path, pack_ref: str, as_of: Any, peer_group: str) -> list[dict[str, Any]]:
    return _query(
        data_dir,
        "SELECT indicator, n, p25, median, p75 FROM peer_stats WHERE pack_ref = ? AND as_of = ? AND peer_group = ?",
        [pack_ref, as_of, peer_group],
    )
