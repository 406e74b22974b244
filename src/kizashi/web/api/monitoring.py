"""Monitoring results in the JSON API: a business's flags and indicators, and flag workflow.

The bodies are exactly what ``kizashi flags --json`` and ``kizashi indicators --json`` print
(the same read functions, the same fields), under ``items`` / alongside ``business_id``.
A business or flag that is missing and one the user may not see give the same 404; every
decision is audited by ``kizashi.access``.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from kizashi.access.monitoring import (
    FlagView,
    IndicatorsView,
    flag_view,
    read_flags,
    read_indicator_history,
    read_indicators,
    response_view,
)
from kizashi.actions.flags import do_change_flag_state
from kizashi.domain.periods import parse_month
from kizashi.domain.vocabulary import FlagState, Purpose

from ..auth import CurrentUser, require_user
from ..state import app_settings, app_store
from .contract import NON_BLANK, READ, WRITE, ApiRoute, BusinessId, FlagId, errors, invalid

router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)
NOT_VISIBLE = "No such business or flag, or not visible to this user"


class Texts(BaseModel):
    ja: str
    en: str


class FlagOut(BaseModel):
    id: int
    rule_id: str = Field(description="The rule's stable dotted id, e.g. cash.low_liquidity")
    pack_ref: str = Field(description="The rule pack and version that raised it")
    severity: str = Field(description="critical | high | medium | low")
    category: str = Field(
        description="収益性, 資金繰り, 財務健全性, 効率性, 真贋性, 信用事象, データ"
    )
    source: str = Field(description="Data source: 決算書, 試算表, 口座, 金融取引, 定性")
    support: str = Field(description="Support type: 確認, 本業支援, 経営改善, 再生, 再チャレンジ")
    state: str = Field(description="new | acknowledged | in_progress | resolved | not_needed")
    state_reason: str | None
    is_open: bool
    opened_month: date = Field(description="The first month of the flag (its last day)")
    closed_month: date | None = Field(description="The month it cleared (its last day)")
    last_seen_month: date = Field(description="The latest month it held (its last day)")
    title: Texts
    explanation: Texts = Field(description="Plain words quoting the evidence")
    next_step: Texts
    evidence: dict[str, Any] = Field(description="The numbers behind the flag (latest month)")


class FlagList(BaseModel):
    business_id: int
    items: list[FlagOut]


class IndicatorOut(BaseModel):
    id: str
    ja: str
    en: str
    unit: str
    better: str = Field(description="higher | lower | none")
    group: str = Field(description="locaben | monitoring | trend | score")
    value: float | None = Field(description="null: not computable")
    score: int | None = Field(description="ローカルベンチマーク 1–5 score, where defined")
    peer_n: int | None
    peer_p25: float | None
    peer_median: float | None
    peer_p75: float | None
    peer_percentile: int | None = Field(
        description="Share (%, whole) of the other peers with a value whose value is lower; "
        "null without a value, for booleans and scores, or below 5 peers with a value"
    )


class IndicatorsOut(BaseModel):
    business_id: int
    pack_ref: str
    as_of: date | None = Field(
        description="The last day of the month the values are of (month end); "
        "null when that month has no values"
    )
    peer_group: str | None = Field(description="Industry major group | size band")
    locaben_rating: str | None = Field(description="A–D; null when not all six are scorable")
    locaben_total: int | None
    values: list[IndicatorOut]
    peer_group_label: Texts | None = Field(description="The peer group in words")


class IndicatorHistoryOut(BaseModel):
    business_id: int
    items: list[IndicatorsOut] = Field(description="One entry per month with values, oldest first")


MONTH = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"


class FlagMoveIn(BaseModel):
    """Acknowledge a flag (an owner may do only this) or start work on it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"state": "acknowledged"}]})

    state: Literal[FlagState.ACKNOWLEDGED, FlagState.IN_PROGRESS]
    reason: str | None = Field(None, max_length=2000, description="Optional note")
    purpose: Purpose = Purpose.MONITORING


class FlagDismissIn(BaseModel):
    """Mark a flag as needing no action (対応不要): staff only, always with a reason."""

    state: Literal[FlagState.NOT_NEEDED]
    reason: str = Field(
        max_length=2000, pattern=NON_BLANK, description="Why: more than white space"
    )
    purpose: Purpose = Purpose.MONITORING


FlagStateIn = Annotated[FlagMoveIn | FlagDismissIn, Field(discriminator="state")]


def flag_out(v: FlagView) -> FlagOut:
    return FlagOut.model_validate(dataclasses.asdict(v))


def indicators_out(business_id: int, v: IndicatorsView) -> IndicatorsOut:
    return IndicatorsOut.model_validate({"business_id": business_id, **dataclasses.asdict(v)})


@router.get(
    "/businesses/{business_id}/flags",
    response_model=FlagList,
    summary="A business's flags (予兆フラグ) with their evidence",
    responses=errors(*READ, 404, s404=NOT_VISIBLE),
)
def get_flags(
    request: Request,
    business_id: BusinessId,
    include_closed: bool = Query(False, description="Also flags whose condition has cleared"),
    purpose: Purpose = Purpose.MONITORING,
    user: CurrentUser = Depends(require_user),
) -> FlagList:
    with app_store(request).session() as s:
        views = read_flags(s, user.actor, business_id, purpose, include_closed=include_closed)
    return FlagList(business_id=business_id, items=[flag_out(v) for v in views])


@router.get(
    "/businesses/{business_id}/indicators",
    response_model=IndicatorsOut,
    summary="Indicators of a month (default: the latest) with the peer band and the ロカベン rating",
    responses=errors(*READ, 404, s404=NOT_VISIBLE),
)
def get_indicators(
    request: Request,
    business_id: BusinessId,
    month: str | None = Query(
        None,
        pattern=MONTH,
        description="YYYY-MM: the values of this month (default: the latest month with values). "
        "A month without values gives as_of null and no values.",
        examples=["2026-09"],
    ),
    purpose: Purpose = Purpose.MONITORING,
    user: CurrentUser = Depends(require_user),
) -> IndicatorsOut:
    data_dir = app_settings(request).data_dir
    wanted = None if month is None else parse_month(month)
    with app_store(request).session() as s:
        view = read_indicators(s, user.actor, data_dir, business_id, purpose, month=wanted)
    return indicators_out(business_id, view)


@router.get(
    "/businesses/{business_id}/indicators/history",
    response_model=IndicatorHistoryOut,
    summary="Every month's indicators with the peer band, oldest first",
    responses=errors(*READ, 404, s404=NOT_VISIBLE),
)
def get_indicator_history(
    request: Request,
    business_id: BusinessId,
    purpose: Purpose = Purpose.MONITORING,
    user: CurrentUser = Depends(require_user),
) -> IndicatorHistoryOut:
    data_dir = app_settings(request).data_dir
    with app_store(request).session() as s:
        views = read_indicator_history(s, user.actor, data_dir, business_id, purpose)
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
    request: Request,
    flag_id: FlagId,
    body: Annotated[FlagStateIn, Body()],
    user: CurrentUser = Depends(require_user),
) -> FlagOut:
    try:
        with app_store(request).session() as s:
            flag = do_change_flag_state(
                s,
                user.actor,
                flag_id=flag_id,
                state=body.state,
                purpose=body.purpose,
                reason=body.reason,
            )
            s.flush()
            return flag_out(response_view(s, flag))
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None
    except ValueError as exc:
        if "reason" in str(exc):  # the schema already asks for one: a second line of defence
            raise invalid(["body", "reason"], str(exc)) from None
        raise HTTPException(409, str(exc)) from None
