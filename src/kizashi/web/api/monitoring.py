"""Monitoring results in the JSON API: a business's flags and indicators, and flag workflow.

The bodies are exactly what ``kizashi flags --json`` and ``kizashi indicators --json`` print
(the same read functions, the same fields), under ``items`` / alongside ``business_id``.
A business or flag that is missing and one the user may not see give the same 404; every
decision is audited by ``kizashi.access``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from kizashi.access.monitoring import (
    read_flags,
    read_indicator_history,
    read_indicators,
    response_view,
)
from kizashi.actions.flags import ReasonRequired, do_change_flag_state
from kizashi.domain.periods import parse_month
from kizashi.domain.vocabulary import FlagState, Purpose

from ..deps import ApiPurpose, CurrentUserDep, SettingsDep, StoreDep, UnitOfWork
from ..views.monitoring import (
    FlagList,
    FlagOut,
    IndicatorHistoryOut,
    IndicatorsOut,
    flag_list,
    flag_out,
    indicators_out,
)
from .contract import (
    NON_BLANK,
    READ,
    WRITE,
    ApiRoute,
    BusinessId,
    FlagId,
    MoveState,
    ReasonState,
    errors,
    invalid,
)

router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)
NOT_VISIBLE = "No such business or flag, or not visible to this user"


MONTH = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"


class FlagMoveIn(BaseModel):
    """Acknowledge a flag (an owner may do only this) or start work on it: a person's moves
    that need no reason (``contract.MOVE_STATES``, from ``FLAG_MOVES``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"state": "acknowledged"}]})

    state: MoveState
    reason: str | None = Field(None, max_length=2000, description="Optional note")
    purpose: Purpose = Purpose.MONITORING


class FlagDismissIn(BaseModel):
    """Mark a flag as needing no action (対応不要): staff only, always with a reason
    (``contract.REASON_STATES``: the person's moves that need one)."""

    state: ReasonState
    reason: str = Field(
        max_length=2000, pattern=NON_BLANK, description="Why: more than white space"
    )
    purpose: Purpose = Purpose.MONITORING


FlagStateIn = Annotated[FlagMoveIn | FlagDismissIn, Field(discriminator="state")]


@router.get(
    "/businesses/{business_id}/flags",
    response_model=FlagList,
    summary="A business's flags (予兆フラグ) with their evidence",
    responses=errors(*READ, 404, s404=NOT_VISIBLE),
)
def get_flags(
    business_id: BusinessId,
    user: CurrentUserDep,
    s: UnitOfWork,
    include_closed: bool = Query(False, description="Also flags whose condition has cleared"),
    purpose: ApiPurpose = Purpose.MONITORING,
) -> FlagList:
    views = read_flags(s, user.actor, business_id, purpose, include_closed=include_closed)
    return flag_list(business_id, views)


@router.get(
    "/businesses/{business_id}/indicators",
    response_model=IndicatorsOut,
    summary="Indicators of a month (default: the latest) with the peer band and the ロカベン rating",
    responses=errors(*READ, 404, s404=NOT_VISIBLE),
)
def get_indicators(
    business_id: BusinessId,
    user: CurrentUserDep,
    settings: SettingsDep,
    s: UnitOfWork,
    month: str | None = Query(
        None,
        pattern=MONTH,
        description="YYYY-MM: the values of this month (default: the latest month with values). "
        "A month without values gives as_of null and no values.",
        examples=["2026-09"],
    ),
    purpose: ApiPurpose = Purpose.MONITORING,
) -> IndicatorsOut:
    wanted = None if month is None else parse_month(month)
    view = read_indicators(s, user.actor, settings.data_dir, business_id, purpose, month=wanted)
    return indicators_out(business_id, view)


@router.get(
    "/businesses/{business_id}/indicators/history",
    response_model=IndicatorHistoryOut,
    summary="Every month's indicators with the peer band, oldest first",
    responses=errors(*READ, 404, s404=NOT_VISIBLE),
)
def get_indicator_history(
    business_id: BusinessId,
    user: CurrentUserDep,
    settings: SettingsDep,
    s: UnitOfWork,
    purpose: ApiPurpose = Purpose.MONITORING,
) -> IndicatorHistoryOut:
    views = read_indicator_history(s, user.actor, settings.data_dir, business_id, purpose)
    return IndicatorHistoryOut(
        business_id=business_id, items=[indicators_out(business_id, v) for v in views]
    )


@router.post(
    "/flags/{flag_id}/state",
    response_model=FlagOut,
    summary="Move a flag: acknowledged, in_progress, or not_needed with a reason",
    responses=errors(
        *WRITE,
        404,
        409,
        s403="An owner may only acknowledge; or the CSRF token or Origin is wrong",
        s404=NOT_VISIBLE,
        s409="Not allowed from the flag's current state",
    ),
)
def post_flag_state(
    flag_id: FlagId,
    body: Annotated[FlagStateIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> FlagOut:
    # Its own unit of work, not ``UnitOfWork``: a refusal must leave the session as itself
    # (keeping its audit record) before it becomes a 403, 409 or 422.
    try:
        with store.session() as s:
            flag = do_change_flag_state(
                s,
                user.actor,
                flag_id=flag_id,
                state=FlagState(body.state),
                purpose=body.purpose,
                reason=body.reason,
            )
            s.flush()
            return flag_out(response_view(s, flag))
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None
    except ValueError as exc:
        if isinstance(exc, ReasonRequired):  # the schema already asks for one: a second line
            raise invalid(["body", "reason"], str(exc)) from None
        raise HTTPException(409, str(exc)) from None
