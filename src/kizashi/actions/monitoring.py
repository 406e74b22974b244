"""The store writes of a monitoring run: its record, its flags and summaries, its failure.

``kizashi.jobs.monitoring`` computes (panel, indicators, rules, episodes); these actions write
what it found, each with its audit event, in the caller's unit of work:

* :func:`do_install_default_pack` — the shipped default pack's row (once per version);
* :func:`do_start_run` — a pack's run recorded as ``running`` (committed at once by the job, so
  a crash leaves a trace);
* :func:`do_beat_runs` — the job's liveness mark (``heartbeat_at``);
* :func:`do_record_run` — one pack's flags, summaries, ``finished`` run record and audit event
  (the job calls it for every pack in ONE transaction: all packs or none);
* :func:`do_fail_run` — a run marked ``failed`` with the reason (its results were never
  committed).

Only the system actor (the instance operator's job) runs them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.actions.flags import move_responses_for_run
from kizashi.domain.vocabulary import FlagState, RunStatus
from kizashi.engine.exec.episodes import carry_over
from kizashi.engine.exec.run import RunResult
from kizashi.engine.spec.packs import Pack, default_pack, default_pack_text
from kizashi.store.audit import audit_write
from kizashi.store.errors import NotFound
from kizashi.store.models import Flag, MonitoringRun, MonitoringSummary, RulePack

ERROR_CHARS = 2000  # a failed run's stored error text is cut here


@dataclass(frozen=True)
class RunOutcome:
    """What one pack's recorded run changed."""

    opened: int  # flags opened
    closed: int  # flags closed
    open_flags: int  # flags open after the run


def _require_system(actor: Actor) -> None:
    if not actor.is_system:
        raise PermissionError("only the monitoring job (the system) records monitoring runs")


def do_install_default_pack(session: Session, actor: Actor) -> RulePack:
    """The shipped default pack's row for its current version (added and audited once)."""
    _require_system(actor)
    pack = default_pack()
    row = session.execute(
        select(RulePack).where(RulePack.pack_id == pack.id, RulePack.version == pack.version)
    ).scalar_one_or_none()
    if row is not None:
        return row
    row = RulePack(
        org_id=None,
        pack_id=pack.id,
        version=pack.version,
        title=pack.ja,
        yaml_text=default_pack_text(),
        active=True,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    audit_write(
        session,
        actor,
        "install_default_pack",
        object_type="rule_pack",
        object_id=row.id,
        pack=pack.ref,
    )
    return row


def do_start_run(
    session: Session,
    actor: Actor,
    *,
    token: str,
    pack_ref: str,
    org_id: int | None,
    as_of: date,
    businesses: int,
    host: str,
    pid: int,
) -> MonitoringRun:
    """Record a pack's run as ``running`` by process ``pid`` on ``host`` (job ``token``)."""
    _require_system(actor)
    now = datetime.now(UTC)
    run = MonitoringRun(
        as_of_month=as_of,
        pack_ref=pack_ref,
        org_id=org_id,
        businesses=businesses,
        started_at=now,
        status=RunStatus.RUNNING,
        token=token,
        host=host,
        pid=pid,
        heartbeat_at=now,
    )
    session.add(run)
    session.flush()
    audit_write(
        session,
        actor,
        "monitoring_run_started",
        object_type="monitoring_run",
        object_id=run.id,
        pack=pack_ref,
        as_of=as_of.isoformat(),
        businesses=businesses,
        host=host,
        pid=pid,
    )
    return run


def do_beat_runs(session: Session, actor: Actor, *, token: str) -> None:
    """Mark job ``token``'s running runs alive now.

    Not audited: a liveness mark (it only tells the next start that the process was alive),
    written once per pack; the run's start, end and failure are audited.
    """
    _require_system(actor)
    session.execute(
        update(MonitoringRun)
        .where(MonitoringRun.token == token, MonitoringRun.status == RunStatus.RUNNING)
        .values(heartbeat_at=datetime.now(UTC))
    )


def do_fail_run(
    session: Session, actor: Actor, *, run_id: int, error: str, now: datetime | None = None
) -> MonitoringRun:
    """Mark a run ``failed`` with ``error`` (nothing of its results was stored)."""
    _require_system(actor)
    run = session.get(MonitoringRun, run_id)
    if run is None:
        raise NotFound(f"monitoring run {run_id}")
    run.status = RunStatus.FAILED
    run.error = error[:ERROR_CHARS]
    run.finished_at = now or datetime.now(UTC)
    audit_write(
        session,
        actor,
        "monitoring_run_failed",
        object_type="monitoring_run",
        object_id=run.id,
        pack=run.pack_ref,
        as_of=run.as_of_month.isoformat(),
        error=run.error,
    )
    return run


def do_record_run(
    session: Session,
    actor: Actor,
    *,
    run_id: int,
    token: str,
    pack: Pack,
    org_id: int | None,
    result: RunResult,
    evaluated: pa.Array,
) -> RunOutcome:
    """Write one pack's run: its flags (carried over), summaries, ``finished`` record and audit
    event. ``evaluated``: the business ids the run covered (a flag of a business outside them
    is left as it is)."""
    _require_system(actor)
    run = session.get(MonitoringRun, run_id)
    if run is None or run.token != token or run.status != RunStatus.RUNNING:
        raise ValueError(f"monitoring run {run_id} is not a running run of this job")
    opened, closed, open_count = _store_flags(session, result, pack, org_id, run_id, evaluated)
    _store_summary(session, result, pack, run_id)
    run.open_flags = open_count
    run.status = RunStatus.FINISHED
    run.finished_at = datetime.now(UTC)
    audit_write(
        session,
        actor,
        "monitoring_run",
        object_type="monitoring_run",
        object_id=run_id,
        pack=pack.ref,
        as_of=result.as_of.isoformat(),
        opened=opened,
        closed=closed,
    )
    return RunOutcome(opened, closed, open_count)


def _evidence_json(value: Any) -> str:
    """The engine gives evidence as a JSON string (or a struct); store canonical JSON text."""
    for _ in range(3):  # DuckDB JSON values may arrive as JSON text, possibly quoted once more
        if not isinstance(value, str):
            break
        value = json.loads(value)
    return json.dumps(value or {}, ensure_ascii=False, sort_keys=True, default=str)


def _store_flags(
    s: Session, result: RunResult, pack: Pack, org_id: int | None, run_id: int, evaluated: pa.Array
) -> tuple[int, int, int]:
    ref = pack.ref
    now = datetime.now(UTC)
    prev_rows = s.execute(select(Flag).where(Flag.pack_ref == ref)).scalars().all()
    existing = {(f.business_id, f.rule_id, f.opened_month): f for f in prev_rows}
    previous = pa.table(
        {
            "business_id": pa.array([f.business_id for f in prev_rows], pa.int64()),
            "rule_id": pa.array([f.rule_id for f in prev_rows], pa.string()),
            "opened_month": pa.array([f.opened_month for f in prev_rows], pa.date32()),
            "state": pa.array([FlagState(f.state).value for f in prev_rows], pa.string()),
            "state_reason": pa.array([f.state_reason for f in prev_rows], pa.string()),
            "is_open": pa.array([bool(f.is_open) for f in prev_rows], pa.bool_()),
        }
    )
    merged = carry_over(previous, result.episodes, evaluated, result.as_of).to_pylist()
    opened = closed = 0
    # closings first, flushed before any opening: the unique index allows one open flag per
    # business × pack × rule, and one flush may order its statements otherwise
    merged.sort(key=lambda e: bool(e["is_open"]))
    flushed = False
    # flags whose episode closed, vanished or reopened: every organisation's response moves too
    closed_ids: list[int] = []
    gone_ids: list[int] = []
    reopened_ids: list[int] = []
    for e in merged:
        if e["is_open"] and not flushed:
            s.flush()
            flushed = True
        key = (e["business_id"], e["rule_id"], e["opened_month"])
        f = existing.get(key)
        if e["vanished"]:  # its episode is gone from the corrected history: close it
            assert f is not None
            f.is_open = False
            f.closed_month = max(result.as_of, f.opened_month)
            f.state = FlagState(e["state"])
            f.run_id = run_id
            f.updated_at = now
            closed += 1
            gone_ids.append(f.id)
            continue
        if e.get("pack") is None:  # a stored open flag of a business outside this run
            continue
        state = FlagState(e["state"])
        fields = {
            "severity": e["severity"],
            "category": e["category"],
            "closed_month": e["closed_month"],
            "is_open": bool(e["is_open"]),
            "last_seen_month": e["closed_month"] or result.as_of,
            "evidence_opened": _evidence_json(e["evidence_opened"]),
            "evidence_latest": _evidence_json(e["evidence_latest"]),
        }
        if f is None:
            s.add(
                Flag(
                    business_id=e["business_id"],
                    org_id=org_id,
                    pack_ref=ref,
                    rule_id=e["rule_id"],
                    opened_month=e["opened_month"],
                    state=state,
                    state_reason=e["state_reason"],
                    run_id=run_id,
                    first_run_id=run_id,
                    updated_at=now,
                    **fields,
                )
            )
            opened += 1
        else:
            changed = any(getattr(f, k) != v for k, v in fields.items()) or f.state != state
            if changed:
                if f.is_open and not fields["is_open"]:
                    closed += 1
                    closed_ids.append(f.id)
                elif not f.is_open and fields["is_open"]:
                    reopened_ids.append(f.id)
                for k, v in fields.items():
                    setattr(f, k, v)
                f.state = state
                f.run_id = run_id
                f.updated_at = now
    move_responses_for_run(
        s, closed=closed_ids, gone=gone_ids, reopened=reopened_ids, run_id=run_id
    )
    open_count = sum(1 for e in merged if e.get("is_open") and e.get("pack") is not None)
    return opened, closed, open_count


def _store_summary(s: Session, result: RunResult, pack: Pack, run_id: int) -> None:
    """Replace the pack's summaries (priority for the triage queue) with this run's."""
    ind = {
        r["business_id"]: r
        for r in result.indicators.select(
            [
                c
                for c in ("business_id", "locaben_rating", "locaben_total")
                if c in result.indicators.column_names
            ]
        ).to_pylist()
    }
    rows = []
    for r in result.summary.to_pylist():
        i = ind.get(r["business_id"], {})
        rows.append(
            {
                "business_id": r["business_id"],
                "pack_ref": pack.ref,
                "as_of_month": result.as_of,
                "open_flags": r["open_flags"],
                "open_critical": r.get("open_critical", 0),
                "open_high": r.get("open_high", 0),
                "open_medium": r.get("open_medium", 0),
                "open_low": r.get("open_low", 0),
                "priority": float(r["priority"] or 0),
                "exposure_yen": int(r["exposure_yen"] or 0),
                "guaranteed_yen": int(r["guaranteed_yen"] or 0),
                "locaben_rating": i.get("locaben_rating"),
                "locaben_total": i.get("locaben_total"),
                "run_id": run_id,
            }
        )
    s.execute(delete(MonitoringSummary).where(MonitoringSummary.pack_ref == pack.ref))
    if rows:
        s.execute(insert(MonitoringSummary), rows)
