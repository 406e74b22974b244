"""The life of a monitoring run: one at a time, recorded, and recovered after a crash.

A ``kizashi run`` (one *job*, named by a random ``token``) takes the data directory's run lock,
then recovers whatever an earlier job left unfinished:

* a staged analytics file whose job committed in the store (killed between its store commit
  and the swap) is swapped in — the job completes; any other staged file is discarded, so the
  live file stays the previous run's;
* a run still ``running`` whose process is gone (same host and its pid no longer exists, or no
  heartbeat for :data:`STALE_AFTER`) is marked ``failed`` with the reason, and audited.

Each pack's run is recorded as ``running`` (host, pid, heartbeat) before it is evaluated; the
job's single store commit turns every one of them ``finished`` with its flags, summaries and
audit event (``kizashi.jobs.monitoring``). Every store write here is an action of
``kizashi.actions.monitoring`` (``do_start_run``, ``do_beat_runs``, ``do_fail_run``). The lock is an ``flock`` on
``<data_dir>/monitoring.lock``: the kernel releases it when the process dies, even by SIGKILL.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from kizashi.access import Actor
from kizashi.actions.monitoring import do_beat_runs, do_fail_run, do_start_run
from kizashi.domain.vocabulary import RunStatus
from kizashi.store.analytics import discard_staged, publish_staged, staged_path, staged_token
from kizashi.store.db import Store
from kizashi.store.models import MonitoringRun

STALE_AFTER = timedelta(hours=1)  # a run on another host with no heartbeat for this long is dead


class RunInProgress(RuntimeError):
    """Another monitoring run holds this data directory."""


@contextmanager
def run_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data directory's run lock (refused at once when another run holds it)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / "monitoring.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgress(
                f"another monitoring run is in progress for {data_dir}; try again when it ends"
            ) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _pid_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Recovery:
    published: bool  # a committed job's analytics were swapped in
    discarded: bool  # an uncommitted job's staged analytics were removed
    failed_runs: list[int]  # runs marked failed


def recover_runs(store: Store, data_dir: Path, now: datetime | None = None) -> Recovery:
    """Finish or fail what earlier jobs left (call with the run lock held)."""
    now = now or datetime.now(UTC)
    published = discarded = False
    if staged_path(data_dir).exists():
        token = staged_token(data_dir)
        with store.session() as s:
            statuses = (
                set(s.execute(select(MonitoringRun.status).where(MonitoringRun.token == token)))
                if token
                else set()
            )
        if statuses and {r[0] for r in statuses} == {RunStatus.FINISHED}:
            publish_staged(data_dir)
            published = True
        else:
            discard_staged(data_dir)
            discarded = True
    host = socket.gethostname()
    failed: list[int] = []
    with store.session() as s:
        running = (
            s.execute(select(MonitoringRun).where(MonitoringRun.status == RunStatus.RUNNING))
            .scalars()
            .all()
        )
        for run in running:
            beat = _aware(run.heartbeat_at or run.started_at)
            if run.host == host and not _pid_alive(run.pid):
                why = f"process {run.pid} on {host} ended before the run committed"
            elif now - beat > STALE_AFTER:
                why = f"no heartbeat from process {run.pid} on {run.host} since {beat:%Y-%m-%d %H:%M} UTC"
            else:
                continue
            error = f"interrupted: {why}; nothing of it was stored"
            do_fail_run(s, Actor.system(), run_id=run.id, error=error, now=now)
            failed.append(run.id)
    return Recovery(published, discarded, failed)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def start_run(
    store: Store, *, token: str, pack_ref: str, org_id: int | None, as_of: date, businesses: int
) -> int:
    """Record a pack's run as ``running`` (committed at once, so a crash leaves a trace)."""
    with store.session() as s:
        run = do_start_run(
            s,
            Actor.system(),
            token=token,
            pack_ref=pack_ref,
            org_id=org_id,
            as_of=as_of,
            businesses=businesses,
            host=socket.gethostname(),
            pid=os.getpid(),
        )
        return run.id


def heartbeat(store: Store, token: str) -> None:
    with store.session() as s:
        do_beat_runs(s, Actor.system(), token=token)


def fail_job(store: Store, token: str, exc: BaseException) -> None:
    """Mark the job's unfinished runs failed with the error (its results were never committed)."""
    error = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    now = datetime.now(UTC)
    with store.session() as s:
        running = s.execute(
            select(MonitoringRun.id).where(
                MonitoringRun.token == token, MonitoringRun.status == RunStatus.RUNNING
            )
        ).scalars()
        for run_id in running.all():
            do_fail_run(s, Actor.system(), run_id=run_id, error=error, now=now)
