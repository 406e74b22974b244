"""The risk model's administration, written: an organisation's weighting of the score in its
triage priority, and the training jobs an administrator requests from a page or the API (each
change audited; who may: ``kizashi.access.risk_admin``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.access.risk_admin import (
    active_job,
    is_stale,
    require_model_admin,
    require_weight_admin,
)
from kizashi.store.audit import audit_write
from kizashi.store.risk_admin_models import RiskModelJob, RiskWeight

CALIBRATIONS = ("auto", "isotonic", "platt")
MAX_TEST_MONTHS = 36
_MONTH = re.compile(r"^(19|20)\d\d-(0[1-9]|1[0-2])$")


class TrainingBusy(Exception):
    """A training job is already queued or running (one at a time: it uses the whole machine)."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"training job {job_id} is still queued or running")
        self.job_id = job_id


def do_set_risk_weight(
    session: Session, actor: Actor, *, score_pct: int, org_id: int | None = None
) -> int | None:
    """Set the share (0–100 %) of the risk model's score in the triage priority of the
    administrator's organisation (the operator: of ``org_id``). Returns the previous share
    (None: none was set)."""
    require_weight_admin(actor)
    if isinstance(score_pct, bool) or not 0 <= score_pct <= 100:
        raise ValueError("score_pct must be between 0 and 100")
    target = org_id if actor.is_system else actor.org_id
    if target is None:
        raise ValueError("no organisation")
    row = session.get(RiskWeight, target)
    old = row.score_pct if row else None
    if row is None:
        row = RiskWeight(org_id=target)
        session.add(row)
    row.score_pct = score_pct
    row.updated_at = datetime.now(UTC)
    row.updated_by_user_id = actor.user_id
    session.flush()
    audit_write(
        session,
        actor,
        "set_risk_weight",
        object_type="organisation",
        object_id=target,
        old=old,
        new=score_pct,
    )
    return old


def do_reset_risk_weight(session: Session, actor: Actor, *, org_id: int | None = None) -> None:
    """End the organisation's own weighting: the deployment's default applies again."""
    require_weight_admin(actor)
    target = org_id if actor.is_system else actor.org_id
    row = session.get(RiskWeight, target) if target is not None else None
    if row is None:
        return
    old = row.score_pct
    session.delete(row)
    session.flush()
    audit_write(
        session,
        actor,
        "reset_risk_weight",
        object_type="organisation",
        object_id=target,
        old=old,
    )


def check_options(cutoff: str | None, test_months: int, calibration: str) -> None:
    if cutoff is not None and not _MONTH.match(cutoff):
        raise ValueError("cutoff must be a month YYYY-MM")
    if isinstance(test_months, bool) or not 1 <= test_months <= MAX_TEST_MONTHS:
        raise ValueError(f"test_months must be between 1 and {MAX_TEST_MONTHS}")
    if calibration not in CALIBRATIONS:
        raise ValueError("calibration must be auto, isotonic or platt")


def do_request_training(
    session: Session,
    actor: Actor,
    *,
    cutoff: str | None = None,
    test_months: int = 6,
    calibration: str = "auto",
) -> RiskModelJob:
    """Record a training job (``queued``); the caller starts the process that runs it. A job
    whose process died is marked failed first; another job still queued or running: TrainingBusy."""
    require_model_admin(actor, "train_risk_model")
    check_options(cutoff, test_months, calibration)
    now = datetime.now(UTC)
    current = active_job(session)
    if current is not None and is_stale(current, now):
        _fail(session, actor, current, "学習の処理が終了していました(中断)", now)
        current = active_job(session)
    if current is not None:
        raise TrainingBusy(current.id)
    job = RiskModelJob(
        org_id=actor.org_id,
        requested_by_user_id=actor.user_id,
        status="queued",
        cutoff=cutoff,
        test_months=test_months,
        calibration=calibration,
        requested_at=now,
    )
    session.add(job)
    session.flush()
    audit_write(
        session,
        actor,
        "risk_model_training_requested",
        object_type="risk_model_job",
        object_id=job.id,
        cutoff=cutoff,
        test_months=test_months,
        calibration=calibration,
    )
    return job


def do_claim_training_job(
    session: Session, actor: Actor, *, job_id: int, host: str, pid: int
) -> bool:
    """The process that runs the job takes it (``queued`` → ``running``); False when it was
    not queued any more (another process took it, or it was given up)."""
    taken = session.execute(
        update(RiskModelJob)
        .where(RiskModelJob.id == job_id, RiskModelJob.status == "queued")
        .values(status="running", started_at=datetime.now(UTC), host=host, pid=pid)
    ).rowcount  # type: ignore[attr-defined]
    if taken != 1:
        return False
    audit_write(
        session,
        actor,
        "risk_model_training_started",
        object_type="risk_model_job",
        object_id=job_id,
        host=host,
        pid=pid,
    )
    return True


def do_finish_training_job(
    session: Session,
    actor: Actor,
    *,
    job_id: int,
    version: str | None = None,
    error: str | None = None,
) -> None:
    """Record the job's end: ``finished`` with the version it saved, or ``failed`` with why."""
    job = session.get(RiskModelJob, job_id)
    if job is None:
        return
    now = datetime.now(UTC)
    if version is None:
        _fail(session, actor, job, error or "学習に失敗しました", now)
        return
    job.status = "finished"
    job.version = version
    job.finished_at = now
    session.flush()


def do_fail_stale_jobs(session: Session, actor: Actor) -> int:
    """Mark the jobs whose process died as failed; how many."""
    now = datetime.now(UTC)
    n = 0
    while (job := active_job(session)) is not None and is_stale(job, now):
        _fail(session, actor, job, "学習の処理が終了していました(中断)", now)
        n += 1
    return n


def _fail(session: Session, actor: Actor, job: RiskModelJob, error: str, now: datetime) -> None:
    job.status = "failed"
    job.error = error[:2000]
    job.finished_at = now
    session.flush()
    audit_write(
        session,
        actor,
        "risk_model_training_failed",
        object_type="risk_model_job",
        object_id=job.id,
        error=job.error,
    )
