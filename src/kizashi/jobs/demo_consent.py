"""The demo's day of consent: every actor has something to see and something to answer.

Run once by ``build_demo`` after the portfolio and the owner logins exist, through the same
actions a person uses (each write audited):

* the 活性化協議会 is given 経営支援 consent by the businesses in difficulty (a credit event on
  file), so its first login shows a portfolio; a few of those grants end within 30 days;
* the first businesses with an owner login (owner1, owner2, …) have requests waiting: their
  lender asks for 与信・保証審査, their accountant for more data; one request was answered in
  part and one declined, so the requesters see outcomes;
* some grants end soon on both sides (owner logins and the 保証協会), and one lender recorded a
  包括同意 from a loan application, which the owner sees with the document's reference.

Dates are relative to the real day the demo is built (consent is checked against today).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.actions.consent import (
    do_grant_consent,
    do_record_application_consent,
    do_request_consent,
    do_respond_consent_request,
)
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Relation, Role
from kizashi.store.db import Store
from kizashi.store.models import (
    Business,
    BusinessLink,
    ConsentGrant,
    CreditEvent,
    Loan,
    Organisation,
    User,
)

COUNCIL_BUSINESSES = 24  # businesses in difficulty that work with the 活性化協議会
SUPPORT = (
    Category.PROFILE,
    Category.FINANCIALS,
    Category.LOANS,
    Category.FLAGS,
    Category.QUALITATIVE,
)


def _officer(s: Session, org_id: int) -> Actor | None:
    user = s.execute(
        select(User)
        .where(User.org_id == org_id, User.role == Role.OFFICER, User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    ).scalar_one_or_none()
    return Actor.from_user(user) if user else None


def _owner(s: Session, business: Business) -> Actor | None:
    user = s.execute(
        select(User).where(User.org_id == business.org_id, User.role == Role.OWNER).limit(1)
    ).scalar_one_or_none()
    return Actor.from_user(user) if user else None


def _org(s: Session, kind: OrgKind) -> Organisation | None:
    return s.execute(
        select(Organisation).where(Organisation.kind == kind).order_by(Organisation.id).limit(1)
    ).scalar_one_or_none()


def add_consent_day(
    store: Store, *, owner_businesses: int, expiry_days: int, today: date | None = None
) -> int:
    """Add the demo's consent life (see the module's doc); returns the grants added."""
    today = today or date.today()
    system = Actor.system()
    added = 0
    with store.session() as s:
        council = _org(s, OrgKind.REVITALIZATION)
        if council is not None:
            troubled = list(
                s.execute(
                    select(Loan.business_id)
                    .join(CreditEvent, CreditEvent.loan_id == Loan.id)
                    .group_by(Loan.business_id)
                    .order_by(Loan.business_id)
                    .limit(COUNCIL_BUSINESSES)
                ).scalars()
            )
            if len(troubled) < COUNCIL_BUSINESSES // 2:  # a small demo: some of the rest
                troubled += list(
                    s.execute(
                        select(Business.id)
                        .where(Business.id.not_in(troubled))
                        .order_by(Business.id.desc())
                        .limit(COUNCIL_BUSINESSES // 2 - len(troubled))
                    ).scalars()
                )
            for n, bid in enumerate(troubled):
                ends = today + timedelta(days=12 + n) if n % 6 == 0 else today + timedelta(365)
                added += len(
                    do_grant_consent(
                        s,
                        system,
                        business=s.get(Business, bid),  # type: ignore[arg-type]
                        grantee=council,
                        categories=SUPPORT,
                        purpose=Purpose.SUPPORT,
                        valid_from=today - timedelta(days=60),
                        valid_to=ends,
                    )
                )
        guarantor = _org(s, OrgKind.GUARANTOR)
        if guarantor is not None:  # a few of the 保証協会's grants end soon
            soon = list(
                s.execute(
                    select(ConsentGrant.business_id)
                    .where(ConsentGrant.grantee_org_id == guarantor.id)
                    .group_by(ConsentGrant.business_id)
                    .order_by(ConsentGrant.business_id.desc())
                    .limit(3)
                ).scalars()
            )
            for n, bid in enumerate(soon):
                added += len(
                    do_grant_consent(
                        s,
                        system,
                        business=s.get(Business, bid),  # type: ignore[arg-type]
                        grantee=guarantor,
                        categories=(Category.QUALITATIVE,),
                        purpose=Purpose.MONITORING,
                        valid_from=today - timedelta(days=200),
                        valid_to=today + timedelta(days=7 + 9 * n),
                    )
                )
        firsts = (
            s.execute(select(Business).order_by(Business.id).limit(owner_businesses))
            .scalars()
            .all()
        )
        for n, business in enumerate(firsts):
            owner = _owner(s, business)
            if owner is None:
                continue
            lender = s.execute(
                select(Organisation)
                .join(BusinessLink, BusinessLink.org_id == Organisation.id)
                .where(
                    BusinessLink.business_id == business.id,
                    Organisation.kind == OrgKind.BANK,
                    BusinessLink.relation.in_((Relation.LENDER, Relation.REGISTRAR)),
                )
                .order_by(Organisation.id)
                .limit(1)
            ).scalar_one_or_none()
            adviser = s.execute(
                select(Organisation)
                .join(ConsentGrant, ConsentGrant.grantee_org_id == Organisation.id)
                .where(
                    ConsentGrant.business_id == business.id,
                    Organisation.kind == OrgKind.SUPPORTER,
                )
                .limit(1)
            ).scalar_one_or_none()
            if lender is not None:
                # the owner's lender sees its flags for monitoring for a few more weeks
                added += len(
                    do_grant_consent(
                        s,
                        owner,
                        business=business,
                        grantee=lender,
                        categories=(Category.FLAGS, Category.QUALITATIVE),
                        purpose=Purpose.MONITORING,
                        valid_from=today - timedelta(days=330),
                        valid_to=today + timedelta(days=10 + 3 * n),
                    )
                )
                bank = _officer(s, lender.id)
                if bank is not None:
                    req = do_request_consent(
                        s,
                        bank,
                        business=business,
                        categories=(
                            Category.FINANCIALS,
                            Category.LOANS,
                            Category.BANK_TRANSACTIONS,
                        ),
                        purpose=Purpose.CREDIT_REVIEW,
                        reason="運転資金の追加融資のご相談にあたり、審査のため",
                        valid_from=today,
                        valid_to=today + timedelta(days=180),
                        expiry_days=expiry_days,
                    )
                    if n % 4 == 3:  # answered in part: the bank sees the outcome
                        added += len(
                            do_respond_consent_request(
                                s,
                                owner,
                                request=req,
                                approve=[Category.FINANCIALS],
                                note="口座の明細は面談のときにお見せします",
                            )
                        )
                    if n == 0:
                        added += len(
                            do_record_application_consent(
                                s,
                                bank,
                                business=business,
                                categories=(Category.PROFILE, Category.FINANCIALS, Category.LOANS),
                                purpose=Purpose.CREDIT_REVIEW,
                                valid_from=today - timedelta(days=400),
                                valid_to=today + timedelta(days=330),
                                document_ref="融資申込書・個人情報の取扱いに関する同意書 第2025-0417号",
                            )
                        )
            if adviser is not None:
                accountant = _officer(s, adviser.id)
                if accountant is not None:
                    req = do_request_consent(
                        s,
                        accountant,
                        business=business,
                        categories=(Category.BANK_TRANSACTIONS, Category.INVOICES),
                        purpose=Purpose.SUPPORT,
                        reason="資金繰り表を一緒に作るため、入出金と請求書を見せてください",
                        valid_from=today,
                        valid_to=None,
                        expiry_days=expiry_days,
                    )
                    if n % 5 == 4:
                        do_respond_consent_request(
                            s, owner, request=req, approve=[], note="いまは必要ありません"
                        )
    return added
