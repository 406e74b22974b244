"""The risk model's administration: who may train, evaluate and activate versions, an
organisation's weighting of the score in its triage priority, and the training jobs.

Training, evaluating and activating are for the administrator of a bank or a 信用保証協会 (the
institutions that hold credit events to learn from), or the operator at the command line;
anyone else gets the audited refusal (404). An organisation's weighting is read by its own
members (the triage queue and the risk section use it) and changed by its administrator. No
business data here: versions, measures, jobs and a number per organisation.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.domain.triage import DEFAULT_SCORE_PCT
from kizashi.domain.vocabulary import OrgKind, Role
from kizashi.store.risk_admin_models import RiskModelJob, RiskWeight

from .actor import Actor
from .policy import audited_refusal

MODEL_ORG_KINDS = (OrgKind.BANK, OrgKind.GUARANTOR)
ACTIVE = ("queued", "running")


def may_administer_models(actor: Actor) -> bool:
    return actor.is_system or (actor.role == Role.ADMIN and actor.org_kind in MODEL_ORG_KINDS)


def require_model_admin(actor: Actor, action: str = "administer_models") -> None:
    """The administrator of a bank or 保証協会 (or the operator); anyone else: the audited 404."""
    if not may_administer_models(actor):
        raise audited_refusal(
            actor, action, "risk_model", "not the administrator of a bank or guarantor"
        )


def require_weight_admin(actor: Actor) -> None:
    """An institution's administrator sets its own organisation's weighting."""
    if actor.is_system:
        return
    if actor.role != Role.ADMIN or actor.org_kind in (None, OrgKind.BUSINESS):
        raise audited_refusal(
            actor, "set_risk_weight", "risk_weight", "not an institution's administrator"
        )


@dataclass(frozen=True)
class WeightView:
    org_id: int | None
    score_pct: int  # the score's share of the triage priority, %
    default: bool  # True: the organisation set none (the deployment's default applies)
    updated_at: datetime | None = None
    updated_by_user_id: int | None = None


def default_pct(risk_weight: float | None) -> int:
    """The deployment's ``KIZASHI_RISK_WEIGHT`` (0–1) as a percentage (None: 50)."""
    return DEFAULT_SCORE_PCT if risk_weight is None else round(100 * risk_weight)


def read_risk_weight(
    session: Session, org_id: int | None, default: int = DEFAULT_SCORE_PCT
) -> WeightView:
    """The organisation's weighting (its own row, else ``default``). Not business data: the
    caller is a member of ``org_id`` (its own queue, its own administration page)."""
    row = session.get(RiskWeight, org_id) if org_id is not None else None
    if row is None:
        return WeightView(org_id, default, True)
    return WeightView(org_id, row.score_pct, False, row.updated_at, row.updated_by_user_id)


def process_alive(host: str | None, pid: int | None) -> bool | None:
    """Whether the job's process still runs (None: another host, cannot tell)."""
    if pid is None:
        return False
    if host and host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_jobs(session: Session, actor: Actor, limit: int = 20) -> list[RiskModelJob]:
    """The newest training jobs of the administrator's organisation (the operator: every
    organisation's)."""
    require_model_admin(actor)
    q = select(RiskModelJob).order_by(RiskModelJob.id.desc()).limit(limit)
    if not actor.is_system:
        q = q.where(RiskModelJob.org_id == actor.org_id)
    return list(session.execute(q).scalars().all())


def read_job(session: Session, actor: Actor, job_id: int) -> RiskModelJob | None:
    """One job of the administrator's organisation (another organisation's: None, as missing)."""
    require_model_admin(actor)
    job = session.get(RiskModelJob, job_id)
    if job is not None and not actor.is_system and job.org_id != actor.org_id:
        return None
    return job


def active_job(session: Session) -> RiskModelJob | None:
    """The queued or running job of any organisation, if any (at most one runs at a time on
    the machine, whoever asked: it uses all of it)."""
    return session.execute(
        select(RiskModelJob)
        .where(RiskModelJob.status.in_(ACTIVE))
        .order_by(RiskModelJob.id)
        .limit(1)
    ).scalar_one_or_none()


def is_stale(job: RiskModelJob, now: datetime | None = None, queued_grace_s: int = 120) -> bool:
    """A running job whose process died, or a queued one no process claimed in time."""
    now = now or datetime.now(UTC)
    if job.status == "running":
        return process_alive(job.host, job.pid) is False
    if job.status == "queued":
        at = job.requested_at if job.requested_at.tzinfo else job.requested_at.replace(tzinfo=UTC)
        return (now - at).total_seconds() > queued_grace_s
    return False
