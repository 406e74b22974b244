"""The risk model's administration under ``/api/v1``: training jobs, a version's evaluation and
the organisation's weighting of the score in its triage priority.

``POST /admin/model-jobs``: the administrator of a bank or 保証協会 asks for a training run on the
store (202: the job, ``queued``; it runs in its own process, see ``jobs.risk_model_jobs``; 409
while another job is queued or running). ``GET /admin/model-jobs[/{id}]``: their status, the
version a finished job saved, the reason a failed one gives. ``GET /admin/models/{version}/
evaluation``: the measures on the time-ordered hold-out (AUC, PR-AUC, recall in the top 5 % and
10 %, Brier, calibration) beside the logistic baseline and the rules. ``GET|PUT|DELETE
/admin/risk-weight``: the share of the score in the caller's organisation's triage priority
(an institution's administrator). Anyone else: the audited 404."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, Field

from kizashi.access.org_models import active_model, read_model_doc
from kizashi.access.risk_admin import (
    default_pct,
    read_job,
    read_jobs,
    read_risk_weight,
    require_model_admin,
    require_weight_admin,
)
from kizashi.actions.risk_admin import (
    MAX_TEST_MONTHS,
    TrainingBusy,
    do_fail_stale_jobs,
    do_finish_training_job,
    do_request_training,
    do_reset_risk_weight,
    do_set_risk_weight,
)
from kizashi.jobs.risk_model_jobs import start_training
from kizashi.model import registry
from kizashi.store.errors import NotFound
from kizashi.store.risk_admin_models import RiskModelJob

from ..deps import CurrentUserDep, SettingsDep, StoreDep, UnitOfWork
from .contract import MAX_ID, READ, WRITE, ApiRoute, errors, json_integer
from .model import Version

router = APIRouter(prefix="/api/v1", tags=["risk model"], route_class=ApiRoute)

ADMIN_404 = "Not the administrator of a bank or guarantor (or no such job or version)"


class JobOut(BaseModel):
    id: int
    status: Literal["queued", "running", "finished", "failed"]
    cutoff: str | None = Field(description="Cut-off month asked for (null: the default)")
    test_months: int
    calibration: str
    version: str | None = Field(description="The version the job saved (finished jobs)")
    error: str | None = Field(description="Why it failed (Japanese)")
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def job_out(j: RiskModelJob) -> JobOut:
    return JobOut(
        id=j.id,
        status=j.status,  # type: ignore[arg-type]
        cutoff=j.cutoff,
        test_months=j.test_months,
        calibration=j.calibration,
        version=j.version,
        error=j.error,
        requested_at=j.requested_at,
        started_at=j.started_at,
        finished_at=j.finished_at,
    )


class TrainIn(BaseModel):
    cutoff: str | None = Field(
        default=None,
        pattern=r"^(19|20)\d\d-(0[1-9]|1[0-2])$",
        description="Cut-off month YYYY-MM: train before it, test after (default: leaves "
        "test_months of labelled months for the test)",
    )
    test_months: Annotated[int, Field(ge=1, le=MAX_TEST_MONTHS), BeforeValidator(json_integer)] = 6
    calibration: Literal["auto", "isotonic", "platt"] = "auto"


@router.post(
    "/admin/model-jobs",
    response_model=JobOut,
    status_code=202,
    summary="Train a new risk model version on the store, in the background (audited)",
    responses=errors(
        *WRITE, 404, 409, s404=ADMIN_404, s409="Another training job is queued or running"
    ),
)
def post_training(
    body: TrainIn, user: CurrentUserDep, store: StoreDep, settings: SettingsDep
) -> JSONResponse:
    try:
        with store.session() as s:
            job = do_request_training(
                s,
                user.actor,
                cutoff=body.cutoff,
                test_months=body.test_months,
                calibration=body.calibration,
            )
            out = job_out(job)
    except TrainingBusy as exc:
        raise HTTPException(409, f"training job {exc.job_id} is queued or running") from None
    launch(store, settings, user.actor, out.id)
    return JSONResponse(out.model_dump(mode="json"), status_code=202)


def launch(store: Any, settings: Any, actor: Any, job_id: int) -> None:
    """Start the job's process (committed first, so the process finds it queued)."""
    try:
        start_training(settings, store, job_id)
    except OSError as exc:
        with store.session() as s:
            do_finish_training_job(
                s, actor, job_id=job_id, error=f"学習の処理を起動できませんでした({exc.errno})"
            )


@router.get(
    "/admin/model-jobs",
    response_model=list[JobOut],
    summary="The newest training jobs",
    responses=errors(*READ, 404, s404=ADMIN_404),
)
def list_jobs(user: CurrentUserDep, s: UnitOfWork) -> list[JobOut]:
    require_model_admin(user.actor)
    do_fail_stale_jobs(s, user.actor)
    return [job_out(j) for j in read_jobs(s, user.actor)]


@router.get(
    "/admin/model-jobs/{job_id}",
    response_model=JobOut,
    summary="One training job",
    responses=errors(*READ, 404, s404=ADMIN_404),
)
def get_job(
    user: CurrentUserDep,
    s: UnitOfWork,
    job_id: int = PathParam(ge=1, le=MAX_ID, description="The job's id"),
) -> JobOut:
    require_model_admin(user.actor)
    do_fail_stale_jobs(s, user.actor)
    job = read_job(s, user.actor, job_id)
    if job is None:
        raise NotFound(f"job {job_id}")
    return job_out(job)


class Measures(BaseModel):
    rows: int | None = None
    events: int | None = None
    auc: float | None = None
    pr_auc: float | None = None
    recall_top5: float | None = Field(default=None, description="Share of events in the top 5 %")
    recall_top10: float | None = None
    brier: float | None = None
    ece: float | None = Field(default=None, description="Expected calibration error")


class CalibrationBin(BaseModel):
    n: int
    predicted: float
    realised: float


class EvaluationOut(BaseModel):
    version: str
    active: bool
    cutoff: str | None
    train: dict[str, Any] = Field(description="Months, rows, events and businesses trained on")
    test: dict[str, Any] = Field(description="The later months held out (time-ordered)")
    calibration_method: str | None
    measures: dict[str, Measures] = Field(
        description="model (LightGBM, calibrated), logistic (baseline), rules (rules-only "
        "priority), early_warning (rows without credit flags or arrears)"
    )
    calibration: list[CalibrationBin] = Field(description="The model's reliability curve")


def _num(x: Any) -> Any:
    return None if isinstance(x, float) and not math.isfinite(x) else x


def evaluation(doc: dict[str, Any], version: str, active: str | None) -> EvaluationOut:
    """The version's evaluation (``doc``: its document, already allowed to the reader;
    ``active``: the version the reader's organisation scores with)."""
    meta = doc.get("meta", {})
    metrics = meta.get("metrics") or {}
    measures = {
        k: Measures(**{f: _num(v.get(f)) for f in Measures.model_fields})
        for k, v in metrics.items()
        if isinstance(v, dict)
    }
    curve = [
        CalibrationBin(n=int(c["n"]), predicted=c["predicted"], realised=c["realised"])
        for c in (metrics.get("model") or {}).get("calibration") or []
    ]
    return EvaluationOut(
        version=version,
        active=active == version,
        cutoff=meta.get("cutoff"),
        train=meta.get("train") or {},
        test=meta.get("test") or {},
        calibration_method=meta.get("calibration_method"),
        measures=measures,
        calibration=curve,
    )


@router.get(
    "/admin/models/{version:model_version}/evaluation",
    response_model=EvaluationOut,
    summary="A version's measures on its time-ordered hold-out, beside the baselines",
    responses=errors(*READ, 404, s404=ADMIN_404),
)
def get_evaluation(
    user: CurrentUserDep, store: StoreDep, settings: SettingsDep, version: str = Version
) -> EvaluationOut:
    try:
        with store.session() as s:  # another organisation's version: the audited 404
            doc = read_model_doc(user.actor, settings.data_dir, version)
            current = active_model(s, settings.data_dir, user.actor.org_id)
    except registry.ModelNotFound:
        raise NotFound(f"model {version}") from None
    return evaluation(doc, version, current.version if current else None)


class WeightOut(BaseModel):
    score_pct: int = Field(description="The risk model's share of the triage priority, %")
    rules_pct: int = Field(description="The rules' share, %")
    default: bool = Field(description="True: the organisation set none (the deployment default)")


class WeightIn(BaseModel):
    score_pct: Annotated[int, Field(ge=0, le=100), BeforeValidator(json_integer)]


def weight_out(s: Any, org_id: int | None, default: int) -> WeightOut:
    v = read_risk_weight(s, org_id, default)
    return WeightOut(score_pct=v.score_pct, rules_pct=100 - v.score_pct, default=v.default)


WEIGHT_404 = "Not an institution's administrator"


@router.get(
    "/admin/risk-weight",
    response_model=WeightOut,
    summary="The organisation's weighting of the risk score in its triage priority",
    responses=errors(*READ, 404, s404=WEIGHT_404),
)
def get_weight(user: CurrentUserDep, s: UnitOfWork, settings: SettingsDep) -> WeightOut:
    require_weight_admin(user.actor)
    return weight_out(s, user.actor.org_id, default_pct(settings.risk_weight))


@router.put(
    "/admin/risk-weight",
    response_model=WeightOut,
    summary="Change the organisation's weighting (0: rules only, 100: the score only; audited)",
    responses=errors(*WRITE, 404, s404=WEIGHT_404),
)
def put_weight(
    body: WeightIn, user: CurrentUserDep, s: UnitOfWork, settings: SettingsDep
) -> WeightOut:
    do_set_risk_weight(s, user.actor, score_pct=body.score_pct)
    return weight_out(s, user.actor.org_id, default_pct(settings.risk_weight))


@router.delete(
    "/admin/risk-weight",
    response_model=WeightOut,
    summary="End the organisation's own weighting: the deployment default applies (audited)",
    responses=errors(*WRITE, 404, s404=WEIGHT_404),
)
def delete_weight(user: CurrentUserDep, s: UnitOfWork, settings: SettingsDep) -> WeightOut:
    do_reset_risk_weight(s, user.actor)
    return weight_out(s, user.actor.org_id, default_pct(settings.risk_weight))
