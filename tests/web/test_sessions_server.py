"""Sessions and lockout through a real server: ``kizashi serve --workers 2`` as a subprocess.

Every request opens a new connection, so requests land on either worker process: a logout in
one is seen by the other, and failures counted by both lock the login ID exactly once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from kizashi.settings import Settings
from kizashi.store.models import AuditEvent
from kizashi.web.auth import SESSION_COOKIE

from .conftest import PASSWORD, WebWorld
from .live_server import serve

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MAX = 4


@pytest.fixture
def strict(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"login_max_failures": MAX, "login_address_max_failures": 1000}
    )


@pytest.fixture
def server(strict: Settings, web_world: WebWorld, tmp_path: Path) -> Iterator[str]:
    with serve(strict, tmp_path / "serve.log") as base:
        yield base


def _client(base: str) -> httpx.Client:
    """No keep-alive: every request a new connection, so any worker may answer it."""
    return httpx.Client(
        base_url=base,
        timeout=60,
        follow_redirects=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


def _try(base: str, login: str, password: str) -> httpx.Response:
    with _client(base) as c:
        token = CSRF.search(c.get("/login").text)
        assert token
        return c.post(
            "/login", data={"login": login, "password": password, "csrf_token": token.group(1)}
        )


def test_a_logout_in_one_worker_ends_the_session_in_all(server: str) -> None:
    with _client(server) as browser, _client(server) as thief:
        token = CSRF.search(browser.get("/login").text)
        assert token
        r = browser.post(
            "/login",
            data={"login": "cgc_officer", "password": PASSWORD, "csrf_token": token.group(1)},
        )
        assert r.status_code == 303
        thief.cookies.set(SESSION_COOKIE, browser.cookies[SESSION_COOKIE])
        assert [thief.get("/api/v1/me").status_code for _ in range(6)] == [200] * 6
        csrf = browser.get("/api/v1/me").json()["csrf_token"]
        assert browser.post("/logout", data={"csrf_token": csrf}).status_code == 303
        assert [thief.get("/api/v1/me").status_code for _ in range(6)] == [401] * 6


def test_failures_at_both_workers_lock_the_id_once(server: str, store, cli) -> None:  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(6) as pool:
        statuses = list(
            pool.map(lambda _: _try(server, "b_officer", "wrong-password").status_code, range(12))
        )
    assert statuses == [401] * 12
    refused = _try(server, "b_officer", PASSWORD)
    assert refused.status_code == 401 and "ロックされています" in refused.text
    with store.session() as s:
        actions = list(
            s.execute(select(AuditEvent.action).where(AuditEvent.action.like("login%"))).scalars()
        )
    assert actions.count("login_locked") == 1
    assert actions.count("login_failed") == 13
    result = cli("user", "unlock", "b_officer")
    assert result.exit_code == 0 and "ロックを解除しました" in result.output
    assert _try(server, "b_officer", PASSWORD).status_code == 303
