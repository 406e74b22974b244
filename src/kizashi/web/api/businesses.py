"""The JSON API under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``, reference at ``/docs``).

It uses the same session cookie as the pages: 401 without a login, 404 for a business that
is missing or that the user may not see (the same answer), and the CSRF header
(``X-CSRF-Token``) on every unsafe method. Money is integer yen; months are ISO dates of the
first day of the month. Error bodies, limits and media types: ``contract``.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Literal, get_args

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from kizashi.access.reads import (
    BS_SERIES,
    PL_SERIES,
    SORTS,
    BusinessProfile,
    CreditEventView,
    PortfolioRow,
    list_portfolio,
    read_business_profile,
    read_loans,
    read_monthly_series,
)
from kizashi.domain.industry import industries, major_groups, prefectures
from kizashi.domain.vocabulary import CreditEventKind, OrgKind, Purpose, Role

from ..auth import CurrentUser, require_user
from ..i18n import LOCALES
from ..state import app_store, csrf_token
from .contract import (
    MAX_PAGE,
    NO_NUL,
    READ,
    WRITE,
    ApiRoute,
    BusinessId,
    errors,
)

router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)
SortKey = Literal[
    "name", "-name", "industry", "prefecture", "employees", "-employees", "id", "priority"
]
assert set(get_args(SortKey)) == set(SORTS), "SortKey must list access.reads.SORTS"


class Label(BaseModel):
    code: str
    ja: str
    en: str


class BusinessSummary(BaseModel):
    id: int
    name: str
    corporate_number: str | None = Field(
        description="法人番号 (13 digits); none for sole proprietors"
    )
    industry: Label = Field(description="日本標準産業分類 middle group")
    industry_major: Label = Field(description="日本標準産業分類 major group")
    prefecture: Label
    fiscal_year_end_month: int = Field(ge=1, le=12)
    employees: int | None


class BusinessDetail(BusinessSummary):
    capital_yen: int | None
    founded_on: date | None


class MonitoringOut(BaseModel):
    """The latest monitoring summary (default rule pack); present only under a flags consent."""

    as_of_month: date
    priority: float = Field(
        description="対応優先度: higher means talk to them sooner (ranking only)"
    )
    open_flags: int
    open_critical: int
    open_high: int
    open_medium: int
    open_low: int
    locaben_rating: str | None = Field(description="ローカルベンチマーク A–D")
    locaben_total: int | None


class BusinessListItem(BusinessSummary):
    monitoring: MonitoringOut | None = Field(
        None, description="null without a flags consent for the purpose, or before any run"
    )


class BusinessList(BaseModel):
    items: list[BusinessListItem]
    total: int
    page: int
    page_size: int
    pages: int


class MonthlyFigures(BaseModel):
    month: date = Field(description="First day of the month")
    fiscal_year_start: date
    sales: int | None = Field(description="売上高, the month's flow (yen); null if not derivable")
    gross_profit: int | None
    operating_profit: int | None
    ordinary_profit: int | None
    net_income: int | None
    cash_and_deposits: int | None = Field(description="現金及び預金 at month end (yen)")
    borrowings: int | None = Field(description="借入金 (short + current portion + long-term)")
    interest_bearing_debt: int | None
    net_assets: int | None
    total_assets: int | None


class MonthlySeries(BaseModel):
    business_id: int
    items: list[MonthlyFigures]


class CreditEventOut(BaseModel):
    id: int
    loan_id: int | None
    kind: CreditEventKind
    occurred_on: date
    days_past_due: int | None
    note: str | None


class LoanOut(BaseModel):
    id: int
    loan_number: str
    lender: str
    guarantor: str | None
    original_amount: int
    balance: int
    balance_as_of: date
    guarantee_ratio_pct: int = Field(description="100, 80 (責任共有) or 0")
    interest_rate_bp: int = Field(description="Interest rate in basis points")
    start_date: date
    grace_end_date: date | None = Field(description="End of the grace period (据置期間)")
    maturity_date: date
    events: list[CreditEventOut]


class LoanList(BaseModel):
    business_id: int
    loans: list[LoanOut]
    other_events: list[CreditEventOut] = Field(
        description="Credit events not tied to a listed loan"
    )


class Me(BaseModel):
    login: str
    display_name: str
    role: Role
    organisation: str
    organisation_kind: OrgKind
    locale: str
    csrf_token: str = Field(description="Send as the X-CSRF-Token header on unsafe requests")


class LocaleIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"locale": "ja"}]})

    locale: Literal["ja", "en"]


def _label(obj: object, code: str) -> Label:
    return Label(code=code, ja=getattr(obj, "ja", code), en=getattr(obj, "en", code))


def _summary_fields(row: PortfolioRow | BusinessProfile) -> dict[str, object]:
    return {
        "id": row.id,
        "name": row.name,
        "corporate_number": row.corporate_number,
        "industry": _label(industries().get(row.industry_code), row.industry_code),
        "industry_major": _label(major_groups().get(row.industry_major), row.industry_major),
        "prefecture": _label(prefectures().get(row.prefecture_code), row.prefecture_code),
        "fiscal_year_end_month": row.fiscal_year_end_month,
        "employees": row.employees,
    }


def _event(ev: CreditEventView) -> CreditEventOut:
    return CreditEventOut(
        id=ev.id,
        loan_id=ev.loan_id,
        kind=ev.kind,
        occurred_on=ev.occurred_on,
        days_past_due=ev.days_past_due,
        note=ev.note,
    )


@router.get("/me", response_model=Me, summary="The logged-in user", responses=errors(401))
def me(request: Request, user: CurrentUser = Depends(require_user)) -> Me:
    return Me(
        login=user.actor.login,
        display_name=user.display_name,
        role=user.role,
        organisation=user.org_name,
        organisation_kind=user.org_kind,
        locale=request.session.get("lang") or user.locale,
        csrf_token=csrf_token(request),
    )


@router.put(
    "/me/locale",
    response_model=Me,
    summary="Choose the UI language for this session",
    responses=errors(*WRITE),
)
def set_locale(body: LocaleIn, request: Request, user: CurrentUser = Depends(require_user)) -> Me:
    if body.locale in LOCALES:
        request.session["lang"] = body.locale
    return me(request, user)


@router.get(
    "/businesses",
    response_model=BusinessList,
    summary="Businesses the user may see",
    responses=errors(*READ),
)
def list_businesses(
    request: Request,
    q: str | None = Query(
        None, max_length=200, pattern=NO_NUL, description="Part of the name, or 法人番号"
    ),
    industry_major: str | None = Query(
        None, max_length=1, pattern=NO_NUL, description="日本標準産業分類 major group (A–T)"
    ),
    prefecture: str | None = Query(
        None, max_length=2, pattern=NO_NUL, description="JIS prefecture code (01–47)"
    ),
    sort: SortKey = Query("name", description="A leading - sorts descending"),
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(50, ge=1, le=200),
    purpose: Purpose = Purpose.MONITORING,
    user: CurrentUser = Depends(require_user),
) -> BusinessList:
    with app_store(request).session() as s:
        result = list_portfolio(
            s,
            user.actor,
            purpose=purpose,
            q=q,
            industry_major=industry_major,
            prefecture=prefecture,
            sort=sort,
            page=page,
            page_size=page_size,
        )
    return BusinessList(
        items=[
            BusinessListItem(
                **_summary_fields(r),  # type: ignore[arg-type]
                monitoring=MonitoringOut(**dataclasses.asdict(r.monitoring))
                if r.monitoring
                else None,
            )
            for r in result.rows
        ],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
        pages=result.pages,
    )


@router.get(
    "/businesses/{business_id}",
    response_model=BusinessDetail,
    summary="A business's profile",
    responses=errors(*READ, 404),
)
def get_business(
    request: Request,
    business_id: BusinessId,
    purpose: Purpose = Purpose.MONITORING,
    user: CurrentUser = Depends(require_user),
) -> BusinessDetail:
    with app_store(request).session() as s:
        b = read_business_profile(s, user.actor, business_id, purpose=purpose)
    return BusinessDetail(**_summary_fields(b), capital_yen=b.capital_yen, founded_on=b.founded_on)  # type: ignore[arg-type]


@router.get(
    "/businesses/{business_id}/monthly",
    response_model=MonthlySeries,
    summary="Monthly key figures from the current trial balances",
    responses=errors(*READ, 404, s404="No such business, or no consent for financials"),
)
def get_monthly(
    request: Request,
    business_id: BusinessId,
    months: int = Query(36, ge=1, le=120),
    purpose: Purpose = Purpose.MONITORING,
    user: CurrentUser = Depends(require_user),
) -> MonthlySeries:
    with app_store(request).session() as s:
        points = read_monthly_series(s, user.actor, business_id, months=months, purpose=purpose)
    return MonthlySeries(
        business_id=business_id,
        items=[
            MonthlyFigures(
                month=p.month,
                fiscal_year_start=p.fiscal_year_start,
                **{k: p.values.get(k) for k in (*PL_SERIES, *BS_SERIES)},
            )
            for p in points
        ],
    )


@router.get(
    "/businesses/{business_id}/loans",
    response_model=LoanList,
    summary="Loans and credit events the user may see",
    responses=errors(*READ, 404, s404="No such business, or no loans visible to this user"),
)
def get_loans(
    request: Request,
    business_id: BusinessId,
    purpose: Purpose = Purpose.MONITORING,
    user: CurrentUser = Depends(require_user),
) -> LoanList:
    with app_store(request).session() as s:
        book = read_loans(s, user.actor, business_id, purpose=purpose)
    return LoanList(
        business_id=business_id,
        other_events=[_event(e) for e in book.other_events],
        loans=[
            LoanOut(
                id=ln.id,
                loan_number=ln.loan_number,
                lender=ln.lender_name,
                guarantor=ln.guarantor_name,
                original_amount=ln.original_amount,
                balance=ln.balance,
                balance_as_of=ln.balance_as_of,
                guarantee_ratio_pct=ln.guarantee_ratio_pct,
                interest_rate_bp=ln.interest_rate_bp,
                start_date=ln.start_date,
                grace_end_date=ln.grace_end_date,
                maturity_date=ln.maturity_date,
                events=[_event(e) for e in ln.events],
            )
            for ln in book.loans
        ],
    )
