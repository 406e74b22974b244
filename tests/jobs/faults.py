"""Fault injection: ``kizashi ingest`` and ``kizashi run`` as real processes, killed by SIGKILL.

Shared by ``tests/jobs/test_fault_injection.py`` (a few seeded trials) and
``bench/bench_fault_injection.py`` (a hundred). A *lab* is a small demo store plus its data
directory; each trial starts one command as a subprocess, kills it with SIGKILL after a random
delay (uniform over the command's clean duration, so kills land in every phase), then does
what an operator does next — runs the command again — and checks:

* nothing half-stored: every submission has all its statements, every statement all its lines
  (the counts of a clean import of the same kind of file), a retried file stored once;
* flags consistent with a finished run: every flag and summary written by a finished run, no
  run left ``running`` after the next start; a run killed before its swap left the live
  analytics file as it was;
* rerun idempotent: after the next start the flags equal those of a clean run on a copy of the
  store taken just before the kill (a *twin*), and (``further_run``) one more run changes
  nothing;
* the audit chain intact: ``kizashi audit verify`` exits 0.

The phase a kill landed in is read from the store afterwards, not from hooks in the code.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, make_url, select, text

from kizashi.domain.vocabulary import Role, RunStatus
from kizashi.ingest.dates import add_months
from kizashi.ingest.writers import write
from kizashi.jobs.demo import build_demo
from kizashi.settings import Settings
from kizashi.store.analytics import analytics_path, staged_path
from kizashi.store.db import Store, open_store
from kizashi.store.models import (
    Business,
    Flag,
    MonitoringRun,
    MonitoringSummary,
    Statement,
    StatementLine,
    Submission,
    User,
)

KIZASHI = [sys.executable, "-c", "from kizashi.cli.main import main; main()"]


def env_for(settings: Settings) -> dict[str, str]:
    """The environment that gives a subprocess the same settings (``KIZASHI_<NAME>``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIZASHI_")}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[f"KIZASHI_{name.upper()}"] = str(value)
    return env


def kizashi(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*KIZASHI, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def history(sales: int) -> list[dict[str, Any]]:
    """30 monthly cumulative trial balances (2024-04 .. 2026-09, fiscal years from April)."""
    months = []
    m = date(2024, 4, 1)
    while m <= date(2026, 9, 1):
        fy = date(m.year if m.month >= 4 else m.year - 1, 4, 1)
        ytd = (m.year - fy.year) * 12 + m.month - fy.month + 1
        borrowings = 0 if m >= date(2026, 3, 1) else 3 * sales
        end = add_months(m, 1)
        months.append(
            {
                "period_end": end.fromordinal(end.toordinal() - 1),
                "fiscal_year_start": fy,
                "amounts": {
                    "cash_and_deposits": sales // 5 + borrowings,
                    "short_term_borrowings": borrowings,
                    "capital_stock": sales // 5,
                    "sales": ytd * sales,
                    "purchases": ytd * sales,
                },
            }
        )
        m = end
    return months


@dataclass
class Trial:
    kind: str  # ingest | run
    delay: float  # seconds before the kill
    phase: str  # where the kill landed (read from the store afterwards)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Lab:
    store: Store
    settings: Settings
    env: dict[str, str]
    work: Path  # files to ingest, twins
    business_id: int
    owner: str
    rng: random.Random
    startup_seconds: float = 0.0  # of a command doing nothing (imports)
    ingest_seconds: float = 0.0
    run_seconds: float = 0.0
    lines: dict[date, int] = field(default_factory=dict)  # per period end, of a clean import
    files: dict[str, Path] = field(default_factory=dict)  # sha256 → file of a trial
    n: int = 0
    verify_every: int = (
        1  # ``kizashi audit verify`` after every n-th trial (the chain is cumulative)
    )
    trials: int = 0

    def ingest_args(self, path: Path) -> list[str]:
        return [
            "ingest",
            str(path),
            "--business",
            str(self.business_id),
            "--as",
            self.owner,
            "--fiscal-year-start-month",
            "4",
        ]


def setup_lab(store: Store, settings: Settings, work: Path, seed: int, businesses: int = 6) -> Lab:
    """A small demo store; one clean import and one clean run, timed (the kill windows)."""
    build_demo(store, settings, businesses=businesses, seed=seed)
    with store.session() as s:
        bid, org = s.execute(select(Business.id, Business.org_id).order_by(Business.id)).first()
        owner = s.execute(
            select(User.login).where(User.org_id == org, User.role == Role.OWNER)
        ).scalar_one()
    work.mkdir(parents=True, exist_ok=True)
    lab = Lab(store, settings, env_for(settings), work, bid, owner, random.Random(seed))
    t0 = time.perf_counter()
    kizashi(lab.env, "--help")
    lab.startup_seconds = time.perf_counter() - t0
    path = lab_file(lab)
    t0 = time.perf_counter()
    done = kizashi(lab.env, *lab.ingest_args(path))
    lab.ingest_seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"clean import failed: {done.stdout}{done.stderr}")
    with store.session() as s:
        rows = s.execute(
            select(Statement.period_end, func.count(StatementLine.item_code))
            .join(StatementLine, StatementLine.statement_id == Statement.id)
            .join(Submission, Submission.id == Statement.submission_id)
            .where(Submission.raw_sha256 == _sha(path))
            .group_by(Statement.period_end)
        ).all()
    lab.lines = {r[0]: r[1] for r in rows}
    t0 = time.perf_counter()
    done = kizashi(lab.env, "run")
    lab.run_seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"clean run failed: {done.stdout}{done.stderr}")
    return lab


def lab_file(lab: Lab) -> Path:
    """A new corrected history for the lab's business (different figures each time)."""
    lab.n += 1
    path = lab.work / f"tb_{lab.n:03d}.csv"
    path.write_bytes(write("table", history(10_000_000 + 1000 * lab.n)))
    lab.files[_sha(path)] = path
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _delay(lab: Lab, clean: float) -> float:
    """A kill time over the command's work: from the end of its imports to a little after its
    clean duration (loaded machines vary)."""
    return lab.rng.uniform(min(lab.startup_seconds * 0.8, clean * 0.5), clean * 1.1)


def _follow(estimate: float, measured: float) -> float:
    """The clean duration follows the machine's load (an average of the recent ones)."""
    return (estimate + measured) / 2


def _kill_after(lab: Lab, args: list[str], delay: float) -> float | None:
    """Start ``kizashi args``, SIGKILL it after ``delay`` s; its duration if it ended first."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*KIZASHI, *args], env=lab.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        proc.wait(timeout=delay)
        return time.perf_counter() - t0
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return None


def ingest_trial(lab: Lab) -> Trial:
    start = time.perf_counter()
    path = lab_file(lab)
    delay = _delay(lab, lab.ingest_seconds)
    finished = _kill_after(lab, lab.ingest_args(path), delay)
    if finished is not None:
        lab.ingest_seconds = _follow(lab.ingest_seconds, finished)
    stored = _submissions_of(lab, path)
    phase = "finished" if finished is not None else ("after commit" if stored else "before commit")
    trial = Trial("ingest", delay, phase)
    trial.problems += check_submissions(lab)
    t0 = time.perf_counter()
    again = kizashi(lab.env, *lab.ingest_args(path))  # the operator retries
    if phase == "before commit":  # the retry did the whole import: a clean duration
        lab.ingest_seconds = _follow(lab.ingest_seconds, time.perf_counter() - t0)
    if again.returncode != 0:
        trial.problems.append(f"retried import failed: {again.stdout[-500:]}{again.stderr[-500:]}")
    if _submissions_of(lab, path) != 1:
        trial.problems.append(f"{path.name}: stored {_submissions_of(lab, path)} times, not once")
    trial.problems += check_submissions(lab) + check_audit(lab)
    trial.seconds = time.perf_counter() - start
    return trial


def _submissions_of(lab: Lab, path: Path) -> int:
    with lab.store.session() as s:
        return s.execute(
            select(func.count()).select_from(Submission).where(Submission.raw_sha256 == _sha(path))
        ).scalar_one()


def run_trial(lab: Lab, *, further_run: bool = True) -> Trial:
    start = time.perf_counter()
    if lab.rng.random() < 0.5:  # half the runs have new data to evaluate
        done = kizashi(lab.env, *lab.ingest_args(lab_file(lab)))
        if done.returncode != 0:
            raise RuntimeError(f"import before the run failed: {done.stdout}{done.stderr}")
    with lab.store.session() as s:
        last_run = s.execute(select(func.max(MonitoringRun.id))).scalar_one() or 0
    expected = clean_flags_on_twin(lab)
    live = analytics_path(lab.settings.data_dir)
    before = hashlib.sha256(live.read_bytes()).hexdigest()
    delay = _delay(lab, lab.run_seconds)
    finished = _kill_after(lab, ["run"], delay)
    if finished is not None:
        lab.run_seconds = _follow(lab.run_seconds, finished)
    after = hashlib.sha256(live.read_bytes()).hexdigest()
    with lab.store.session() as s:
        statuses = set(
            s.execute(select(MonitoringRun.status).where(MonitoringRun.id > last_run)).scalars()
        )
    if finished is not None:
        phase = "finished"
    elif not statuses:
        phase = "before the run record"
    elif RunStatus.FINISHED in statuses:
        phase = (
            "after commit, before the swap"
            if staged_path(lab.settings.data_dir).exists()
            else "after the swap"
        )
    else:
        phase = "evaluating"
    trial = Trial("run", delay, phase)
    if phase not in ("finished", "after the swap") and after != before:
        trial.problems.append(f"killed {phase}: the live analytics file changed")
    t0 = time.perf_counter()
    nxt = kizashi(lab.env, "run")  # the next start
    lab.run_seconds = _follow(lab.run_seconds, time.perf_counter() - t0)
    if nxt.returncode != 0:
        trial.problems.append(f"the next run failed: {nxt.stdout[-800:]}{nxt.stderr[-800:]}")
    trial.problems += check_runs(lab)
    got = flag_set(lab.store)
    if got != expected:
        trial.problems.append(
            f"flags differ from a clean run: {len(got - expected)} unexpected, "
            f"{len(expected - got)} missing"
        )
    if further_run:
        again = kizashi(lab.env, "run")
        if flag_set(lab.store) != got or again.returncode != 0:
            trial.problems.append("a further run changed the flags")
    trial.problems += check_audit(lab)
    trial.seconds = time.perf_counter() - start
    return trial


def flag_set(store: Store) -> set[tuple]:
    with store.session() as s:
        return set(
            s.execute(
                select(
                    Flag.business_id,
                    Flag.pack_ref,
                    Flag.rule_id,
                    Flag.opened_month,
                    Flag.closed_month,
                    Flag.last_seen_month,
                    Flag.is_open,
                    Flag.state,
                    Flag.state_reason,
                    Flag.evidence_opened,
                    Flag.evidence_latest,
                )
            ).all()
        )


def clean_flags_on_twin(lab: Lab) -> set[tuple]:
    """The flags a clean run gives, on a copy of the store and data directory taken now."""
    twin_dir = lab.work / f"twin-{uuid.uuid4().hex[:8]}"
    shutil.copytree(lab.settings.data_dir, twin_dir)
    url, drop = _twin_database(lab.store, twin_dir)
    settings = lab.settings.model_copy(update={"data_dir": twin_dir, "database_url": url})
    twin = open_store(settings)
    try:
        # a process like the one killed: the same code as it, even if the files change
        done = kizashi(env_for(settings), "run")
        if done.returncode != 0:
            raise RuntimeError(f"clean run on the twin failed: {done.stdout}{done.stderr}")
        return flag_set(twin)
    finally:
        twin.dispose()
        drop()
        shutil.rmtree(twin_dir, ignore_errors=True)


def _twin_database(store: Store, twin_dir: Path) -> tuple[str, Any]:
    url = make_url(store.url)
    if url.get_backend_name() == "sqlite":
        path = twin_dir / "twin.db"
        src, dst = sqlite3.connect(str(url.database)), sqlite3.connect(str(path))
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        return f"sqlite:///{path}", lambda: None
    name = f"twin_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    store.engine.dispose()  # a template database must have no other connections
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def check_submissions(lab: Lab) -> list[str]:
    """Every submission has statements, every statement lines; a trial's file all of them."""
    problems = []
    with lab.store.session() as s:
        empty_subs = s.execute(
            select(Submission.id).where(
                ~select(Statement.id).where(Statement.submission_id == Submission.id).exists()
            )
        ).all()
        empty_statements = s.execute(
            select(Statement.id).where(
                ~select(StatementLine.item_code)
                .where(StatementLine.statement_id == Statement.id)
                .exists()
            )
        ).all()
        per = s.execute(
            select(Submission.raw_sha256, Statement.period_end, func.count(StatementLine.item_code))
            .join(Statement, Statement.submission_id == Submission.id)
            .join(StatementLine, StatementLine.statement_id == Statement.id)
            .where(Submission.raw_sha256.in_(list(lab.files)))
            .group_by(Submission.raw_sha256, Statement.period_end)
        ).all()
    if empty_subs:
        problems.append(f"submissions without statements: {empty_subs}")
    if empty_statements:
        problems.append(f"statements without lines: {empty_statements}")
    got: dict[str, dict[date, int]] = {}
    for sha, end, n in per:
        got.setdefault(sha, {})[end] = n
    for sha, lines in got.items():
        if lines != lab.lines:
            problems.append(f"{lab.files[sha].name}: stored in part ({len(lines)} months)")
    return problems


def check_runs(lab: Lab) -> list[str]:
    """No run left running; every flag and summary written by a finished run."""
    with lab.store.session() as s:
        running = s.execute(
            select(MonitoringRun.id).where(MonitoringRun.status == RunStatus.RUNNING)
        ).all()
        finished = set(
            s.execute(
                select(MonitoringRun.id).where(MonitoringRun.status == RunStatus.FINISHED)
            ).scalars()
        )
        flag_runs = set(s.execute(select(Flag.run_id).distinct()).scalars())
        summary_runs = set(s.execute(select(MonitoringSummary.run_id).distinct()).scalars())
    problems = []
    if running:
        problems.append(f"runs left running after the next start: {running}")
    if not flag_runs <= finished:
        problems.append(f"flags written by unfinished runs {flag_runs - finished}")
    if not summary_runs <= finished:
        problems.append(f"summaries written by unfinished runs {summary_runs - finished}")
    if staged_path(lab.settings.data_dir).exists():
        problems.append("a staged analytics file was left behind")
    return problems


def check_audit(lab: Lab, *, always: bool = False) -> list[str]:
    lab.trials += 0 if always else 1
    if not always and lab.trials % lab.verify_every:
        return []
    done = kizashi(lab.env, "audit", "verify")
    if done.returncode != 0:
        return [f"kizashi audit verify exited {done.returncode}: {done.stdout[-500:]}"]
    return []


def summarise(trials: list[Trial]) -> dict[str, Any]:
    return {
        "trials": len(trials),
        "kills per phase": dict(Counter(f"{t.kind}: {t.phase}" for t in trials)),
        "failures": sum(1 for t in trials if t.problems),
        "problems": [p for t in trials for p in t.problems],
    }
