"""Test data for the web tests: monthly trial balances and a small realistic portfolio.

Statements are written straight into the store here (as an importer would), cumulative from
the fiscal-year start, so the pages exercise the real TB → monthly-flow path.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.actions.businesses import BusinessInput, do_add_business
from kizashi.actions.consent import do_grant_consent
from kizashi.actions.loans import LoanInput, do_add_loan, do_record_credit_event
from kizashi.domain.corporate_number import make_corporate_number
from kizashi.domain.periods import add_months, fiscal_year_start, month_end
from kizashi.domain.statements import cumulate
from kizashi.domain.vocabulary import Category, CreditEventKind, Purpose, Relation, StatementKind
from kizashi.store.models import Business, Organisation, Statement, StatementLine

SYSTEM = Actor.system()


@dataclass(frozen=True)
class Shape:
    """How a business's figures move over the window."""

    sales: int  # typical monthly sales (yen)
    growth: float = 0.0  # per month, e.g. 0.004
    decline_from: int | None = None  # month index where a decline starts
    decline: float = 0.0  # per month after decline_from, e.g. 0.03
    gross_margin: float = 0.32
    sga_ratio: float = 0.27
    cash: int = 0  # opening cash (default: 2.5 months of sales)
    borrowings: int = 0
    seasonality: tuple[float, ...] = (
        0.9,
        0.85,
        1.15,
        1.0,
        0.95,
        1.0,
        1.05,
        0.9,
        1.0,
        1.05,
        1.0,
        1.15,
    )


def monthly_flows(shape: Shape, months: list[date], rng: random.Random) -> list[dict[str, int]]:
    """Monthly amounts per standard leaf: P/L flows and B/S balances."""
    out = []
    cash = shape.cash or int(shape.sales * 2.5)
    short, long_ = int(shape.borrowings * 0.2), int(shape.borrowings * 0.8)
    fixed_sga = shape.sales * shape.sga_ratio
    level = 1.0
    for i, m in enumerate(months):
        level *= 1 + shape.growth
        if shape.decline_from is not None and i >= shape.decline_from:
            level *= 1 - shape.decline
        sales = int(shape.sales * level * shape.seasonality[m.month - 1] * rng.uniform(0.94, 1.06))
        margin = shape.gross_margin - (
            0.04 if shape.decline_from is not None and i >= shape.decline_from else 0
        )
        cost = int(sales * (1 - margin))
        salaries = int(fixed_sga * 0.55 * rng.uniform(0.98, 1.02))
        rent = int(fixed_sga * 0.15)
        other = int(fixed_sga * 0.30 * rng.uniform(0.9, 1.1))
        interest = int((short + long_) * 0.015 / 12)
        op = sales - cost - salaries - rent - other
        repay = int(long_ / 84)
        long_ -= repay
        if cash < shape.sales * 0.6 and shape.decline_from is not None:
            short += int(shape.sales * 0.8)  # a short-term loan to get through
            cash += int(shape.sales * 0.8)
        cash += op - interest - repay + int(rng.uniform(-0.05, 0.05) * shape.sales)
        out.append(
            {
                "sales": sales,
                "purchases": cost,
                "salaries": salaries,
                "rent": rent,
                "other_sga": other,
                "interest_expense": interest,
                "misc_income": int(sales * 0.002),
                "cash_and_deposits": max(cash, 0),
                "accounts_receivable": int(sales * 1.4),
                "short_term_borrowings": short,
                "long_term_borrowings": long_,
                "accounts_payable": int(cost * 1.1),
                "capital_stock": 10_000_000,
                "retained_earnings": int(shape.sales * 1.5),
            }
        )
    return out


def add_monthly_tbs(
    session: Session,
    business: Business,
    shape: Shape,
    *,
    last_month: date,
    months: int = 36,
    seed: int = 0,
) -> list[Statement]:
    """Store ``months`` cumulative monthly trial balances ending with ``last_month``."""
    rng = random.Random(seed)
    axis = [add_months(last_month, i - months + 1) for i in range(months)]
    flows = monthly_flows(shape, axis, rng)
    rows = [
        (m, fiscal_year_start(m, business.fiscal_year_end_month), f)
        for m, f in zip(axis, flows, strict=True)
    ]
    now = datetime.now(UTC)
    out = []
    for tb in cumulate(rows):
        st = Statement(
            business_id=business.id,
            kind=StatementKind.MONTHLY_TB,
            fiscal_year_start=tb.fiscal_year_start,
            period_start=tb.month,
            period_end=month_end(tb.month),
            version=1,
            created_at=now,
        )
        st.lines = [
            StatementLine(item_code=code, amount=amount, as_reported_name=None)
            for code, amount in tb.amounts.items()
        ]
        session.add(st)
        out.append(st)
    session.flush()
    return out


NAMES = [
    ("株式会社田中製作所", "24", "23"),
    ("有限会社みどり青果", "58", "13"),
    ("株式会社北斗建設", "06", "01"),
    ("丸山印刷株式会社", "15", "27"),
    ("株式会社さくら介護サービス", "85", "14"),
    ("有限会社海鮮まるよし", "76", "47"),
    ("株式会社東和精機", "26", "22"),
    ("株式会社ひかり運輸", "44", "11"),
    ("合同会社ことのは", "39", "13"),
    ("株式会社山本工務店", "06", "26"),
    ("株式会社あおば食品", "09", "04"),
    ("有限会社鈴木電機", "29", "20"),
    ("株式会社コスモ商事", "53", "40"),
    ("株式会社白川酒造", "10", "21"),
    ("株式会社ふじ住設", "07", "19"),
    ("有限会社まちの薬局", "60", "34"),
    ("株式会社大和金属工業", "24", "28"),
    ("株式会社しずく珈琲", "76", "17"),
    ("株式会社はやて物流", "44", "12"),
    ("株式会社みなと水産", "09", "08"),
    ("株式会社つばさ旅行", "79", "33"),
    ("有限会社森の木工房", "13", "30"),
    ("株式会社アルファ設備", "08", "15"),
    ("株式会社かがやき保育", "85", "43"),
    ("株式会社ながの果樹園", "01", "20"),
    ("株式会社サンライズ不動産", "68", "13"),
    ("株式会社こだま縫製", "11", "36"),
    ("株式会社いろは書店", "60", "06"),
    ("株式会社ミライ情報システム", "39", "23"),
    ("有限会社かめや旅館", "75", "16"),
    ("株式会社ほくよう冷機", "25", "01"),
    ("株式会社あさひ歯科技工", "83", "23"),
]


def make_portfolio(
    session: Session,
    guarantor: Organisation,
    bank: Organisation,
    *,
    n: int = 30,
    last_month: date,
    seed: int = 7,
) -> list[Business]:
    """~30 businesses guaranteed by ``guarantor`` and lent to by ``bank``, with consent and data."""
    rng = random.Random(seed)
    out = []
    for i, (name, industry, pref) in enumerate(NAMES[:n]):
        fy_end = rng.choice([3, 3, 3, 3, 6, 9, 12, 12])
        biz = do_add_business(
            session,
            SYSTEM,
            BusinessInput(
                corporate_number=make_corporate_number(f"{rng.randint(10**11, 10**12 - 1)}"),
                name=name,
                industry_code=industry,
                prefecture_code=pref,
                fiscal_year_end_month=fy_end,
                employees=rng.choice([4, 8, 12, 18, 25, 40, 60, 95]),
                capital_yen=rng.choice([3, 5, 10, 20, 30]) * 1_000_000,
                founded_on=date(rng.randint(1962, 2018), rng.randint(1, 12), 1),
            ),
            registrar=guarantor,
            relation=Relation.GUARANTOR,
        )
        do_grant_consent(
            session,
            SYSTEM,
            business=biz,
            grantee=guarantor,
            categories=[Category.PROFILE, Category.FINANCIALS, Category.LOANS],
            purpose=Purpose.MONITORING,
            valid_from=last_month - timedelta(days=700),
        )
        sales = int(math.exp(rng.uniform(math.log(4e6), math.log(60e6))))
        distressed = i % 5 == 1
        shape = Shape(
            sales=sales,
            growth=rng.uniform(-0.002, 0.006),
            decline_from=rng.randint(14, 24) if distressed else None,
            decline=rng.uniform(0.015, 0.035),
            gross_margin=rng.uniform(0.22, 0.45),
            sga_ratio=rng.uniform(0.16, 0.3),
            borrowings=int(sales * rng.uniform(2, 8)),
        )
        add_monthly_tbs(session, biz, shape, last_month=last_month, seed=seed + i)
        loan = do_add_loan(
            session,
            SYSTEM,
            LoanInput(
                business_id=biz.id,
                lender_org_id=bank.id,
                guarantor_org_id=guarantor.id,
                loan_number=f"{1000 + i}-{rng.randint(100, 999)}",
                original_amount=shape.borrowings,
                balance=int(shape.borrowings * rng.uniform(0.5, 0.95)),
                balance_as_of=last_month,
                guarantee_ratio_pct=rng.choice([80, 100]),
                interest_rate_bp=rng.choice([0, 110, 150, 190]),
                start_date=date(2020, rng.randint(5, 12), 1),
                grace_end_date=date(2023, rng.randint(1, 12), 1),
                maturity_date=date(2030, rng.randint(1, 12), 1),
            ),
        )
        if distressed:
            do_record_credit_event(
                session,
                SYSTEM,
                loan=loan,
                kind=CreditEventKind.RESTRUCTURING,
                occurred_on=add_months(last_month, -4),
                note="元金返済の据置を1年延長",
            )
            if i % 10 == 1:
                do_record_credit_event(
                    session,
                    SYSTEM,
                    loan=loan,
                    kind=CreditEventKind.DELINQUENCY,
                    occurred_on=add_months(last_month, -1),
                    days_past_due=45,
                )
        out.append(biz)
    session.flush()
    return out
