"""Fixtures for the web tests: the test world plus the cases the authorisation matrix needs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kizashi.access import Actor
from kizashi.actions.consent import do_grant_consent, do_revoke_consent
from kizashi.actions.loans import do_record_credit_event
from kizashi.actions.organisations import do_add_organisation, do_add_user
from kizashi.domain.vocabulary import Category, CreditEventKind, FlagState, OrgKind, Purpose, Role
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.models import AuditEvent, Flag, Loan
from kizashi.store.schema import metadata
from kizashi.web.app import create_app
from tests.world import make_world

from .data import Shape, add_monthly_tbs

SYSTEM = Actor.system()
PASSWORD = "password123"
ALL = [Category.PROFILE, Category.FINANCIALS, Category.LOANS, Category.FLAGS]
LAST_MONTH = date.today().replace(day=1) - timedelta(days=1)


@dataclass
class WebWorld:
    business_id: int
    other_business_id: int
    business_name: str
    corporate_number: str
    loan_numbers: dict[str, str]
    flag_id: int


def build_web_world(store: Store) -> WebWorld:
    today = date.today()
    with store.session() as s:
        w = make_world(s)
        owner = w.actors["owner"]
        # The guarantor's monitoring consent, open-ended from a month ago (not date-bound).
        do_grant_consent(
            s,
            owner,
            business=w.business,
            grantee=w.guarantor,
            categories=ALL,
            purpose=Purpose.MONITORING,
            valid_from=today - timedelta(days=30),
        )
        # Another organisation with nothing at all.
        bank_c = do_add_organisation(s, SYSTEM, kind=OrgKind.BANK, name="C銀行", code="bank-c")
        do_add_user(
            s,
            SYSTEM,
            org=bank_c,
            login="c_officer",
            password=PASSWORD,
            display_name="C",
            role=Role.OFFICER,
        )
        # A guarantor whose consent the business revoked.
        rev = do_add_organisation(
            s, SYSTEM, kind=OrgKind.GUARANTOR, name="取消保証協会", code="cgc-rev"
        )
        do_add_user(
            s,
            SYSTEM,
            org=rev,
            login="rev_officer",
            password=PASSWORD,
            display_name="R",
            role=Role.OFFICER,
        )
        for g in do_grant_consent(
            s,
            owner,
            business=w.business,
            grantee=rev,
            categories=ALL,
            purpose=Purpose.MONITORING,
            valid_from=today - timedelta(days=90),
        ):
            do_revoke_consent(s, owner, grant=g)
        # An adviser whose consent expired yesterday.
        exp = do_add_organisation(
            s, SYSTEM, kind=OrgKind.SUPPORTER, name="期限切れ会計事務所", code="adv-exp"
        )
        do_add_user(
            s,
            SYSTEM,
            org=exp,
            login="exp_officer",
            password=PASSWORD,
            display_name="E",
            role=Role.OFFICER,
        )
        do_grant_consent(
            s,
            owner,
            business=w.business,
            grantee=exp,
            categories=ALL,
            purpose=Purpose.MONITORING,
            valid_from=today - timedelta(days=400),
            valid_to=today - timedelta(days=1),
        )
        add_monthly_tbs(
            s,
            w.business,
            Shape(sales=18_000_000, borrowings=60_000_000),
            last_month=LAST_MONTH.replace(day=1),
            seed=3,
        )
        loans = {ln.loan_number: ln for ln in s.execute(select(Loan)).scalars()}
        do_record_credit_event(
            s,
            SYSTEM,
            loan=loans["A-1"],
            kind=CreditEventKind.DELINQUENCY,
            occurred_on=today - timedelta(days=20),
            days_past_due=31,
            note="A銀行の延滞メモ",
        )
        do_record_credit_event(
            s,
            SYSTEM,
            loan=loans["B-1"],
            kind=CreditEventKind.RESTRUCTURING,
            occurred_on=today - timedelta(days=60),
            note="B信金の条件変更メモ",
        )
        flag = add_flag(s, w.business.id, LAST_MONTH.replace(day=1))
        return WebWorld(
            w.business.id,
            w.other_business.id,
            w.business.name,
            w.business.corporate_number or "",
            {k: k for k in loans},
            flag.id,
        )


FLAG_TITLE = "手元資金が月商1か月分未満"
FLAG_EVIDENCE = "0.43 か月分"


def add_flag(s, business_id: int, month: date) -> Flag:  # type: ignore[no-untyped-def]
    """One open default-pack flag, as a monitoring run would store it (cash below 1 month)."""
    from kizashi.access.reads import default_pack_ref

    flag = Flag(
        business_id=business_id,
        org_id=None,
        pack_ref=default_pack_ref(),
        rule_id="cash.low_liquidity",
        severity="high",
        category="資金繰り",
        opened_month=month,
        closed_month=None,
        last_seen_month=month,
        is_open=True,
        state=FlagState.NEW,
        evidence_opened='{"value": 0.4321}',
        evidence_latest='{"value": 0.4321}',
        updated_at=datetime.now(UTC),
    )
    s.add(flag)
    s.flush()
    return flag


@pytest.fixture
def web_world(store: Store) -> WebWorld:
    return build_web_world(store)


@pytest.fixture
def app(settings: Settings, store: Store, web_world: WebWorld):  # type: ignore[no-untyped-def]
    return create_app(settings, store)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, follow_redirects=False) as c:
        yield c


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def login(client: TestClient, login_name: str, password: str = PASSWORD) -> TestClient:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={
            "login": login_name,
            "password": password,
            "csrf_token": csrf_from(page.text),
            "next": "/",
        },
    )
    assert r.status_code == 303, r.text
    return client


def snapshot(store: Store) -> dict[str, int]:
    """Row counts of every table but the audit log: a denial must leave these unchanged."""
    with store.session() as s:
        return {
            t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
            if not t.name.startswith("audit")
        }


def last_audit(store: Store) -> AuditEvent:
    with store.session() as s:
        return s.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
