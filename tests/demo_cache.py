"""A demo state built once per test process and copied into each test's empty store.

Many modules start every test from the same demo portfolio (``build_demo`` with a given size
and seed, often followed by monitoring runs). Building it again for each test on each backend
was a third of the suite's time. ``demo_state`` builds it the first time a process asks for a
given key and backend, keeps a copy of the database and the data directory, and on later calls
copies them into the test's store and data directory instead: the test still starts from its
own, fresh state, equal to what the build would have produced (the build is deterministic for
its seed; what it wrote with the clock is a few minutes older).

- SQLite: the online backup API, to and from a file in a temporary directory.
- PostgreSQL: ``COPY … (FORMAT binary)`` of every table, restored in dependency order into the
  store the ``store`` fixture has just emptied, then every id sequence set past its rows and
  the planner's statistics gathered (``ANALYZE``).
- The data directory (raw files, the analytics database, models, audit checkpoints): copied.
- The builder's return value is kept and handed out as a deep copy.

``tests/test_demo_cache.py`` checks that a copied state equals a freshly built one.
"""

from __future__ import annotations

import atexit
import copy
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Integer, text

from kizashi.jobs.demo import build_demo
from kizashi.jobs.monitoring import PackRun, run_monitoring_job
from kizashi.jobs.portfolio_load import LoadSummary
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.schema import metadata

T = TypeVar("T")

_ROOT = Path(tempfile.mkdtemp(prefix="kizashi-demo-cache-"))
atexit.register(shutil.rmtree, _ROOT, True)


@dataclass(frozen=True)
class _Snapshot:
    where: Path  # data/ and, for SQLite, db.sqlite
    tables: dict[str, bytes] | None  # PostgreSQL: each table's COPY, binary
    result: Any


_SNAPSHOTS: dict[tuple[str, Hashable], _Snapshot] = {}


def _backend(store: Store) -> str:
    return "sqlite" if store.url.startswith("sqlite") else "postgres"


def _sqlite_path(store: Store) -> str:
    database = store.engine.url.database
    assert database, store.url
    return database


def _sqlite_copy(src: str, dst: str) -> None:
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        a.close()
        b.close()


def _pg_dump(store: Store) -> dict[str, bytes]:
    raw = store.engine.raw_connection()
    try:
        conn = raw.driver_connection
        out: dict[str, bytes] = {}
        with conn.cursor() as cur:
            for table in metadata.sorted_tables:
                with cur.copy(f'COPY "{table.name}" TO STDOUT (FORMAT binary)') as cp:
                    out[table.name] = b"".join(bytes(block) for block in cp)
        conn.rollback()
        return out
    finally:
        raw.close()


def _pg_restore(store: Store, tables: dict[str, bytes]) -> None:
    raw = store.engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cur:
            for table in metadata.sorted_tables:
                with cur.copy(f'COPY "{table.name}" FROM STDIN (FORMAT binary)') as cp:
                    cp.write(tables[table.name])
            for table in metadata.sorted_tables:
                for column in table.primary_key.columns:
                    if not isinstance(column.type, Integer):
                        continue
                    cur.execute(
                        "SELECT setval(pg_get_serial_sequence(%s, %s),"
                        f' COALESCE(MAX("{column.name}"), 1), MAX("{column.name}") IS NOT NULL)'
                        f' FROM "{table.name}"',
                        (f'"{table.name}"', column.name),
                    )
        conn.commit()
        # the planner's statistics, as autovacuum would gather them after a bulk load: without
        # them a join over the copied rows can take minutes (statement × statement_line did)
        conn.autocommit = True
        conn.execute("ANALYZE")
        conn.autocommit = False
    finally:
        raw.close()


def _empty(store: Store) -> bool:
    with store.engine.connect() as conn:
        return all(
            conn.execute(text(f'SELECT 1 FROM "{t.name}" LIMIT 1')).first() is None
            for t in metadata.sorted_tables
        )


def demo_state(store: Store, settings: Settings, key: Hashable, build: Callable[[], T]) -> T:
    """``build()`` run on ``store`` and ``settings`` the first time this process asks for ``key``
    on this backend; afterwards its database and data directory copied in (``store`` must be
    the fixture's empty store, ``settings.data_dir`` not yet written). Returns what ``build``
    returned (a deep copy on later calls)."""
    backend = _backend(store)
    snap = _SNAPSHOTS.get((backend, key))
    if snap is None:
        result = build()
        where = Path(tempfile.mkdtemp(dir=_ROOT))
        store.engine.dispose()
        if backend == "sqlite":
            _sqlite_copy(_sqlite_path(store), str(where / "db.sqlite"))
            tables = None
        else:
            tables = _pg_dump(store)
        if settings.data_dir.exists():
            shutil.copytree(settings.data_dir, where / "data")
        _SNAPSHOTS[(backend, key)] = _Snapshot(where, tables, copy.deepcopy(result))
        return result
    assert _empty(store), "demo_state copies into an empty store only"
    store.engine.dispose()
    if snap.tables is None:
        _sqlite_copy(str(snap.where / "db.sqlite"), _sqlite_path(store))
    else:
        _pg_restore(store, snap.tables)
    store.engine.dispose()
    if (snap.where / "data").exists():
        shutil.copytree(snap.where / "data", settings.data_dir, dirs_exist_ok=True)
    return copy.deepcopy(snap.result)


def built_demo(store: Store, settings: Settings, *, businesses: int, seed: int) -> LoadSummary:
    """``build_demo(store, settings, businesses=…, seed=…)``, copied after the first time."""
    return demo_state(
        store,
        settings,
        ("built", businesses, seed),
        lambda: build_demo(store, settings, businesses=businesses, seed=seed),
    )


def monitored_demo(
    store: Store,
    settings: Settings,
    *,
    businesses: int,
    seed: int,
    months: tuple[date | None, ...] = (None,),
) -> list[PackRun]:
    """``build_demo`` then ``run_monitoring_job`` for each of ``months`` (None: the latest
    month); returns the last run's packs. Copied after the first time."""

    def build() -> list[PackRun]:
        build_demo(store, settings, businesses=businesses, seed=seed)
        runs: list[PackRun] = []
        for month in months:
            runs = run_monitoring_job(store, settings, month=month)
        return runs

    return demo_state(store, settings, ("monitored", businesses, seed, months), build)
