"""The risk model's administration pages: training in the background and a version's
evaluation on the models page (``training_context``, shown by ``pages.model``), and the
organisation's weighting of the score in its triage priority (``/admin/risk-weight``).

``POST /admin/model-jobs``: the administrator of a bank or 保証協会 asks for a training run; it
runs in its own process (``jobs.risk_model_jobs``) and the models page shows its status, then the
new version with its measures and model card; activating it stays a separate, audited step.
``/admin/risk-weight``: an institution's administrator sees and changes (or resets to the
deployment default) the share of the score in the organisation's triage priority (audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizashi.access.risk_admin import (
    default_pct,
    read_jobs,
    read_risk_weight,
    require_weight_admin,
)
from kizashi.actions.risk_admin import (
    MAX_TEST_MONTHS,
    TrainingBusy,
    do_fail_stale_jobs,
    do_request_training,
    do_reset_risk_weight,
    do_set_risk_weight,
)
from kizashi.model import registry
from kizashi.store.db import Store

from ..api.risk_admin import EvaluationOut, evaluation, launch
from ..auth import CurrentUser
from ..deps import CurrentUserDep, SettingsDep, StoreDep
from ..state import render

router = APIRouter(include_in_schema=False)

MEASURES = ("model", "logistic", "rules", "early_warning")


def training_context(
    store: Store, user: CurrentUser, data_dir: Path, chosen: str | None, active: str | None = None
) -> dict[str, Any]:
    """The models page's jobs, its train form's state and the chosen version's evaluation."""
    with store.session() as s:
        do_fail_stale_jobs(s, user.actor)
        jobs = read_jobs(s, user.actor, limit=10)
        rows = [
            {
                "id": j.id,
                "status": j.status,
                "requested_at": j.requested_at,
                "finished_at": j.finished_at,
                "version": j.version,
                "error": j.error,
                "cutoff": j.cutoff,
                "test_months": j.test_months,
            }
            for j in jobs
        ]
    ev: EvaluationOut | None = None
    if chosen:
        try:
            ev = evaluation(registry.read_doc(data_dir, chosen), chosen, active)
        except registry.ModelNotFound:
            ev = None
    return {
        "jobs": rows,
        "busy": any(j["status"] in ("queued", "running") for j in rows),
        "evaluation": ev,
        "measure_keys": [k for k in MEASURES if ev is not None and k in ev.measures],
        "max_test_months": MAX_TEST_MONTHS,
    }


@router.post("/admin/model-jobs")
def request_training(
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    cutoff: str = Form("", pattern=r"^$|^(19|20)\d\d-(0[1-9]|1[0-2])$"),
    test_months: int = Form(6, ge=1, le=MAX_TEST_MONTHS),
    calibration: str = Form("auto", pattern="^(auto|isotonic|platt)$"),
) -> Response:
    try:
        with store.session() as s:
            job = do_request_training(
                s,
                user.actor,
                cutoff=cutoff or None,
                test_months=test_months,
                calibration=calibration,
            )
            job_id = job.id
    except TrainingBusy as exc:
        return RedirectResponse(f"/admin/models?busy={exc.job_id}#jobs", status_code=303)
    launch(store, settings, user.actor, job_id)
    return RedirectResponse(f"/admin/models?job={job_id}#jobs", status_code=303)


@router.get("/admin/risk-weight")
def weight_page(
    request: Request, user: CurrentUserDep, store: StoreDep, settings: SettingsDep
) -> Response:
    default = default_pct(settings.risk_weight)
    with store.session() as s:
        require_weight_admin(user.actor)
        view = read_risk_weight(s, user.actor.org_id, default)
    return render(
        request,
        "risk_weight.html",
        {"weight": view, "default_pct": default, "saved": request.query_params.get("saved")},
    )


@router.post("/admin/risk-weight")
def save_weight(
    user: CurrentUserDep,
    store: StoreDep,
    score_pct: int | None = Form(None, ge=0, le=100),
    reset: str = Form("", max_length=1),
) -> Response:
    with store.session() as s:
        if reset:
            do_reset_risk_weight(s, user.actor)
        elif score_pct is not None:
            do_set_risk_weight(s, user.actor, score_pct=score_pct)
        else:
            require_weight_admin(user.actor)
    return RedirectResponse("/admin/risk-weight?saved=1", status_code=303)
