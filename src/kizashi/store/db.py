"""Engine and sessions for the operational store; migrations run automatically on first use.

Several processes and threads may write at once. SQLite: WAL, a 30 s busy timeout, and every
unit of work takes the write lock when it starts (``BEGIN IMMEDIATE``, SQLAlchemy's pysqlite
recipe), so a transaction that read first never has to upgrade to a writer and fail with
``SQLITE_BUSY_SNAPSHOT``; writers queue, readers of ``Store.read_session`` do not. PostgreSQL:
ordinary concurrent transactions; audit appends serialise on the ``audit_head`` row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from .audit import READ_ONLY_SESSION, SESSION_KEY, append_audit
from .audit_key import AuditKeySource

if TYPE_CHECKING:
    from kizashi.settings import Settings

BUSY_TIMEOUT_SECONDS = 30
READ_ONLY = "kizashi_read_only"  # execution option: begin a deferred (read) transaction


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own BEGIN handling off: we emit BEGIN ourselves (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A unit of work takes the write lock at its start (waiting up to the busy timeout), so it
    # never holds a read snapshot that a concurrent writer makes stale.
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases and in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1]
    return Path(path) if path and path != ":memory:" else None


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("kizashi.store").joinpath("migrations"))
    )
    cfg.attributes["engine"] = engine
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> None:
    """Bring the database to the newest migration (no-op when it is already there)."""
    if current_revision(engine) != head_revision(engine):
        upgrade(engine)


class Store:
    """The database of one kizashi instance: an engine, session factories and the audit key.

    The audit key (kept outside the database) is ``audit_key`` if given, else read from
    ``audit_key_file``, else from ``audit_key`` beside a SQLite database file; a missing key file
    is created (mode 0600) on first use unless ``create_audit_key`` is false.
    """

    def __init__(
        self,
        url: str,
        *,
        migrate: bool = True,
        audit_key: str | bytes | None = None,
        audit_key_file: Path | None = None,
        create_audit_key: bool = True,
    ) -> None:
        self.url = url
        self.engine = make_engine(url)
        if migrate:
            ensure_schema(self.engine)
        db_file = sqlite_path(url)
        if audit_key_file is None and db_file is not None:
            audit_key_file = db_file.parent / "audit_key"
        self.audit_key = AuditKeySource(key=audit_key, path=audit_key_file, create=create_audit_key)
        info = {SESSION_KEY: self.audit_key}
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, info=info)
        # Reads see one snapshot: deferred on SQLite (WAL), REPEATABLE READ on PostgreSQL.
        read_options: dict[str, Any] = (
            {READ_ONLY: True}
            if url.startswith("sqlite")
            else {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**read_options),
            expire_on_commit=False,
            info={**info, READ_ONLY_SESSION: True},
        )

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only unit of work: on SQLite it does not take the write lock, so it never
        waits for writers nor makes them wait. It must not write (an audit record appended
        in it is refused: the rollback would lose it);
        it is rolled back at the end."""
        with self._read_sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends normally, rolled back otherwise.

        On SQLite it holds the database's write lock from its start (``BEGIN IMMEDIATE``): keep
        it short, and do long reads in ``read_session``. Never open one inside another in the
        same thread: the inner one would wait for the outer one's lock until the busy timeout.
        """
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except Exception as exc:
                # A refusal (NotFound, or any error carrying ``pending_audit``) rolls back the
                # unit of work and then keeps only its audit record.
                session.rollback()
                record = getattr(exc, "pending_audit", None)
                if record is not None:
                    append_audit(session, record)
                    session.commit()
                raise
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(settings: Settings, *, migrate: bool = True, create_audit_key: bool = True) -> Store:
    """The store an instance's settings describe, with its audit key."""
    return Store(
        settings.resolved_database_url,
        migrate=migrate,
        audit_key=settings.audit_key,
        audit_key_file=settings.resolved_audit_key_file,
        create_audit_key=create_audit_key,
    )
