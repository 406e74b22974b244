"""The risk model's pages: the administrator's versions page (``/admin/models``) and the
business page's risk section (``risk_section``, hooked into ``pages.businesses``).

Only the administrator of a bank or 保証協会 sees ``/admin/models`` (anyone else: the 404 page):
its organisation's saved versions and the deployment's fallback ones (ADR 0010; another
organisation's are missing to it) with their test measures, the chosen version's evaluation (time-ordered
hold-out, beside the logistic baseline and the rules) and model card, a button that makes one of its
own versions its organisation's active one (audited), a button that ends it (the deployment's
model applies again), and a form that trains a new version in the background with the
jobs' status (``pages.risk_admin``). Every page says it: the score ranks dialogue; it never
decides credit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kizashi.access.org_models import active_model, visible_versions
from kizashi.access.read_log import ReadLog
from kizashi.access.risk import RiskView, read_risk
from kizashi.actions.risk_models import do_activate_risk_model, do_deactivate_risk_model
from kizashi.domain.vocabulary import Purpose, Role
from kizashi.model import registry
from kizashi.store.errors import NotFound

from ..api.model import require_model_admin
from ..auth import CurrentUser
from ..deps import CurrentUserDep, SettingsDep, StoreDep
from ..state import render
from .risk_admin import training_context

router = APIRouter(include_in_schema=False)


@router.get("/admin/models")
def models_page(
    request: Request, user: CurrentUserDep, store: StoreDep, settings: SettingsDep
) -> Response:
    require_model_admin(user, store)
    data_dir: Path = settings.data_dir
    with store.session() as s:
        versions = visible_versions(s, user.actor, data_dir)
        current = active_model(s, data_dir, user.actor.org_id)
    own_active = current is not None and current.owner_org_id is not None
    chosen = request.query_params.get("version") or (current.version if current else None)
    lang = "ja" if getattr(user, "locale", "ja") == "ja" else "en"
    card = None
    if chosen not in {v["version"] for v in versions}:
        chosen = None  # missing, or another organisation's: nothing shown about it
    if chosen:
        try:
            card = registry.card_text(data_dir, chosen, lang)
        except registry.ModelNotFound:
            chosen, card = None, None
    rows = []
    for v in versions:
        m = (v["meta"].get("metrics") or {}).get("model") or {}
        rows.append(
            {
                "version": v["version"],
                "active": v["active"],
                "own": v["owner_org_id"] is not None,
                "cutoff": v["meta"].get("cutoff"),
                "created_at": v["meta"].get("created_at"),
                "auc": m.get("auc"),
                "brier": m.get("brier"),
                "recall_top10": m.get("recall_top10"),
            }
        )
    return render(
        request,
        "models.html",
        {
            "versions": rows,
            "chosen": chosen,
            "card": card,
            "activated": request.query_params.get("activated"),
            "deactivated": request.query_params.get("deactivated"),
            "own_active": own_active,
            "job_asked": request.query_params.get("job"),
            "job_busy": request.query_params.get("busy"),
            **training_context(store, user, data_dir, chosen, current.version if current else None),
        },
    )


@router.post("/admin/models/{version}/activate")
def activate(
    version: str, user: CurrentUserDep, store: StoreDep, settings: SettingsDep
) -> Response:
    require_model_admin(user, store)
    data_dir: Path = settings.data_dir
    try:
        with store.session() as s:
            do_activate_risk_model(s, user.actor, data_dir=data_dir, version=version)
    except registry.ModelNotFound:
        raise NotFound(f"model {version}") from None
    return RedirectResponse(f"/admin/models?activated={version}&version={version}", status_code=303)


@router.post("/admin/models/deactivate")
def deactivate(user: CurrentUserDep, store: StoreDep) -> Response:
    """End the organisation's own active version: the deployment's model applies again."""
    require_model_admin(user, store)
    with store.session() as s:
        do_deactivate_risk_model(s, user.actor)
    return RedirectResponse("/admin/models?deactivated=1", status_code=303)


def risk_section(
    s: Session,
    log: ReadLog,
    user: CurrentUser,
    data_dir: Path,
    business_id: int,
    purpose: Purpose,
    default_score_pct: int | None = None,
) -> dict[str, Any]:
    """The business page's risk context: ``risk`` (a ``RiskView`` or None) and whether to show
    the section (institutions only: the owner's page talks about figures, not a probability)."""
    if user.role == Role.OWNER:
        return {"risk_shown": False, "risk": None, "pct": pct}
    view: RiskView | None = log.section(
        lambda: read_risk(
            s, user.actor, data_dir, business_id, purpose, default_score_pct=default_score_pct
        )
    )
    return {"risk_shown": True, "risk": view, "pct": pct}


def pct(x: float | None) -> str:
    """A probability as the page shows it (below 0.1 %: "< 0.1%", never a flat 0)."""
    if x is None:
        return "—"
    return "< 0.1%" if x < 0.001 else f"{x:.1%}"
