"""The risk model under ``/api/v1``: a business's score with its reasons, and the model versions.

``GET /businesses/{id}/risk``: the newest score of the business by the model the reader's
organisation scores with (its own active version, else the deployment's: ADR 0010; category
``financials``, read and audited through ``kizashi.access``), its peer median, the change from
the previous month and the reasons in the user's language. The score ranks dialogue; it never
decides credit. ``/admin/models``: an institution's administrator lists its organisation's
versions and the deployment's, reads one's card, activates one of its own for its organisation
and ends that (audited); another organisation's versions are missing to it; anyone else gets
404. Training runs at the command line
(``kizashi model train``: minutes, not a request)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from starlette.convertors import StringConvertor, register_url_convertor

from kizashi.access.org_models import active_model, read_model_doc, visible_versions
from kizashi.access.policy import audited_refusal
from kizashi.access.risk import read_risk
from kizashi.access.risk_admin import default_pct, may_administer_models
from kizashi.actions.risk_models import do_activate_risk_model, do_deactivate_risk_model
from kizashi.domain.vocabulary import Purpose
from kizashi.model import registry
from kizashi.store.db import Store
from kizashi.store.errors import NotFound

from ..auth import CurrentUser
from ..deps import ApiPurpose, CurrentUserDep, SettingsDep, StoreDep, UnitOfWork
from .contract import READ, WRITE, ApiRoute, BusinessId, errors

router = APIRouter(prefix="/api/v1", tags=["risk model"], route_class=ApiRoute)

NOTE = {
    "ja": "このスコアは対話の優先順位づけに使うもので、与信の判断には使いません。",
    "en": "The score ranks dialogue; it never decides credit.",
}
Version = Path(pattern=r"^v\d{8}-\d{6}(-\d+)?$", max_length=40, description="A model version")


class _VersionConvertor(StringConvertor):
    """``{version:model_version}`` matches only what a version looks like, so the path
    ``/admin/models/active`` (DELETE only) is not taken for the version ``active`` of the GET
    beside it: a GET there is 405 with ``Allow: DELETE``, as the schema says, not a 422."""

    regex = r"v[0-9]{8}-[0-9]{6}(?:-[0-9]+)?"


register_url_convertor("model_version", _VersionConvertor())


class ReasonOut(BaseModel):
    feature: str = Field(description="The indicator (or flag count) the reason is about")
    contribution: float = Field(description="SHAP value in log-odds; > 0 raises the probability")
    value: float | None
    peer_percentile: float | None = Field(description="Share of peers below (0–100)")
    text: str = Field(description="The reason as a sentence in the requested language")


class RiskOut(BaseModel):
    business_id: int
    scored: bool = Field(description="False: no active model, or no score of it yet")
    model_version: str | None = None
    model_org_id: int | None = Field(
        default=None,
        description="The organisation whose model scored it (the reader's); null: the "
        "deployment's model (the fallback for organisations without their own)",
    )
    as_of: str | None = Field(default=None, description="The last day of the scored month")
    probability: float | None = Field(
        default=None, description="Probability of a serious credit event within 12 months"
    )
    peer_median: float | None = None
    change: float | None = Field(default=None, description="Change from the previous scored month")
    triage: float | None = Field(
        default=None, description="Combined priority 0–100 (rules and score)"
    )
    reasons: list[ReasonOut] = []
    note: str


@router.get(
    "/businesses/{business_id}/risk",
    response_model=RiskOut,
    summary="A business's risk score (12-month probability) with its reasons",
    responses=errors(*READ, 404, s404="No such business, or no consent for financials"),
)
def get_risk(
    business_id: BusinessId,
    user: CurrentUserDep,
    s: UnitOfWork,
    settings: SettingsDep,
    purpose: ApiPurpose = Purpose.MONITORING,
    lang: str = Query("ja", pattern="^(ja|en)$", description="Language of the reasons"),
) -> RiskOut:
    view = read_risk(
        s,
        user.actor,
        settings.data_dir,
        business_id,
        purpose,
        default_score_pct=default_pct(settings.risk_weight),
    )
    if view is None:
        return RiskOut(business_id=business_id, scored=False, note=NOTE[lang])
    return RiskOut(
        business_id=business_id,
        scored=True,
        model_version=view.version,
        model_org_id=view.model_org_id,
        as_of=view.as_of.isoformat(),
        probability=view.probability,
        peer_median=view.peer_median,
        change=view.change,
        triage=view.triage,
        reasons=[
            ReasonOut(
                feature=r.feature,
                contribution=r.contribution,
                value=r.value,
                peer_percentile=r.percentile,
                text=r.ja if lang == "ja" else r.en,
            )
            for r in view.reasons
        ],
        note=NOTE[lang],
    )


def require_model_admin(user: CurrentUser, store: Store | None = None) -> None:
    """The administrator of a bank or 保証協会 (anyone else: the same 404 as a missing version, the
    refusal audited: in ``store``'s own unit of work, or None: in the caller's)."""
    if may_administer_models(user.actor):
        return
    refusal = audited_refusal(
        user.actor,
        "administer_models",
        "risk_model",
        "not the administrator of a bank or guarantor",
    )
    if store is None:
        raise refusal
    with store.session():
        raise refusal


class ModelOut(BaseModel):
    version: str
    active: bool = Field(description="The version the reader's organisation scores with")
    owner_org_id: int | None = Field(
        description="The organisation that trained it; null: the deployment's (fallback) model"
    )
    meta: dict[str, Any] = Field(description="Data period, counts, measures (the card's content)")


class ModelDetail(ModelOut):
    card: str = Field(description="The model card (Markdown) in the requested language")


ADMIN_ERRORS = errors(*READ, 404, s404="No such version, or you are not an administrator")


@router.get(
    "/admin/models",
    response_model=list[ModelOut],
    summary="Saved risk model versions, newest first",
    responses=ADMIN_ERRORS,
)
def list_models(user: CurrentUserDep, settings: SettingsDep, s: UnitOfWork) -> list[ModelOut]:
    require_model_admin(user)
    return [ModelOut(**r) for r in visible_versions(s, user.actor, settings.data_dir)]


@router.get(
    "/admin/models/{version:model_version}",
    response_model=ModelDetail,
    summary="One version with its model card",
    responses=ADMIN_ERRORS,
)
def get_model(
    user: CurrentUserDep,
    settings: SettingsDep,
    store: StoreDep,
    version: str = Version,
    lang: str = Query("ja", pattern="^(ja|en)$"),
) -> ModelDetail:
    require_model_admin(user, store)
    try:
        with store.session() as s:  # another organisation's version: the audited 404
            doc = read_model_doc(user.actor, settings.data_dir, version)
            current = active_model(s, settings.data_dir, user.actor.org_id)
        card = registry.card_text(settings.data_dir, version, lang)
    except registry.ModelNotFound:
        raise NotFound(f"model {version}") from None
    return ModelDetail(
        version=version,
        active=current is not None and current.version == version,
        owner_org_id=registry.owner_of(doc),
        meta=doc.get("meta", {}),
        card=card,
    )


class ActivatedOut(BaseModel):
    version: str
    previous: str | None


@router.post(
    "/admin/models/{version:model_version}/activate",
    response_model=ActivatedOut,
    summary="Make one of the organisation's versions the one its later monitoring runs score "
    "with (audited)",
    responses=errors(
        *WRITE,
        404,
        s404="No such version, another organisation's or the deployment's, or you are not an "
        "administrator",
    ),
)
def activate_model(
    user: CurrentUserDep, s: UnitOfWork, settings: SettingsDep, version: str = Version
) -> ActivatedOut:
    require_model_admin(user)
    try:
        before = do_activate_risk_model(s, user.actor, data_dir=settings.data_dir, version=version)
    except registry.ModelNotFound:
        raise NotFound(f"model {version}") from None
    return ActivatedOut(version=version, previous=before)


class DeactivatedOut(BaseModel):
    previous: str | None = Field(description="The organisation's own version that was active")
    fallback: str | None = Field(description="The deployment's version it now scores with")


@router.delete(
    "/admin/models/active",
    response_model=DeactivatedOut,
    summary="Stop scoring with the organisation's own version: the deployment's model applies "
    "again (audited)",
    responses=errors(*WRITE, 404, s404="You are not an administrator"),
)
def deactivate_model(user: CurrentUserDep, s: UnitOfWork, settings: SettingsDep) -> DeactivatedOut:
    require_model_admin(user)
    before = do_deactivate_risk_model(s, user.actor)
    return DeactivatedOut(previous=before, fallback=registry.active_version(settings.data_dir))
