"""Many processes and threads append to the audit chain at once: no errors, one intact chain.

Each unit of work reads first and appends after, the pattern that failed on SQLite before
(``UNIQUE constraint failed: audit_event.id`` when ``FOR UPDATE`` was silently ignored).
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback

from sqlalchemy import func, select

from kizashi.store.audit import AuditRecord, append_audit, verify_chain
from kizashi.store.db import Store
from kizashi.store.models import AuditEvent
from tests.conftest import TEST_AUDIT_KEY

PROCESSES = 8
THREADS = 8
APPENDS = 50


def _append_many(store: Store, worker: int, n: int) -> list[str]:
    errors: list[str] = []
    for i in range(n):
        try:
            with store.session() as s:
                s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()  # read first
                append_audit(
                    s,
                    AuditRecord(action="read", decision="allow", detail={"w": worker, "i": i}),
                )
        except Exception:
            errors.append(traceback.format_exc(limit=3))
    return errors


def _process(args: tuple[str, int, int]) -> list[str]:
    url, worker, n = args
    store = Store(url, migrate=False, audit_key=TEST_AUDIT_KEY)
    try:
        return _append_many(store, worker, n)
    finally:
        store.dispose()


def _assert_one_intact_chain(store: Store, total: int) -> None:
    with store.session() as s:
        ids = s.execute(select(AuditEvent.id).order_by(AuditEvent.id)).scalars().all()
        assert ids == list(range(1, total + 1))
        assert verify_chain(s) == (total, [])
        workers = s.execute(select(AuditEvent.detail)).scalars().all()
    assert len(set(workers)) == total  # every append is there once


def test_processes_append_concurrently(store):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(PROCESSES) as pool:
        results = pool.map(_process, [(store.url, w, APPENDS) for w in range(PROCESSES)])
    errors = [e for r in results for e in r]
    assert errors == [], errors[:3]
    _assert_one_intact_chain(store, PROCESSES * APPENDS)


def test_threads_append_concurrently(store):
    results: list[list[str]] = [[] for _ in range(THREADS)]

    def run(w: int) -> None:
        results[w] = _append_many(store, w, APPENDS)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [e for r in results for e in r]
    assert errors == [], errors[:3]
    _assert_one_intact_chain(store, THREADS * APPENDS)
