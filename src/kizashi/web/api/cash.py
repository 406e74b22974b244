"""The 13-week cash forecast in the JSON API.

* ``GET /api/v1/businesses/{id}/cash?purpose=&as_of=`` — the forecast as ``kizashi cash --json``
  prints it (``access.cash``: consent 口座 required, 請求書 and 金融取引 used where allowed and
  named in ``missing_categories`` otherwise). A business without a bank balance answers 200 with
  ``available: false``; a missing or forbidden business 404 (the denial audited).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from kizashi.access.cash import CashView, read_cash_forecast
from kizashi.domain.vocabulary import Purpose

from ..deps import CurrentUserDep, StoreDep
from .contract import READ, ApiRoute, BusinessId, IsoDate, errors

router = APIRouter(prefix="/api/v1", tags=["cash"], route_class=ApiRoute)
NOT_FOUND = "No such business, or this user may not read its bank data"


class CashWeek(BaseModel):
    week: int
    start: date
    end: date
    opening_yen: int
    receipts_yen: int
    payments_yen: int = Field(description="≤ 0")
    closing_yen: int
    by_kind_yen: dict[str, int]


class CashShortfall(BaseModel):
    week: int = Field(description="The first week whose closing balance is below zero")
    start: date
    lowest_yen: int = Field(description="The lowest closing balance (negative)")
    lowest_week: int


class CashRecurring(BaseModel):
    kind: str
    amount_yen: int
    day: int
    months_seen: int


class GraceEndOut(BaseModel):
    loan: str
    first_principal_on: date
    monthly_principal_yen: int


class OutlookMonthOut(BaseModel):
    month: str = Field(description="YYYY-MM")
    opening_yen: int
    operating_yen: int = Field(description="TTM ordinary profit ÷ 12")
    principal_yen: int = Field(description="Scheduled principal that month")
    closing_yen: int


class CashForecastOut(BaseModel):
    business_id: int
    available: bool = Field(description="False when the business has no bank balance yet")
    as_of: date | None
    opening_yen: int | None
    weeks: list[CashWeek]
    shortfall: CashShortfall | None
    recurring: list[CashRecurring]
    grace_period_ends: list[GraceEndOut]
    missing_categories: list[str] = Field(description="Categories left out (no consent)")
    outlook_12_months: list[OutlookMonthOut] = Field(
        description="From the trial balances: empty without 12 months of figures or consent"
    )


def forecast_body(business_id: int, v: CashView | None) -> dict[str, Any]:
    if v is None:
        return {
            "business_id": business_id,
            "available": False,
            "as_of": None,
            "opening_yen": None,
            "weeks": [],
            "shortfall": None,
            "recurring": [],
            "grace_period_ends": [],
            "missing_categories": [],
            "outlook_12_months": [],
        }
    f = v.plan.forecast
    s = f.shortfall
    return {
        "business_id": business_id,
        "available": True,
        "as_of": v.as_of,
        "opening_yen": v.opening,
        "weeks": [
            {
                "week": w.index,
                "start": w.start,
                "end": w.end,
                "opening_yen": w.opening,
                "receipts_yen": w.receipts,
                "payments_yen": w.payments,
                "closing_yen": w.closing,
                "by_kind_yen": dict(w.by_kind),
            }
            for w in f.weeks
        ],
        "shortfall": None
        if s is None
        else {
            "week": s.week,
            "start": s.start,
            "lowest_yen": s.amount,
            "lowest_week": s.lowest_week,
        },
        "recurring": [
            {"kind": r.kind, "amount_yen": r.amount, "day": r.day, "months_seen": r.months_seen}
            for r in v.plan.recurring
        ],
        "grace_period_ends": [
            {
                "loan": g.loan,
                "first_principal_on": g.first_principal_on,
                "monthly_principal_yen": g.monthly_principal,
            }
            for g in v.grace
        ],
        "missing_categories": list(v.missing),
        "outlook_12_months": [
            {
                "month": f"{o.year:04d}-{o.month:02d}",
                "opening_yen": o.opening,
                "operating_yen": o.operating,
                "principal_yen": o.principal,
                "closing_yen": o.closing,
            }
            for o in v.outlook
        ],
    }


@router.get(
    "/businesses/{business_id}/cash",
    response_model=CashForecastOut,
    summary="The 13-week cash forecast (consent: 口座; 請求書 and 金融取引 where allowed)",
    responses=errors(*READ, 404, s404=NOT_FOUND),
)
def get_cash_forecast(
    business_id: BusinessId,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: Purpose = Purpose.MONITORING,
    as_of: IsoDate | None = None,
) -> CashForecastOut:
    with store.session() as s:
        view = read_cash_forecast(s, user.actor, business_id, purpose=purpose, as_of=as_of)
    return CashForecastOut.model_validate(forecast_body(business_id, view))
