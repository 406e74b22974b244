"""A small hand-made world of organisations, users, one business and consents for tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.actions.businesses import BusinessInput, do_add_business
from kizashi.actions.consent import do_grant_consent
from kizashi.actions.loans import LoanInput, do_add_loan
from kizashi.actions.organisations import do_add_organisation, do_add_user
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Relation, Role
from kizashi.store.models import Business, Organisation

SYSTEM = Actor.system()
TODAY = date(2026, 11, 25)


@dataclass
class World:
    guarantor: Organisation
    bank_a: Organisation
    bank_b: Organisation
    business: Business
    other_business: Business
    actors: dict[str, Actor]


def make_world(s: Session) -> World:
    orgs = {
        "cgc": do_add_organisation(
            s, SYSTEM, kind=OrgKind.GUARANTOR, name="テスト信用保証協会", code="cgc"
        ),
        "bank_a": do_add_organisation(s, SYSTEM, kind=OrgKind.BANK, name="A銀行", code="bank-a"),
        "bank_b": do_add_organisation(
            s, SYSTEM, kind=OrgKind.BANK, name="B信用金庫", code="bank-b"
        ),
    }
    users = {
        "cgc_officer": (orgs["cgc"], Role.OFFICER),
        "a_officer": (orgs["bank_a"], Role.OFFICER),
        "a_admin": (orgs["bank_a"], Role.ADMIN),
        "a_auditor": (orgs["bank_a"], Role.AUDITOR),
        "b_officer": (orgs["bank_b"], Role.OFFICER),
    }
    biz = do_add_business(
        s,
        SYSTEM,
        BusinessInput(
            name="株式会社テスト工業",
            industry_code="24",
            prefecture_code="01",
            fiscal_year_end_month=3,
            corporate_number="7000012050002",
        ),
        registrar=orgs["bank_a"],
        relation=Relation.LENDER,
    )
    other = do_add_business(
        s,
        SYSTEM,
        BusinessInput(
            name="有限会社よそ商店",
            industry_code="58",
            prefecture_code="13",
            fiscal_year_end_month=12,
        ),
    )
    actors: dict[str, Actor] = {}
    for login, (org, role) in users.items():
        actors[login] = Actor.from_user(
            do_add_user(
                s,
                SYSTEM,
                org=org,
                login=login,
                password="password123",
                display_name=login,
                role=role,
            )
        )
    owner = do_add_user(
        s,
        SYSTEM,
        org=biz.organisation,
        login="owner",
        password="password123",
        display_name="社長",
        role=Role.OWNER,
    )
    other_owner = do_add_user(
        s,
        SYSTEM,
        org=other.organisation,
        login="other_owner",
        password="password123",
        display_name="よそ",
        role=Role.OWNER,
    )
    actors["owner"] = Actor.from_user(owner)
    actors["other_owner"] = Actor.from_user(other_owner)
    do_add_loan(
        s,
        SYSTEM,
        LoanInput(
            business_id=biz.id,
            lender_org_id=orgs["bank_a"].id,
            guarantor_org_id=orgs["cgc"].id,
            loan_number="A-1",
            original_amount=30_000_000,
            balance=24_000_000,
            balance_as_of=TODAY,
            guarantee_ratio_pct=80,
            interest_rate_bp=150,
            start_date=date(2021, 4, 1),
            grace_end_date=date(2024, 3, 31),
            maturity_date=date(2031, 3, 31),
        ),
    )
    do_add_loan(
        s,
        SYSTEM,
        LoanInput(
            business_id=biz.id,
            lender_org_id=orgs["bank_b"].id,
            guarantor_org_id=None,
            loan_number="B-1",
            original_amount=5_000_000,
            balance=4_000_000,
            balance_as_of=TODAY,
            guarantee_ratio_pct=0,
            interest_rate_bp=200,
            start_date=date(2023, 4, 1),
            grace_end_date=None,
            maturity_date=date(2028, 3, 31),
        ),
    )
    # The business consents: the guarantor sees financials for monitoring for a year.
    do_grant_consent(
        s,
        actors["owner"],
        business=biz,
        grantee=orgs["cgc"],
        categories=[Category.FINANCIALS, Category.PROFILE, Category.LOANS],
        purpose=Purpose.MONITORING,
        valid_from=date(2026, 4, 1),
        valid_to=date(2027, 3, 31),
    )
    # Bank A has consent for financials for monitoring.
    do_grant_consent(
        s,
        actors["owner"],
        business=biz,
        grantee=orgs["bank_a"],
        categories=[Category.FINANCIALS],
        purpose=Purpose.MONITORING,
        valid_from=date(2026, 4, 1),
    )
    s.flush()
    return World(orgs["cgc"], orgs["bank_a"], orgs["bank_b"], biz, other, actors)
