"""The JSON API under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``, reference at ``/docs``).

It uses the same session cookie as the pages: 401 without a login, 404 for a business that
is missing or that the user may not see (the same answer), and the CSRF header
(``X-CSRF-Token``) on every unsafe method. Money is integer yen; months are ISO dates of the
first day of the month. Error bodies, limits and media types: ``contract``.
"""

from __future__ import annotations

from typing import Literal, get_args

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from kizashi.access.reads import (
    SORTS,
    list_portfolio,
    read_business_profile,
    read_loans,
    read_monthly_series,
)
from kizashi.domain.vocabulary import FlagState, OrgKind, Purpose, Role

from ..deps import ApiPurpose, CurrentUserDep, UnitOfWork
from ..i18n import LOCALES
from ..state import csrf_token
from ..views.businesses import (
    BusinessDetail,
    BusinessList,
    LoanList,
    MonthlySeries,
    business_detail,
    business_list,
    loan_list,
    monthly_figures,
)
from .contract import (
    MAX_ID,
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


@router.get("/me", response_model=Me, summary="The logged-in user", responses=errors(401))
def me(request: Request, user: CurrentUserDep) -> Me:
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
def set_locale(body: LocaleIn, request: Request, user: CurrentUserDep) -> Me:
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
    user: CurrentUserDep,
    s: UnitOfWork,
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
    purpose: ApiPurpose = Purpose.MONITORING,
    flag_state: FlagState | None = Query(
        None, description="Only businesses with a flag in this state for your organisation"
    ),
    assignee_user_id: int | None = Query(
        None,
        ge=1,
        le=MAX_ID,
        description="Only businesses with an open flag your organisation gave to this user",
    ),
    new_since_last_run: bool = Query(
        False,
        description="Only businesses with a flag first found by the latest run and "
        "still open for your organisation",
    ),
) -> BusinessList:
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
        flag_state=flag_state,
        assignee_user_id=assignee_user_id,
        new_since_last_run=new_since_last_run,
    )
    return business_list(result)


@router.get(
    "/businesses/{business_id}",
    response_model=BusinessDetail,
    summary="A business's profile",
    responses=errors(*READ, 404),
)
def get_business(
    business_id: BusinessId,
    user: CurrentUserDep,
    s: UnitOfWork,
    purpose: ApiPurpose = Purpose.MONITORING,
) -> BusinessDetail:
    return business_detail(read_business_profile(s, user.actor, business_id, purpose=purpose))


@router.get(
    "/businesses/{business_id}/monthly",
    response_model=MonthlySeries,
    summary="Monthly key figures from the current trial balances",
    responses=errors(*READ, 404, s404="No such business, or no consent for financials"),
)
def get_monthly(
    business_id: BusinessId,
    user: CurrentUserDep,
    s: UnitOfWork,
    months: int = Query(36, ge=1, le=120),
    purpose: ApiPurpose = Purpose.MONITORING,
) -> MonthlySeries:
    points = read_monthly_series(s, user.actor, business_id, months=months, purpose=purpose)
    return MonthlySeries(business_id=business_id, items=monthly_figures(points))


@router.get(
    "/businesses/{business_id}/loans",
    response_model=LoanList,
    summary="Loans and credit events the user may see",
    responses=errors(*READ, 404, s404="No such business, or no loans visible to this user"),
)
def get_loans(
    business_id: BusinessId,
    user: CurrentUserDep,
    s: UnitOfWork,
    purpose: ApiPurpose = Purpose.MONITORING,
) -> LoanList:
    return loan_list(business_id, read_loans(s, user.actor, business_id, purpose=purpose))
