"""The triage queue in the JSON API (and as CSV/.xlsx), its assignments, officers' capacities.

``GET /api/v1/triage?period=YYYY-MM&format=json|csv|xlsx&mine=false``: the organisation's queue
for the month (ranked, each row proposed to a team and an officer within capacity, assigned, or
over capacity, with the reason in words in the user's language; ``mine=true``: only the caller's
own assignments); the downloads carry exactly the same rows.
``POST /api/v1/businesses/{id}/triage-assignment``: assign or reassign the business to an
officer for the month (409 when the officer's capacity is used up; with teams, 404 unless the
caller takes it for themselves or manages the officers' team);
``POST /api/v1/businesses/{id}/triage-assignment/remove`` takes it back.
``PUT /api/v1/admin/users/{user_id}/capacity``: the administrator sets an officer's capacity.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Body, HTTPException, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from kizashi.access.risk_admin import default_pct
from kizashi.access.triage import read_triage_queue
from kizashi.actions.triage import (
    MAX_CAPACITY,
    CapacityFull,
    do_assign_triage,
    do_set_capacity,
    do_unassign_triage,
)
from kizashi.domain.vocabulary import Purpose

from ..deps import ApiPurpose, CurrentUserDep, SettingsDep, StoreDep, UnitOfWork
from ..tabular import CSV_TYPE, XLSX_TYPE, to_csv, to_xlsx
from ..views.triage import queue_rows, table
from .contract import MAX_ID, READ, WRITE, ApiRoute, BusinessId, RowId, errors, json_integer

router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)
PERIOD = r"^(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(?:0[1-9]|1[0-2])$"  # no year 0


def parse_period(text: str | None) -> date | None:
    return date.fromisoformat(text + "-01") if text else None


class TriageRowOut(BaseModel):
    rank: int
    business_id: int
    name: str
    score: float = Field(description="The priority (docs/support.md)")
    officer_user_id: int | None
    officer_name: str | None
    status: str = Field(description="assigned | proposed | over (no officer has capacity left)")
    reason: str = Field(description="Which flags and how new, exposure, guarantee share")
    team_id: int | None = Field(None, description="The officer's team (null: no team)")
    team_name: str | None = None
    may_move: bool = Field(False, description="Whether the caller may assign or reassign it")


class OfficerLoadOut(BaseModel):
    user_id: int
    name: str
    capacity: int | None = Field(description="Per month; null: not set (takes none)")
    assigned: int
    proposed: int
    left: int = Field(description="Capacity left after the month's assignments")
    team_id: int | None = Field(None, description="The officer's team (null: no team)")


class TeamLoadOut(BaseModel):
    id: int
    name: str
    managers: list[str]
    capacity: int = Field(description="Its members' capacities per month, summed")
    assigned: int
    proposed: int
    left: int


class TriageOut(BaseModel):
    period: str = Field(description="YYYY-MM")
    items: list[TriageRowOut]
    officers: list[OfficerLoadOut]
    teams: list[TeamLoadOut] = Field(default_factory=list)
    assignable: list[int] = Field(
        default_factory=list, description="The officers the caller may assign a business to"
    )


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    officer_user_id: RowId
    period: str = Field(pattern=PERIOD, description="YYYY-MM")
    purpose: Purpose = Purpose.MONITORING


class UnassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str = Field(pattern=PERIOD, description="YYYY-MM")
    purpose: Purpose = Purpose.MONITORING


class CapacityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per_month: Annotated[int, Field(ge=0, le=MAX_CAPACITY), BeforeValidator(json_integer)]


class CapacityOut(BaseModel):
    user_id: int
    per_month: int


@router.get(
    "/triage",
    response_model=TriageOut,
    summary="Your organisation's triage queue for a month (JSON, CSV or .xlsx)",
    responses={
        **errors(*READ),
        200: {
            "description": "The queue: JSON, or with format=csv|xlsx the same rows as a file",
            "content": {"text/csv": {}, XLSX_TYPE: {}},
        },
    },
)
def get_triage(
    user: CurrentUserDep,
    s: UnitOfWork,
    settings: SettingsDep,
    period: Annotated[str | None, Query(pattern=PERIOD, description="YYYY-MM")] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
    purpose: ApiPurpose = Purpose.MONITORING,
    mine: Annotated[bool, Query(description="Only the caller's own assignments")] = False,
) -> TriageOut | Response:
    lang = "ja" if user.locale == "ja" else "en"
    q = read_triage_queue(
        s,
        user.actor,
        period=parse_period(period),
        purpose=purpose,
        data_dir=settings.data_dir,
        default_score_pct=default_pct(settings.risk_weight),
        lang=lang,
    )
    name = f"triage-{q.period:%Y-%m}"
    if format == "csv":
        headers, rows = table(q, lang, mine=mine)
        return Response(
            to_csv(headers, rows),
            media_type=CSV_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "xlsx":
        headers, rows = table(q, lang, mine=mine)
        return Response(
            to_xlsx(name, headers, rows),
            media_type=XLSX_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return TriageOut(
        period=f"{q.period:%Y-%m}",
        items=[TriageRowOut(**r) for r in queue_rows(q, lang, mine=mine)],
        officers=[OfficerLoadOut(**o.__dict__) for o in q.officers],
        teams=[TeamLoadOut(**{**t.__dict__, "managers": list(t.managers)}) for t in q.teams],
        assignable=list(q.assignable),
    )


@router.post(
    "/businesses/{business_id}/triage-assignment",
    summary="Assign or reassign a business of the queue to an officer for a month",
    responses=errors(*WRITE, 404, 409, s409="The officer has no capacity left in the month"),
)
def post_assignment(
    business_id: BusinessId,
    body: Annotated[AssignIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> dict[str, int | str]:
    try:
        with store.session() as s:
            row = do_assign_triage(
                s,
                user.actor,
                business_id=business_id,
                officer_user_id=body.officer_user_id,
                period=date.fromisoformat(body.period + "-01"),
                purpose=body.purpose,
            )
            return {
                "business_id": row.business_id,
                "officer_user_id": row.officer_user_id,
                "period": body.period,
            }
    except CapacityFull as exc:
        raise HTTPException(409, str(exc)) from None


@router.post(
    "/businesses/{business_id}/triage-assignment/remove",
    summary="Take a business off an officer's list for a month",
    responses=errors(*WRITE, 404),
)
def post_unassign(
    business_id: BusinessId,
    body: Annotated[UnassignIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> dict[str, bool]:
    with store.session() as s:  # a refusal (404) keeps its audit record
        do_unassign_triage(
            s,
            user.actor,
            business_id=business_id,
            period=date.fromisoformat(body.period + "-01"),
            purpose=body.purpose,
        )
    return {"ok": True}


@router.put(
    "/admin/users/{user_id}/capacity",
    response_model=CapacityOut,
    summary="Set an officer's capacity (businesses to contact per month)",
    responses=errors(*WRITE, 404),
)
def put_capacity(
    user_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The officer's user id")],
    body: Annotated[CapacityIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> CapacityOut:
    with store.session() as s:  # a refusal (404) keeps its audit record
        do_set_capacity(s, user.actor, user_id=user_id, per_month=body.per_month)
    return CapacityOut(user_id=user_id, per_month=body.per_month)
