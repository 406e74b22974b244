"""A business's plans (事業計画 etc.) and plan against actual in the JSON API.

* ``GET /api/v1/businesses/{id}/plans`` — its plans and their versions;
* ``POST /api/v1/businesses/{id}/plans`` — a new plan, with its first version's targets if given;
* ``GET /api/v1/plans/{plan_id}`` — a version (default: the latest) with targets, actions, plan
  against actual per period (int yen; deviation = actual − plan) and the sustained-shortfall
  check;
* ``POST /api/v1/plans/{plan_id}/versions`` — a new version from JSON targets;
* ``POST /api/v1/plans/{plan_id}/import`` — a new version from a CSV/.xlsx file (all rows or
  none; every problem as a 422 ``loc: ["file", line, column]``).

Plans travel under the business's ``financials`` consent; writing one needs what submitting its
financial data needs (the owner, or an organisation it trusts with its financials).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, File, HTTPException, Path, Query, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, Field

from kizashi.access.plans import (
    PlanProgress,
    PlanView,
    VersionView,
    list_plans,
    read_plan_progress,
    version_view,
)
from kizashi.actions.plans import do_add_plan, do_add_plan_version, do_import_plan
from kizashi.domain.plans import Granularity, PlanKind
from kizashi.domain.vocabulary import Purpose
from kizashi.ingest.plans import ActionRow, PlanFileError

from ..deps import ApiPurpose, CurrentUserDep, StoreDep, UnitOfWork
from .contract import MAX_ID, NON_BLANK, READ, WRITE, ApiRoute, BusinessId, IsoDate, errors

router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)

PlanId = Annotated[int, Path(ge=1, le=MAX_ID, description="Plan id")]
MAX_FILE = 5 * 1024 * 1024


def _no_bool(value: object) -> object:
    """JSON true/false is not an amount (pydantic would read it as 1/0)."""
    if isinstance(value, bool):
        raise ValueError("an amount, not a boolean")
    return value


Yen = Annotated[int | None, Field(ge=-(10**15), le=10**15), BeforeValidator(_no_bool)]


class TargetIn(BaseModel):
    period: IsoDate = Field(
        description="Monthly: any day of the month; annual: of the year's last month"
    )
    sales: Yen = None
    gross_profit: Yen = None
    operating_profit: Yen = None
    cash: Yen = None
    borrowings: Yen = None


class ActionIn(BaseModel):
    due_on: IsoDate
    title: str = Field(min_length=1, max_length=300, pattern=NON_BLANK)
    owner: str | None = Field(None, max_length=100)


class VersionIn(BaseModel):
    granularity: Granularity = Granularity.MONTHLY
    targets: list[TargetIn] = Field(min_length=1, max_length=1200)
    actions: list[ActionIn] = Field(default_factory=list, max_length=500)
    note: str | None = Field(None, max_length=2000)


class PlanIn(BaseModel):
    kind: PlanKind
    title: str = Field(min_length=1, max_length=200, pattern=NON_BLANK)
    first_version: VersionIn | None = None


class VersionOut(BaseModel):
    version: int
    granularity: str
    note: str | None
    source: str = Field(description="entered | csv | xlsx")
    source_name: str | None


class PlanOut(BaseModel):
    id: int
    business_id: int
    kind: str
    title: str
    versions: list[VersionOut] = Field(description="Oldest first; a new version never overwrites")


class ItemOut(BaseModel):
    item: str
    plan: int | None
    actual: int | None
    deviation: int | None = Field(description="actual − plan, yen")
    cumulative_plan: int | None
    cumulative_actual: int | None
    cumulative_deviation: int | None


class PeriodOut(BaseModel):
    period: date
    items: list[ItemOut]


class ShortfallOut(BaseModel):
    item: str
    pct: int
    months: int
    firing: bool
    since: date | None


class PlanDetailOut(PlanOut):
    shown_version: int
    actions: list[ActionIn]
    periods: list[PeriodOut] = Field(description="Plan against actual per target period")
    shortfall: ShortfallOut | None = Field(description="Monthly plans: the 売上高 check")


def _version_out(v: VersionView) -> VersionOut:
    """The version just written, as written (no read-back: the writer may hold a consent for
    another purpose than a read's default)."""
    return VersionOut(
        version=v.version,
        granularity=v.granularity,
        note=v.note,
        source=v.source,
        source_name=v.source_name,
    )


def _plan_out(p: PlanView) -> PlanOut:
    return PlanOut(
        id=p.id,
        business_id=p.business_id,
        kind=p.kind,
        title=p.title,
        versions=[
            VersionOut(
                version=v.version,
                granularity=v.granularity,
                note=v.note,
                source=v.source,
                source_name=v.source_name,
            )
            for v in p.versions
        ],
    )


def _detail_out(p: PlanProgress) -> PlanDetailOut:
    sf = p.shortfall
    return PlanDetailOut(
        **_plan_out(p.detail.plan).model_dump(),
        shown_version=p.detail.version.version,
        actions=[ActionIn(due_on=d, title=t, owner=o) for d, t, o in p.detail.actions],
        periods=[
            PeriodOut(period=pc.period, items=[ItemOut(**ic.__dict__) for ic in pc.items])
            for pc in p.comparison
        ],
        shortfall=None
        if sf is None
        else ShortfallOut(
            item=sf.item, pct=sf.pct, months=sf.months, firing=sf.firing, since=sf.since
        ),
    )


def _targets(body: VersionIn) -> dict[date, dict[str, int | None]]:
    out: dict[date, dict[str, int | None]] = {}
    for i, t in enumerate(body.targets):
        period = t.period.replace(day=1)
        if period in out:  # a month given twice (any days of it): a conflict, not a schema error
            raise HTTPException(409, f"targets[{i}]: period {period:%Y-%m} given twice")
        out[period] = t.model_dump(exclude={"period"})
    return out


@router.get(
    "/businesses/{business_id}/plans",
    response_model=list[PlanOut],
    summary="A business's plans and their versions",
    responses=errors(*READ, 404),
)
def get_plans(
    business_id: BusinessId,
    user: CurrentUserDep,
    s: UnitOfWork,
    purpose: ApiPurpose = Purpose.MONITORING,
) -> list[PlanOut]:
    return [_plan_out(p) for p in list_plans(s, user.actor, business_id, purpose)]


@router.post(
    "/businesses/{business_id}/plans",
    response_model=PlanOut,
    status_code=201,
    summary="Add a plan (and its first version's targets)",
    responses=errors(*WRITE, 404, 409),
)
def post_plan(
    business_id: BusinessId, body: Annotated[PlanIn, Body()], user: CurrentUserDep, store: StoreDep
) -> PlanOut:
    try:
        with store.session() as s:
            plan = do_add_plan(s, user.actor, business_id, kind=body.kind, title=body.title)
            versions = []
            if body.first_version is not None:
                v = body.first_version
                got = do_add_plan_version(
                    s,
                    user.actor,
                    plan.id,
                    granularity=v.granularity,
                    targets=_targets(v),
                    actions=[ActionRow(a.due_on, a.title, a.owner) for a in v.actions],
                    note=v.note,
                )
                versions.append(_version_out(version_view(got)))
            # what was written, as written: no read-back (the writer may hold a consent for
            # another purpose than the default one of a read)
            return PlanOut(
                id=plan.id,
                business_id=plan.business_id,
                kind=plan.kind,
                title=plan.title,
                versions=versions,
            )
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None


@router.get(
    "/plans/{plan_id}",
    response_model=PlanDetailOut,
    summary="A plan's version with plan against actual (int yen) and the shortfall check",
    responses=errors(*READ, 404),
)
def get_plan(
    plan_id: PlanId,
    user: CurrentUserDep,
    s: UnitOfWork,
    purpose: ApiPurpose = Purpose.MONITORING,
    version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> PlanDetailOut:
    return _detail_out(read_plan_progress(s, user.actor, plan_id, purpose, version=version))


@router.post(
    "/plans/{plan_id}/versions",
    response_model=VersionOut,
    status_code=201,
    summary="Add a new version of a plan (targets and actions as JSON)",
    responses=errors(*WRITE, 404, 409),
)
def post_version(
    plan_id: PlanId, body: Annotated[VersionIn, Body()], user: CurrentUserDep, store: StoreDep
) -> VersionOut:
    targets = _targets(body)
    try:
        with store.session() as s:
            got = do_add_plan_version(
                s,
                user.actor,
                plan_id,
                granularity=body.granularity,
                targets=targets,
                actions=[ActionRow(a.due_on, a.title, a.owner) for a in body.actions],
                note=body.note,
            )
            return _version_out(version_view(got))
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None


@router.post(
    "/plans/{plan_id}/import",
    response_model=VersionOut,
    status_code=201,
    summary="Import a plan file (CSV/.xlsx) as a new version: all rows or none",
    responses=errors(*WRITE, 404),
)
def import_version(
    plan_id: PlanId,
    user: CurrentUserDep,
    store: StoreDep,
    file: UploadFile = File(..., description="CSV or .xlsx, docs/formats.md (事業計画)"),
) -> VersionOut:
    data = file.file.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise HTTPException(413, "file too large")
    try:
        with store.session() as s:
            got = do_import_plan(s, user.actor, plan_id, data, file.filename or "plan.csv")
            return _version_out(version_view(got))
    except PlanFileError as exc:
        raise RequestValidationError(
            [
                {"loc": ("file", p.line, p.column), "msg": p.message, "type": "value_error"}
                for p in exc.problems
            ]
        ) from None
