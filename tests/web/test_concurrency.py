"""Many at once, through a real server: ``kizashi serve --workers 2`` as a subprocess.

* 50 users, each with their own login session (POST /login like a browser), read business
  pages at the same time: no errors, and every page served is one audit event naming the
  sections read (a refused section: its own deny event); the audit chain verifies.
* 12 ``kizashi ingest`` processes at once (six sample files, each sent twice) while users read
  pages: no errors, each file stored once (the second copy is a duplicate), chain intact.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from kizashi.settings import Settings
from kizashi.store.audit import verify_chain
from kizashi.store.db import Store
from kizashi.store.models import AuditEvent, RawFile, Submission

from .conftest import PASSWORD, WebWorld
from .live_server import KIZASHI, serve, settings_env

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FIXTURES = Path(__file__).parents[1] / "ingest" / "fixtures"
JOURNALS = ("yayoi.csv", "freee_journal.csv", "moneyforward.csv", "epson.csv", "bugyo.csv")
READERS = ("cgc_officer", "a_officer", "owner")  # may see the business page (bank A: no flags)


@pytest.fixture
def server(settings: Settings, web_world: WebWorld, tmp_path: Path) -> Iterator[str]:
    """``kizashi serve --workers 2`` over the web test world, on a free loopback port."""
    with serve(settings, tmp_path / "serve.log") as base:
        yield base


async def _log_in(base: str, login: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False)
    page = await client.get("/login")
    token = CSRF.search(page.text)
    assert token, page.text[:300]
    r = await client.post(
        "/login",
        data={"login": login, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
    )
    assert r.status_code == 303, (login, r.status_code, r.text[:300])
    return client


async def _read_pages(base: str, users: int, pages: int, url: str) -> list[int | str]:
    """``users`` sessions at once, each asking for ``url`` ``pages`` times without pause."""
    clients = await asyncio.gather(*(_log_in(base, READERS[i % 3]) for i in range(users)))
    statuses: list[int | str] = []

    async def read(client: httpx.AsyncClient) -> None:
        for _ in range(pages):
            try:
                statuses.append((await client.get(url)).status_code)
            except httpx.HTTPError as exc:
                statuses.append(repr(exc))

    try:
        await asyncio.gather(*(read(c) for c in clients))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return statuses


def _page_events(store: Store, business_id: int) -> tuple[int, int]:
    """(one-per-request page events, refused flags sections) about the business."""
    with store.read_session() as s:
        count = func.count()
        pages = s.execute(
            select(count).where(
                AuditEvent.action == "read_business_page",
                AuditEvent.decision == "allow",
                AuditEvent.business_id == business_id,
            )
        ).scalar_one()
        denied = s.execute(
            select(count).where(
                AuditEvent.action == "read_flags",
                AuditEvent.decision == "deny",
                AuditEvent.business_id == business_id,
            )
        ).scalar_one()
        return pages, denied


def _chain_intact(store: Store) -> int:
    with store.read_session() as s:
        checked, problems = verify_chain(s)
    assert problems == [], problems[:5]
    return checked


def fifty_users_read_business_pages_at_once(server: str, store: Store, web_world: WebWorld) -> None:
    users, pages = 50, 4
    url = f"/businesses/{web_world.business_id}"
    before = _page_events(store, web_world.business_id)
    statuses = asyncio.run(_read_pages(server, users, pages, url))
    assert len(statuses) == users * pages
    assert [s for s in statuses if s != 200] == []
    after = _page_events(store, web_world.business_id)
    # Every page served is one event; bank A's users (every third) were refused the flags
    # section on each of their pages, each refusal its own event.
    bank_a_pages = sum(1 for i in range(users) if READERS[i % 3] == "a_officer") * pages
    assert (after[0] - before[0], after[1] - before[1]) == (users * pages, bank_a_pages)
    assert _chain_intact(store) > users * pages


def _ingest(settings: Settings, business_id: int, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *KIZASHI,
            "ingest",
            str(path),
            "--business",
            str(business_id),
            "--as",
            "owner",
            "--fiscal-year-start-month",
            "4",
            "--json",
        ],
        env=settings_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def parallel_ingests_beside_web_reads(
    server: str, settings: Settings, store: Store, web_world: WebWorld
) -> None:
    files = [FIXTURES / name for name in JOURNALS] + [FIXTURES / "trial_balance.csv"]
    runs = [_ingest(settings, web_world.business_id, f) for f in files * 2]  # 12 at once
    url = f"/businesses/{web_world.business_id}"
    pages_before = _page_events(store, web_world.business_id)[0]
    statuses = asyncio.run(_read_pages(server, 12, 5, url))
    outcomes = [(p.wait(120), p.stdout.read(), p.stderr.read()) for p in runs]  # type: ignore[union-attr]
    assert [(code, err[-500:]) for code, _, err in outcomes if code != 0] == []
    assert [s for s in statuses if s != 200] == []
    assert _page_events(store, web_world.business_id)[0] - pages_before == len(statuses)
    reports = [json.loads(out) for _, out, _ in outcomes]
    # Each file stored once: one submission per file, the other copy a duplicate of it.
    stored = {r["submission_id"] for r in reports if not r.get("duplicate")}
    duplicates = [r for r in reports if r.get("duplicate")]
    assert len(stored) == len(files) and len(duplicates) == len(files)
    assert {r["submission_id"] for r in duplicates} == stored
    with store.read_session() as s:
        assert s.execute(select(func.count()).select_from(Submission)).scalar_one() == len(files)
        assert s.execute(select(func.count()).select_from(RawFile)).scalar_one() == len(files)
    assert _chain_intact(store) > 0


def test_many_at_once(server: str, settings: Settings, store: Store, web_world: WebWorld) -> None:
    """Both cases over one server (starting one takes seconds): pages, then ingests beside them."""
    fifty_users_read_business_pages_at_once(server, store, web_world)
    parallel_ingests_beside_web_reads(server, settings, store, web_world)
