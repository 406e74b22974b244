"""Interest-rate stress and grace-period ends in the JSON API (issue 14, the store's portfolio):

* ``GET /api/v1/stress`` — new 経常赤字 at +0.25, +0.5, +1 and +2 pt over the businesses whose
  financials the caller may read (``access.stress``; the listing audited);
* ``GET /api/v1/businesses/{id}/stress`` — one business: its 12-month 経常利益, the debt that
  reprices and, per step, the extra interest and the profit after it (a 404 when not allowed,
  the denial audited);
* ``GET /api/v1/grace`` — businesses whose 据置期間 ends within ``months``, with the principal
  that starts and the projected coverage (``access.cash.list_grace_ends``; loans consent, the bank
  balance only where 口座 may be read).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from kizashi.access.cash import list_grace_ends
from kizashi.access.stress import read_business_stress, read_portfolio_stress
from kizashi.domain.periods import parse_month
from kizashi.domain.vocabulary import Purpose

from ..deps import ApiPurpose, CurrentUserDep, SettingsDep, UnitOfWork
from .contract import READ, ApiRoute, BusinessId, IsoDate, errors

router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)
MONTH = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"
NOT_VISIBLE = "No such business, or this user may not read its financials"
Basis = Literal["all", "repricing"]


def _month_query() -> str | None:
    return Query(
        None,
        pattern=MONTH,
        description="YYYY-MM: the month the 12 months end at (default: the newest in the panel)",
        examples=["2026-09"],
    )


def _share_query() -> float:
    return Query(
        0.3,
        ge=0.0,
        le=1.0,
        description="With basis=repricing: the share of long-term borrowings at a floating rate",
    )


class BusinessRef(BaseModel):
    business_id: int
    name: str


class StressStepOut(BaseModel):
    points_bp: int = Field(description="The rise in basis points: 25, 50, 100, 200")
    new_ordinary_loss: int = Field(description="Businesses at ≥ 0 now and below zero after")
    share_pct: float | None = Field(description="Of the businesses computed")
    businesses: list[BusinessRef] = Field(description="The first 200 of them, by id")


class PortfolioStressOut(BaseModel):
    as_of: date | None = Field(description="The month the 12 months end at; null: no figures")
    basis: Basis
    floating_share: float | None
    businesses: int = Field(description="With 12 months of figures and a debt figure")
    visible: int = Field(description="Businesses whose financials this user may read")
    ordinary_loss_now: int
    stress: list[StressStepOut]


class BusinessStressStepOut(BaseModel):
    points_bp: int
    extra_interest_yen: int = Field(description="A year, ceil(debt × bp / 10,000)")
    ordinary_profit_after_yen: int
    turns_to_loss: bool


class BusinessStressOut(BaseModel):
    business_id: int
    as_of: date | None
    basis: Basis
    ttm_ordinary_profit_yen: int | None = Field(description="null: fewer than 12 months")
    debt_yen: int | None
    loss_now: bool
    stress: list[BusinessStressStepOut]


class GraceLoanOut(BaseModel):
    loan: str
    first_principal_on: date
    monthly_principal_yen: int


class GraceRowOut(BaseModel):
    business_id: int
    business_name: str
    loans: list[GraceLoanOut]
    monthly_principal_yen: int
    bank_balance_yen: int | None = Field(description="null: no bank data or no 口座 consent")
    months_covered: int | None
    lowest_13w_yen: int | None


@router.get(
    "/stress",
    response_model=PortfolioStressOut,
    summary="Interest-rate stress over the portfolio this user may see (new 経常赤字)",
    responses=errors(*READ),
)
def get_portfolio_stress(
    user: CurrentUserDep,
    s: UnitOfWork,
    settings: SettingsDep,
    purpose: ApiPurpose = Purpose.MONITORING,
    month: str | None = _month_query(),
    basis: Basis = "all",
    floating_share: float = _share_query(),
) -> PortfolioStressOut:
    v = read_portfolio_stress(
        s,
        user.actor,
        settings.data_dir,
        purpose=purpose,
        month=None if month is None else parse_month(month),
        basis=basis,
        floating_share=floating_share,
    )
    return PortfolioStressOut(
        as_of=v.as_of,
        basis=basis,
        floating_share=v.floating_share,
        businesses=v.businesses,
        visible=v.visible,
        ordinary_loss_now=v.ordinary_loss_now,
        stress=[
            StressStepOut(
                points_bp=x.points_bp,
                new_ordinary_loss=x.new_ordinary_loss,
                share_pct=x.share_pct,
                businesses=[BusinessRef(business_id=b, name=n) for b, n in x.businesses],
            )
            for x in v.steps
        ],
    )


@router.get(
    "/businesses/{business_id}/stress",
    response_model=BusinessStressOut,
    summary="Interest-rate stress for one business",
    responses=errors(*READ, 404, s404=NOT_VISIBLE),
)
def get_business_stress(
    business_id: BusinessId,
    user: CurrentUserDep,
    s: UnitOfWork,
    settings: SettingsDep,
    purpose: ApiPurpose = Purpose.MONITORING,
    month: str | None = _month_query(),
    basis: Basis = "all",
    floating_share: float = _share_query(),
) -> BusinessStressOut:
    v = read_business_stress(
        s,
        user.actor,
        settings.data_dir,
        business_id,
        purpose=purpose,
        month=None if month is None else parse_month(month),
        basis=basis,
        floating_share=floating_share,
    )
    return BusinessStressOut(
        business_id=business_id,
        as_of=v.as_of,
        basis=basis,
        ttm_ordinary_profit_yen=v.ttm_ordinary_profit,
        debt_yen=v.debt,
        loss_now=v.loss_now,
        stress=[
            BusinessStressStepOut(
                points_bp=x.points_bp,
                extra_interest_yen=x.extra_interest,
                ordinary_profit_after_yen=x.ordinary_profit_after,
                turns_to_loss=x.turns_to_loss,
            )
            for x in v.steps
        ],
    )


@router.get(
    "/grace",
    response_model=list[GraceRowOut],
    summary="Businesses whose grace period (据置期間) ends within N months, with coverage",
    responses=errors(*READ),
)
def get_grace_ends(
    user: CurrentUserDep,
    s: UnitOfWork,
    purpose: ApiPurpose = Purpose.MONITORING,
    months: int = Query(12, ge=1, le=60, description="How many months ahead"),
    today: IsoDate | None = None,
) -> list[GraceRowOut]:
    rows = list_grace_ends(s, user.actor, purpose=purpose, today=today, within_months=months)
    return [
        GraceRowOut(
            business_id=r.business_id,
            business_name=r.business_name,
            loans=[
                GraceLoanOut(
                    loan=g.loan,
                    first_principal_on=g.first_principal_on,
                    monthly_principal_yen=g.monthly_principal,
                )
                for g in r.loans
            ],
            monthly_principal_yen=r.monthly_principal,
            bank_balance_yen=r.bank_balance,
            months_covered=r.months_covered,
            lowest_13w_yen=r.lowest_13w,
        )
        for r in rows
    ]
