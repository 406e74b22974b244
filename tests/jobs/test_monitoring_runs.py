"""A monitoring run is one unit: its status, a failure that changes nothing, recovery at the
next start, one run at a time, and the analytics file swapped in while others read it."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest
from sqlalchemy import select

import kizashi.actions.monitoring as monitoring_actions
import kizashi.jobs.monitoring as job
from kizashi.domain.vocabulary import RunStatus
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.jobs.monitoring_runs import RunInProgress, recover_runs, run_lock
from kizashi.store.analytics import analytics_path, staged_path
from kizashi.store.models import AuditEvent, Flag, MonitoringRun, MonitoringSummary

from ..demo_cache import monitored_demo


@pytest.fixture
def monitored(store, settings):
    return monitored_demo(store, settings, businesses=12, seed=5)


def _flags(store) -> list[tuple]:
    with store.session() as s:
        return s.execute(
            select(
                Flag.business_id,
                Flag.rule_id,
                Flag.opened_month,
                Flag.closed_month,
                Flag.is_open,
                Flag.state,
                Flag.run_id,
            ).order_by(Flag.business_id, Flag.rule_id, Flag.opened_month)
        ).all()


def _runs(store) -> list[MonitoringRun]:
    with store.session() as s:
        return list(s.execute(select(MonitoringRun).order_by(MonitoringRun.id)).scalars())


def _audited(store, action: str) -> list[str]:
    with store.session() as s:
        return list(
            s.execute(
                select(AuditEvent.object_id)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            ).scalars()
        )


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_run_is_finished_with_its_record_and_audit_event(store, settings, monitored):
    [run] = _runs(store)
    assert run.status == RunStatus.FINISHED and run.finished_at and run.error is None
    assert run.token and run.pid and run.host == socket.gethostname()
    assert monitored[0].run_id == run.id and run.open_flags == monitored[0].open_flags
    assert _audited(store, "monitoring_run") == [str(run.id)]
    assert {f[-1] for f in _flags(store)} == {run.id}
    assert not staged_path(settings.data_dir).exists()


def test_a_failed_run_changes_nothing_and_says_why(store, settings, monitored, monkeypatch):
    """An error inside the store transaction: flags, summaries and analytics stay as they were."""
    flags, live = _flags(store), analytics_path(settings.data_dir)
    before = _digest(live)
    with store.session() as s:
        summaries = s.execute(select(MonitoringSummary.run_id)).scalars().all()

    def broken(*_a, **_k):
        raise RuntimeError("disk full while writing summaries")

    monkeypatch.setattr(monitoring_actions, "_store_summary", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run_monitoring_job(store, settings, month=date(2026, 8, 1))
    assert _flags(store) == flags and _digest(live) == before
    with store.session() as s:
        assert s.execute(select(MonitoringSummary.run_id)).scalars().all() == summaries
    _first, failed = _runs(store)
    assert failed.status == RunStatus.FAILED and "disk full" in (failed.error or "")
    assert _audited(store, "monitoring_run_failed") == [str(failed.id)]
    assert not staged_path(settings.data_dir).exists()
    monkeypatch.undo()
    assert run_monitoring_job(store, settings)[0].flags_opened == 0  # nothing half-done


def test_a_dead_run_is_marked_failed_at_the_next_start(store, settings, monitored):
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    pid, now, here = int(ended.stdout), datetime.now(UTC), socket.gethostname()
    with store.session() as s:
        for token, host, beat in (
            ("here", here, now),  # this host, its process gone
            ("silent", "elsewhere", now - timedelta(hours=2)),  # another host, no heartbeat
            ("beating", "elsewhere", now),  # another host, still beating: left alone
        ):
            s.add(
                MonitoringRun(
                    as_of_month=date(2026, 9, 1),
                    pack_ref="kizashi.default@2026.2.0",
                    businesses=12,
                    started_at=beat,
                    status=RunStatus.RUNNING,
                    token=token,
                    host=host,
                    pid=pid,
                    heartbeat_at=beat,
                )
            )
    run_monitoring_job(store, settings)
    runs = {r.token: r for r in _runs(store)}
    assert runs["here"].status == RunStatus.FAILED
    assert f"process {pid} on {here} ended" in (runs["here"].error or "")
    assert runs["silent"].status == RunStatus.FAILED
    assert "no heartbeat" in (runs["silent"].error or "")
    assert runs["beating"].status == RunStatus.RUNNING
    assert len(_audited(store, "monitoring_run_failed")) == 2
    finished = [r for r in runs.values() if r.status == RunStatus.FINISHED]
    assert len(finished) == 2  # the fixture's run and this one


def test_a_crash_after_the_commit_is_completed_at_the_next_start(
    store, settings, monitored, monkeypatch
):
    """Killed between the store commit and the swap: the next start swaps the file in."""
    live = analytics_path(settings.data_dir)
    before = _digest(live)
    monkeypatch.setattr(job, "publish_staged", lambda _d: None)  # "dies" right after the commit
    run_monitoring_job(store, settings, month=date(2026, 8, 1))
    assert _digest(live) == before and staged_path(settings.data_dir).exists()
    monkeypatch.undo()
    with run_lock(settings.data_dir):
        recovery = recover_runs(store, settings.data_dir)
    assert recovery.published and not staged_path(settings.data_dir).exists()
    con = duckdb.connect(str(live), read_only=True)
    try:
        months = {
            r[0] for r in con.execute("SELECT DISTINCT as_of FROM indicator_values").fetchall()
        }
    finally:
        con.close()
    assert date(2026, 8, 1) in months


def test_a_staged_file_of_an_uncommitted_run_is_discarded(store, settings, monitored):
    live, staged = analytics_path(settings.data_dir), staged_path(settings.data_dir)
    before = _digest(live)
    staged.write_bytes(b"half-written by a run that was killed")
    with run_lock(settings.data_dir):
        assert recover_runs(store, settings.data_dir).discarded
    assert not staged.exists() and _digest(live) == before


def test_one_run_at_a_time(store, settings, monitored, cli):
    with run_lock(settings.data_dir):
        with pytest.raises(RunInProgress):
            run_monitoring_job(store, settings)
        r = cli("run")
        assert r.exit_code == 1 and "in progress" in r.output
    assert len(_runs(store)) == 1


def test_a_run_swaps_the_file_while_another_process_reads_it(store, settings, monitored):
    """A reader in another process holds the live file open read-only during the whole run."""
    live = analytics_path(settings.data_dir)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print(c.execute('SELECT COUNT(*) FROM indicator_values').fetchall()[0][0], "
            "flush=True); sys.stdin.read(); "
            "print(c.execute('SELECT COUNT(*) FROM indicator_values').fetchall()[0][0])",
            str(live),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None
        n_before = int(reader.stdout.readline())
        run_monitoring_job(store, settings, month=date(2026, 8, 1))  # adds a month's rows
        out, _ = reader.communicate("", timeout=60)
    finally:
        reader.kill()
    assert int(out) == n_before  # the reader kept its consistent (old) file
    con = duckdb.connect(str(live), read_only=True)
    try:
        assert con.execute("SELECT COUNT(*) FROM indicator_values").fetchall()[0][0] > n_before
    finally:
        con.close()
