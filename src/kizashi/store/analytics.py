"""The analytics file beside the operational store: the monthly panel and run outputs (DuckDB).

Written by ``kizashi.jobs`` (panel sync, monitoring runs) into a staged copy that replaces the
live file atomically after the run's store commit; read here by business id for the pages,
always after ``kizashi.access`` has allowed the read, read-only and per request. The tables and
their columns are declared in ``store.analytics_schema``.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from .analytics_schema import (
    INDICATOR_VALUES,
    PEER_STAT_COLUMNS,
    PEER_STATS,
    has_run_outputs,
    read_generation,
    write_generation,
)

_PEER_COLS = ", ".join(PEER_STAT_COLUMNS)


def analytics_path(data_dir: Path) -> Path:
    return data_dir / "analytics.duckdb"


def _query(data_dir: Path, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    path = analytics_path(data_dir)
    if not path.exists():
        return []
    con = duckdb.connect(str(path), read_only=True)
    try:
        if not has_run_outputs(con):
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
        f"SELECT * FROM {INDICATOR_VALUES} WHERE business_id = ? AND pack_ref = ? "
        "ORDER BY as_of DESC LIMIT 1",
        [business_id, pack_ref],
    )
    return rows[0] if rows else None


def peer_rows(data_dir: Path, pack_ref: str, as_of: Any, peer_group: str) -> list[dict[str, Any]]:
    return _query(
        data_dir,
        f"SELECT {_PEER_COLS} FROM {PEER_STATS} WHERE pack_ref = ? AND as_of = ? AND peer_group = ?",
        [pack_ref, as_of, peer_group],
    )


IndicatorRows = tuple[dict[str, Any] | None, tuple[dict[str, Any], ...]]


def _file_version(path: Path) -> tuple[int, ...]:
    st = path.stat()
    wal = _wal(path).stat().st_mtime_ns if _wal(path).exists() else 0
    return (st.st_ino, st.st_size, st.st_mtime_ns, wal)


def indicators_with_peers(
    data_dir: Path, business_id: int, pack_ref: str, as_of: date | None = None
) -> IndicatorRows:
    """The indicator row of month ``as_of`` (first day; None: the newest) and its
    ``peer_rows`` over one connection, remembered per version of the file (its inode, size and
    mtime: a run replaces or rewrites it), so a page seen again costs no DuckDB open (~15 ms).
    Treat the rows as read-only."""
    path = analytics_path(data_dir)
    try:
        return _indicators_with_peers(str(path), _file_version(path), business_id, pack_ref, as_of)
    except (FileNotFoundError, duckdb.IOException):
        return None, ()  # no run yet, or replaced meanwhile (not remembered: asked again)


def indicator_months(data_dir: Path, business_id: int, pack_ref: str) -> list[date]:
    """The months (first days, oldest first) that have indicator values of the business."""
    path = analytics_path(data_dir)
    try:
        return list(_indicator_months(str(path), _file_version(path), business_id, pack_ref))
    except (FileNotFoundError, duckdb.IOException):
        return []


@lru_cache(maxsize=1024)
def _indicator_months(
    path: str, _version: tuple[int, ...], business_id: int, pack_ref: str
) -> tuple[date, ...]:
    con = duckdb.connect(path, read_only=True)
    try:
        if not has_run_outputs(con):
            return ()
        rows = con.execute(
            f"SELECT DISTINCT as_of FROM {INDICATOR_VALUES} WHERE business_id = ? AND pack_ref = ? "
            "ORDER BY as_of",
            [business_id, pack_ref],
        ).fetchall()
        return tuple(r[0] for r in rows)
    finally:
        con.close()


@lru_cache(maxsize=4096)
def _indicators_with_peers(
    path: str, _version: tuple[int, ...], business_id: int, pack_ref: str, as_of: date | None
) -> IndicatorRows:
    con = duckdb.connect(path, read_only=True)
    try:
        if not has_run_outputs(con):
            return None, ()
        month = "" if as_of is None else "AND as_of = ? "
        cur = con.execute(
            f"SELECT * FROM {INDICATOR_VALUES} WHERE business_id = ? AND pack_ref = ? "
            f"{month}ORDER BY as_of DESC LIMIT 1",
            [business_id, pack_ref] + ([] if as_of is None else [as_of]),
        )
        cols = [d[0] for d in cur.description]
        found = cur.fetchone()
        if found is None:
            return None, ()
        row = dict(zip(cols, found, strict=True))
        cur = con.execute(
            f"SELECT {_PEER_COLS} FROM {PEER_STATS} "
            "WHERE pack_ref = ? AND as_of = ? AND peer_group = ?",
            [pack_ref, row["as_of"], row["peer_group"]],
        )
        cols = [d[0] for d in cur.description]
        return row, tuple(dict(zip(cols, r, strict=True)) for r in cur.fetchall())
    finally:
        con.close()


# A monitoring run never writes the live file: it copies it to the staged file, writes there,
# and after its store commit swaps the staged file in (``os.replace``: readers see the old file
# or the new one, never a half-written one; a reader holding the old file keeps reading it).
# Writers are serialised by the run lock (``kizashi.jobs.monitoring_runs``), so one staged file
# is enough; its ``generation`` table names the job that wrote it.


def staged_path(data_dir: Path) -> Path:
    return data_dir / "analytics.next.duckdb"


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def discard_staged(data_dir: Path) -> None:
    """Remove a staged file (and its write-ahead log) left by an unfinished run."""
    for p in (staged_path(data_dir), _wal(staged_path(data_dir))):
        p.unlink(missing_ok=True)


def stage_analytics(data_dir: Path) -> Path:
    """A fresh staged copy of the live file (an empty path if there is none yet)."""
    discard_staged(data_dir)
    live, staged = analytics_path(data_dir), staged_path(data_dir)
    if _wal(live).exists():  # left by a writer from before staging: fold it into the file
        duckdb.connect(str(live)).close()
    if live.exists():
        shutil.copyfile(live, staged)
    return staged


def mark_staged(staged: Path, token: str) -> None:
    """Record the job that wrote ``staged`` and flush it to disk (call before the store commit)."""
    con = duckdb.connect(str(staged))
    try:
        write_generation(con, token)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    _fsync(staged)


def staged_token(data_dir: Path) -> str | None:
    """The job that wrote the staged file, or None (no staged file, or not marked: unusable)."""
    staged = staged_path(data_dir)
    if not staged.exists() or _wal(staged).exists():
        return None
    try:
        con = duckdb.connect(str(staged), read_only=True)
    except duckdb.Error:
        return None
    try:
        return read_generation(con)
    finally:
        con.close()


def publish_staged(data_dir: Path) -> None:
    """Swap the staged file in as the live one (atomic rename, then the directory synced)."""
    os.replace(staged_path(data_dir), analytics_path(data_dir))
    _fsync(data_dir)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def panel_window(data_dir: Path, business_ids: list[int], month: date | None) -> Any:
    """The panel rows (an Arrow table) of ``business_ids`` for the 12 months up to ``month``
    (None: up to the newest month of the panel), or None without a panel. Read after
    ``kizashi.access`` has decided which businesses the reader may see."""
    import pyarrow as pa

    from .analytics_schema import PANEL, tables

    path = analytics_path(data_dir)
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    try:
        if PANEL not in tables(con):
            return None
        con.register("wanted", pa.table({"business_id": pa.array(business_ids, pa.int64())}))
        if month is None:
            month = con.execute(
                f"SELECT MAX(p.month) FROM {PANEL} p JOIN wanted USING (business_id)"
            ).fetchall()[0][0]
            if month is None:
                return None
        y, m0 = divmod(month.year * 12 + month.month - 1 - 11, 12)
        first = date(y, m0 + 1, 1)
        return con.sql(
            f"SELECT p.* FROM {PANEL} p JOIN wanted USING (business_id) "
            "WHERE p.month >= $first AND p.month <= $last",
            params={"first": first, "last": month},
        ).to_arrow_table()
    finally:
        con.close()
