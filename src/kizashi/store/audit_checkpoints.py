"""Signed checkpoints of the audit chain, kept outside the database.

A checkpoint is one JSON line ``{"v", "count", "head_id", "head_hash", "at", "sig"}`` appended
(and fsynced) to ``checkpoints.jsonl`` in the checkpoint directory; ``sig`` is HMAC-SHA256 with
the checkpoint sub-key of the audit key over the other fields. ``verify_checkpoints`` compares
them with the database: a checkpoint whose head is beyond the chain means rows were cut off or
deleted; a head whose hash differs means the chain was recomputed (even with the key).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .audit import GENESIS, ChainProblem
from .audit_key import AuditKey
from .models import AuditEvent, AuditHead

if TYPE_CHECKING:
    from .db import Store

log = logging.getLogger(__name__)

FILE_NAME = "checkpoints.jsonl"
VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    count: int  # events in the chain (ids are 1..count)
    head_id: int
    head_hash: str
    at: str  # ISO 8601, UTC

    def body(self) -> dict[str, Any]:
        return {
            "v": VERSION,
            "count": self.count,
            "head_id": self.head_id,
            "head_hash": self.head_hash,
            "at": self.at,
        }


def _signature(key: AuditKey, body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hmac.new(key.checkpoint, text.encode("utf-8"), hashlib.sha256).hexdigest()


def chain_head(session: Session) -> tuple[int, str]:
    """(last id, last hash) of the chain as committed: (0, GENESIS) when it is empty."""
    head = session.execute(select(AuditHead.last_id, AuditHead.last_hash)).first()
    return (int(head[0]), str(head[1])) if head is not None else (0, GENESIS)


def append_checkpoint(directory: Path, key: AuditKey, count: int, head_hash: str) -> Checkpoint:
    """Sign and append one checkpoint line, fsynced (file and, when new, its directory)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    cp = Checkpoint(
        count=count,
        head_id=count,
        head_hash=head_hash,
        at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    line = json.dumps({**cp.body(), "sig": _signature(key, cp.body())}, sort_keys=True) + "\n"
    path = directory / FILE_NAME
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # one whole line at a time, across processes
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return cp


def write_checkpoint(store: Store, directory: Path) -> Checkpoint:
    """Checkpoint the store's committed chain head into ``directory`` (outside the database)."""
    key = store.audit_key.get()
    with store.read_session() as s:
        last_id, last_hash = chain_head(s)
    return append_checkpoint(directory, key, last_id, last_hash)


def read_checkpoints(directory: Path, key: AuditKey) -> tuple[list[Checkpoint], list[ChainProblem]]:
    """The checkpoints whose signature is valid, and a problem for every line that is not."""
    path = directory / FILE_NAME
    if not path.exists():
        return [], []
    good: list[Checkpoint] = []
    bad: list[ChainProblem] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                cp = Checkpoint(
                    count=int(raw["count"]),
                    head_id=int(raw["head_id"]),
                    head_hash=str(raw["head_hash"]),
                    at=str(raw["at"]),
                )
                valid = raw.get("v") == VERSION and hmac.compare_digest(
                    str(raw["sig"]), _signature(key, cp.body())
                )
            except (ValueError, KeyError, TypeError):
                valid = False
            if valid:
                good.append(cp)
            else:
                bad.append(ChainProblem(n, f"checkpoint line {n}: bad signature", "checkpoint_bad"))
    return good, bad


def verify_checkpoints(session: Session, checkpoints: list[Checkpoint]) -> list[ChainProblem]:
    """Compare each checkpoint with the chain. Codes: ``truncated`` (the chain is shorter than
    a checkpoint says), ``rewritten`` (the event at a checkpoint's head has another hash)."""
    problems: list[ChainProblem] = []
    last_id = session.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc())).scalar()
    last_id = int(last_id or 0)
    expected: dict[int, Checkpoint] = {}
    beyond = [cp for cp in checkpoints if cp.head_id > last_id]
    if beyond:  # one finding: the longest chain a checkpoint vouches for
        cp = max(beyond, key=lambda c: c.head_id)
        problems.append(
            ChainProblem(
                cp.head_id,
                f"checkpoint of {cp.at} has {cp.count} events; the chain has {last_id}",
                "truncated",
                len(beyond),
            )
        )
    for cp in checkpoints:
        if 0 < cp.head_id <= last_id:
            expected.setdefault(cp.head_id, cp)
    ids = sorted(expected)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id.in_(chunk))
        ).all()
        found = {int(r[0]): str(r[1]) for r in rows}
        for event_id in chunk:
            cp = expected[event_id]
            if found.get(event_id) != cp.head_hash:
                problems.append(
                    ChainProblem(
                        event_id,
                        f"event {event_id} differs from the checkpoint of {cp.at}",
                        "rewritten",
                    )
                )
    return problems


def archive_checkpoints(directory: Path) -> Path | None:
    """Move the checkpoint file aside (after a re-seal its hashes no longer apply)."""
    path = directory / FILE_NAME
    if not path.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = directory / f"checkpoints-before-reseal-{stamp}.jsonl"
    path.rename(target)
    return target


class CheckpointWriter:
    """A background thread that checkpoints the chain every ``interval`` seconds while it grows,
    and once more when stopped (the web server's; the CLI checkpoints after each command)."""

    def __init__(self, store: Store, directory: Path, interval: float) -> None:
        self.store = store
        self.directory = directory
        self.interval = interval
        self.last_written: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="audit-checkpoints", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.write_if_grown()

    def write_if_grown(self) -> Checkpoint | None:
        """One cheap read of the head row; a checkpoint only if the chain grew since the last."""
        try:
            with self.store.read_session() as s:
                last_id, last_hash = chain_head(s)
            if last_id in (0, self.last_written):
                return None  # nothing to anchor yet, or nothing new
            cp = append_checkpoint(self.directory, self.store.audit_key.get(), last_id, last_hash)
            self.last_written = last_id
            return cp
        except Exception:  # never take the server down; the next tick tries again
            log.exception("audit checkpoint failed")
            return None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.write_if_grown()
