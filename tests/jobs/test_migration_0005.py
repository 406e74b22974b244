"""Migration 0005 on a database with the old duplicates: the later-opened flag stays open, the
earlier one is closed (a person's 対応不要 kept), unfinished runs become failed."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from kizashi.store.db import make_engine, upgrade

FLAG = (
    "INSERT INTO flag (id, business_id, org_id, pack_ref, rule_id, severity, category, "
    "opened_month, closed_month, last_seen_month, is_open, state, state_reason, "
    "evidence_opened, evidence_latest, run_id, updated_at) VALUES "
    "(:id, :b, NULL, 'p@1', :rule, 'high', '資金繰り', :opened, NULL, '2026-09-01', :open, "
    ":state, NULL, '{}', '{}', NULL, '2026-10-01 00:00:00')"
)
RUN = (
    "INSERT INTO monitoring_run (id, as_of_month, pack_ref, businesses, open_flags, started_at, "
    "finished_at) VALUES (:id, '2026-09-01', 'p@1', 1, 0, '2026-10-01 00:00:00', :finished)"
)


@pytest.fixture
def old_database(store, tmp_path):
    """An empty database of the same backend, migrated to 0004 (before this change)."""
    url = make_url(store.url)
    if url.get_backend_name() == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    name = f"old_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def _without_foreign_keys(engine: Engine) -> Iterator[Any]:
    """Rows without their businesses and runs: the foreign keys are not what is tested."""
    if engine.dialect.name == "sqlite":  # a plain connection: SQLite checks no foreign keys
        raw = sqlite3.connect(str(engine.url.database))
        try:
            yield _Raw(raw)
            raw.commit()
        finally:
            raw.close()
        return
    with engine.begin() as conn:
        conn.execute(text("SET session_replication_role = replica"))
        yield conn


class _Raw:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def execute(self, stmt: Any, params: dict[str, Any]) -> None:
        self.con.execute(str(stmt), params)


def test_0005_closes_duplicate_open_flags(old_database):
    engine = old_database
    upgrade(engine, "0004")
    with _without_foreign_keys(engine) as conn:
        rows = [
            (1, 7, "cash.low_liquidity", "2024-06-01", True, "in_progress"),
            (2, 7, "cash.low_liquidity", "2026-08-01", True, "new"),
            (3, 7, "finance.operating_loss_streak", "2025-01-01", True, "not_needed"),
            (4, 7, "finance.operating_loss_streak", "2026-02-01", True, "new"),
            (5, 8, "cash.low_liquidity", "2024-06-01", True, "new"),  # alone: stays open
        ]
        for i, b, rule, opened, is_open, state in rows:
            conn.execute(
                text(FLAG),
                {"id": i, "b": b, "rule": rule, "opened": opened, "open": is_open, "state": state},
            )
        conn.execute(text(RUN), {"id": 1, "finished": "2026-10-01 00:10:00"})
        conn.execute(text(RUN), {"id": 2, "finished": None})
    upgrade(engine, "0005")
    with engine.connect() as conn:
        flags = {
            r[0]: (bool(r[1]), str(r[2]) if r[2] else None, r[3])
            for r in conn.execute(text("SELECT id, is_open, closed_month, state FROM flag"))
        }
        runs = dict(conn.execute(text("SELECT id, status FROM monitoring_run")).all())
    assert flags == {
        1: (False, "2026-08-01", "resolved"),
        2: (True, None, "new"),
        3: (False, "2026-02-01", "not_needed"),
        4: (True, None, "new"),
        5: (True, None, "new"),
    }
    assert runs == {1: "finished", 2: "failed"}
    with pytest.raises(Exception, match=r"(?i)unique"), _without_foreign_keys(engine) as conn:
        conn.execute(
            text(FLAG),
            {
                "id": 6,
                "b": 8,
                "rule": "cash.low_liquidity",
                "opened": "2026-09-01",
                "open": True,
                "state": "new",
            },
        )
