"""A business as the API and the pages show it: profile, list row, monthly figures, loans.

Built from ``kizashi.access.reads``'s records by ``business_detail``, ``business_list``,
``monthly_figures`` and ``loan_list``. Codes (industry, prefecture) come with their names in
both languages (``Label``); money is integer yen; months are the first day of the month.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from pydantic import BaseModel, Field

from kizashi.access.reads import (
    BS_SERIES,
    PL_SERIES,
    BusinessProfile,
    CreditEventView,
    LoanBook,
    MonthlyPoint,
    PortfolioPage,
    PortfolioRow,
)
from kizashi.domain.industry import industries, major_groups, prefectures
from kizashi.domain.vocabulary import CreditEventKind


class Label(BaseModel):
    """A code with its name in both languages (``pick`` in a template chooses one)."""

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
    """The latest monitoring summary (default rule pack); present only under a flags consent.

    The counts and the priority are **your organisation's**: flags still open for it (新規,
    確認済, 対応中 in its own response); a flag it marked 対応不要 leaves them."""

    as_of_month: date
    priority: float = Field(
        description="対応優先度 for your organisation: higher means talk to them sooner "
        "(ranking only)"
    )
    open_flags: int = Field(description="Flags still open for your organisation")
    open_critical: int
    open_high: int
    open_medium: int
    open_low: int
    locaben_rating: str | None = Field(description="ローカルベンチマーク A–D")
    locaben_total: int | None
    new_since_last_run: int = Field(
        0, description="Of the open ones, first found by the latest monitoring run"
    )
    handled: int = Field(
        0, description="Open flags your organisation has handled (対応不要): out of its queue"
    )


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
    guarantee_number: str | None = Field(None, description="保証番号")
    paid_off_on: date | None = Field(None, description="完済日; null while outstanding")


class LoanList(BaseModel):
    business_id: int
    loans: list[LoanOut]
    other_events: list[CreditEventOut] = Field(
        description="Credit events not tied to a listed loan"
    )


def label(obj: object, code: str) -> Label:
    """A code and its names (the code itself where the table does not know it)."""
    return Label(code=code, ja=getattr(obj, "ja", code), en=getattr(obj, "en", code))


def _summary_fields(row: PortfolioRow | BusinessProfile) -> dict[str, object]:
    return {
        "id": row.id,
        "name": row.name,
        "corporate_number": row.corporate_number,
        "industry": label(industries().get(row.industry_code), row.industry_code),
        "industry_major": label(major_groups().get(row.industry_major), row.industry_major),
        "prefecture": label(prefectures().get(row.prefecture_code), row.prefecture_code),
        "fiscal_year_end_month": row.fiscal_year_end_month,
        "employees": row.employees,
    }


def business_detail(b: BusinessProfile) -> BusinessDetail:
    return BusinessDetail.model_validate(
        {**_summary_fields(b), "capital_yen": b.capital_yen, "founded_on": b.founded_on}
    )


def business_list(result: PortfolioPage) -> BusinessList:
    return BusinessList(
        items=[
            BusinessListItem.model_validate(
                {
                    **_summary_fields(r),
                    "monitoring": dataclasses.asdict(r.monitoring) if r.monitoring else None,
                }
            )
            for r in result.rows
        ],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
        pages=result.pages,
    )


def monthly_figures(points: list[MonthlyPoint]) -> list[MonthlyFigures]:
    """Each month's key figures, oldest first (a figure that cannot be derived is None)."""
    return [
        MonthlyFigures.model_validate(
            {
                "month": p.month,
                "fiscal_year_start": p.fiscal_year_start,
                **{k: p.values.get(k) for k in (*PL_SERIES, *BS_SERIES)},
            }
        )
        for p in points
    ]


def credit_event(ev: CreditEventView) -> CreditEventOut:
    return CreditEventOut(
        id=ev.id,
        loan_id=ev.loan_id,
        kind=ev.kind,
        occurred_on=ev.occurred_on,
        days_past_due=ev.days_past_due,
        note=ev.note,
    )


def loan_list(business_id: int, book: LoanBook) -> LoanList:
    return LoanList(
        business_id=business_id,
        other_events=[credit_event(e) for e in book.other_events],
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
                events=[credit_event(e) for e in ln.events],
                guarantee_number=ln.guarantee_number,
                paid_off_on=ln.paid_off_on,
            )
            for ln in book.loans
        ],
    )
