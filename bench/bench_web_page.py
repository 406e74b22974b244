"""Server time of one business page, in-process: the handler's CPU time (``time.thread_time``)
and wall time per request, measured inside the worker thread, over a demo data directory, and
the SQL statements per page.

    .venv/bin/python bench/bench_web_page.py DATA_DIR [REQUESTS]

DATA_DIR is a ``kizashi demo`` directory (SQLite, or KIZASHI_DATABASE_URL for PostgreSQL).
CPU time is what the page costs the server whatever else the machine is doing; the wall time
adds waiting (database, other threads). Logged in as the demo guarantor's officer (``hosho``),
the pages of the first 100 businesses it may see, each asked at least once before measuring.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import fastapi.dependencies.utils
import fastapi.routing
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from kizashi.settings import Settings
from kizashi.store.db import open_store
from kizashi.store.models import Business
from kizashi.web.app import create_app

TIMES: list[tuple[str, float, float]] = []


async def _timed_threadpool(func: Any, *args: Any, **kwargs: Any) -> Any:
    """FastAPI runs sync handlers and dependencies through this: time them in their thread."""

    def timed() -> Any:
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            TIMES.append((func.__name__, time.thread_time() - cpu, time.perf_counter() - wall))

    return await anyio.to_thread.run_sync(timed)


def main() -> None:
    data_dir = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    fastapi.routing.run_in_threadpool = _timed_threadpool  # type: ignore[assignment]
    fastapi.dependencies.utils.run_in_threadpool = _timed_threadpool  # type: ignore[assignment]
    cfg = Settings(data_dir=data_dir)
    store = open_store(cfg)
    queries = [0]

    def count(*_args: Any) -> None:
        queries[0] += 1

    event.listen(store.engine, "before_cursor_execute", count)
    with store.read_session() as s:
        ids = list(s.execute(select(Business.id).order_by(Business.id)).scalars())
    with TestClient(create_app(cfg, store), follow_redirects=False) as c:
        page = c.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        r = c.post(
            "/login",
            data={
                "login": "hosho",
                "password": "kizashi-demo",
                "csrf_token": token[1],
                "next": "/",
            },
        )
        assert r.status_code == 303, r.text
        pages = [f"/businesses/{i}" for i in ids if c.get(f"/businesses/{i}").status_code == 200]
        pages = pages[:100]
        TIMES.clear()
        queries[0] = 0
        for k in range(n):
            assert c.get(pages[k % len(pages)]).status_code == 200
    print(f"queries per page (session check, reads, audit append): {queries[0] / n:.1f}")
    by: dict[str, list[tuple[float, float]]] = {}
    for name, cpu, wall in TIMES:
        by.setdefault(name, []).append((cpu, wall))
    for name, xs in by.items():
        cpu_ms = statistics.median(x[0] for x in xs) * 1000
        wall_ms = statistics.median(x[1] for x in xs) * 1000
        print(f"{name:22} median CPU {cpu_ms:6.1f} ms   wall {wall_ms:6.1f} ms   (n={len(xs)})")


if __name__ == "__main__":
    main()
